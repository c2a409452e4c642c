from __future__ import annotations

import json

import pytest

from benchling_webhook.constants import package_revision_pattern
from benchling_webhook.server.worker.revisions import RevisionEvent, parse_revision_event
from tests.helpers import load_fixture

EVENT = load_fixture("quilt/package-revision.json")


def test_the_documented_event_is_read() -> None:
    assert parse_revision_event(json.dumps(EVENT)) == RevisionEvent(
        "example", "some/package", "a0fddace2eb2fd91faa697d237a5dbdcfa77f0fd38ca8b4c850dbd93d142ee69", "created")


@pytest.mark.parametrize("change", [
    {"source": "aws.s3"},
    {"detail-type": "Object Created"},
    {"detail": {**EVENT["detail"], "topHash": "not-a-hash"}},
    {"detail": {k: v for k, v in EVENT["detail"].items() if k != "handle"}},
    {"detail": "text"},
])
def test_anything_else_is_not_a_revision(change: dict[str, object]) -> None:
    assert parse_revision_event(json.dumps({**EVENT, **change})) is None


@pytest.mark.parametrize("body", ["", "not json", "[1, 2]"])
def test_a_body_that_is_not_an_event_is_not_a_revision(body: str) -> None:
    assert parse_revision_event(body) is None


def test_the_rule_pattern_matches_the_package_bucket_under_the_prefix() -> None:
    assert package_revision_pattern("quilt-packages", "/benchling/") == {
        "source": ["com.quiltdata"], "detail-type": ["package-revision"],
        "detail": {"bucket": ["quilt-packages"], "handle": [{"prefix": "benchling/"}]}}
