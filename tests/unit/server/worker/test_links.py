from __future__ import annotations

from typing import Any
from unittest.mock import Mock

from benchling_webhook.errors import BenchlingApiError
from benchling_webhook.server.benchling.client import BenchlingClient
from benchling_webhook.server.worker.links import MAX_LINKED, LinkResolver, linked_metadata, object_type
from tests.helpers import FakeClock


def _link(object_id: str, kind: str, name: str | None = None) -> dict[str, Any]:
    return {"id": object_id, "type": kind, "web_url": None, "name": name, "sources": ["notes"]}


def _client(**names: str) -> Mock:
    client = Mock(spec=BenchlingClient)
    client.bulk_get.side_effect = lambda kind, ids: [{"id": i, "name": names[i], "webURL": f"https://b/{i}"}
                                                     for i in ids if i in names]
    return client


def test_the_type_comes_from_the_note_link_else_the_id_prefix() -> None:
    assert object_type("bfi_1", "custom_entity") == "custom_entity"
    assert object_type("seq_1", "entity_link") == "dna_sequence"
    assert object_type("box_1", "storage_link") == "storage_link"


def test_one_bulk_call_per_type_then_names_come_from_the_cache() -> None:
    client = _client(bfi_1="Strain A", bfi_2="Strain B", seq_1="Plasmid")
    resolver = LinkResolver()
    links = [_link("bfi_1", "custom_entity"), _link("bfi_2", "custom_entity"), _link("seq_1", "dna_sequence"),
             _link("bfi_3", "custom_entity", name="From the field"), _link("con_1", "container")]
    named = resolver.resolve(client, links)
    assert [link.get("name") for link in named] == ["Strain A", "Strain B", "Plasmid", "From the field", None]
    assert sorted(c.args for c in client.bulk_get.call_args_list) == [("custom_entity", ["bfi_1", "bfi_2"]),
                                                                     ("dna_sequence", ["seq_1"])]
    assert resolver.resolve(client, links) == named
    assert client.bulk_get.call_count == 2


def test_cached_names_expire_so_a_rename_shows() -> None:
    clock = FakeClock()
    resolver = LinkResolver(ttl=60, clock=clock)
    resolver.resolve(_client(bfi_1="Old"), [_link("bfi_1", "custom_entity")])
    clock.advance(61)
    assert resolver.resolve(_client(bfi_1="New"), [_link("bfi_1", "custom_entity")])[0]["name"] == "New"


def test_known_names_make_no_call_and_use_the_previous_revision() -> None:
    resolver = LinkResolver()
    named = resolver.known_names([_link("bfi_1", "custom_entity"), _link("seq_1", "dna_sequence")],
                                 [{"id": "bfi_1", "name": "Strain A", "url": "https://b/bfi_1"}])
    assert [link["name"] for link in named] == ["Strain A", None]


def test_a_failed_lookup_leaves_the_names_out_instead_of_failing() -> None:
    client = Mock(spec=BenchlingClient)
    client.bulk_get.side_effect = BenchlingApiError("bulk get: HTTP 503", status=503, retryable=True)
    named = LinkResolver().resolve(client, [_link("bfi_1", "custom_entity")])
    assert named[0]["name"] is None


def test_at_most_max_linked_objects_are_looked_up_and_listed() -> None:
    links = [_link(f"bfi_{i:04d}", "custom_entity") for i in range(MAX_LINKED + 5)]
    client = _client(**{link["id"]: link["id"].upper() for link in links})
    named = LinkResolver().resolve(client, links)
    (call,) = client.bulk_get.call_args_list
    assert len(call.args[1]) == MAX_LINKED and len(named) == MAX_LINKED + 5
    meta = linked_metadata(named)
    assert len(meta["linked"]) == MAX_LINKED and len(meta["linked_names"]) == MAX_LINKED
