"""Process set-up of ``serve``: the heap after start-up (its HTTP protocol: test_http_protocol, test_serve_process)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from benchling_webhook.server import serve


@pytest.fixture
def restored_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_start_up_objects_are_frozen_and_young_collections_are_rare(restored_gc: None) -> None:
    young, middle, old = gc.get_threshold()  # CPython's defaults
    serve._settle_heap()
    assert gc.get_freeze_count() > 1000  # modules, classes and schemas loaded so far
    settled_young, *older = gc.get_threshold()
    assert settled_young > young and older == [middle, old]
