"""Linked Benchling objects by name: what an entry links to, named with few, cached Benchling calls.

An entry links to Benchling objects in two places (docs/benchling.md): entity-link fields (the value is an
id, or a list of ids; ``displayValue`` is the name of a single one) and mentions in notes (a note part's
``links``: id, type, URL — no name). ``metadata.links_of`` finds them; this module names them, so the
package metadata can say ``HCT116-7`` and not only ``bfi_Kp31Ws`` — which is what the Quilt catalog's
metadata search matches on (docs/quilt.md).

A name comes from, in this order:

1. an entity-link field's ``displayValue`` (single-valued fields): free, and as fresh as the entry;
2. the worker's cache (id → name, LRU, ``ttl`` seconds), shared by every entry;
3. ``known`` — the names in the package's previous revision: used only to decide whether anything changed
   (``known_names``), so an unchanged entry costs no call at all;
4. one bulk call per object type with unnamed ids, among custom entities, DNA and AA sequences and
   entries (``GET /<collection>:bulk-get``), for at most ``MAX_LINKED`` objects: so at most four calls
   per revision, none when every name is cached.

Other kinds of object (containers, boxes, plates, …) keep their type, id and URL, without a name. A failed
lookup leaves those names out (logged) rather than failing the revision: names are a search aid, and the
next revision of the entry tries again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from benchling_webhook.errors import BenchlingApiError

log = logging.getLogger(__name__)

MAX_LINKED = 100
# id prefix → object type, for entity-link fields (their ``type`` does not say what they point at)
_TYPE_BY_PREFIX = {"bfi_": "custom_entity", "seq_": "dna_sequence", "prtn_": "aa_sequence", "etr_": "entry"}
LOOKUP_TYPES = frozenset(_TYPE_BY_PREFIX.values())


def object_type(object_id: str, stated: str | None) -> str:
    """The object's type: the note link's own, else the one its id prefix names, else the field type."""
    if stated and not stated.endswith("link"):
        return stated
    return next((kind for prefix, kind in _TYPE_BY_PREFIX.items() if object_id.startswith(prefix)),
                stated or "unknown")


@dataclass(frozen=True)
class Named:
    """What a lookup learned about one object."""

    name: str
    url: str | None = None
    display_id: str | None = None  # entries only: their package is ``<prefix>/<display id>``


class LinkResolver:
    """Names linked objects (see the module docstring); thread-safe, one per worker.

    Args:
        max_cached: ids kept in the cache.
        ttl: seconds a cached name is trusted (a renamed object shows its new name after at most this).
    """

    def __init__(self, *, max_cached: int = 4096, ttl: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._cache: OrderedDict[str, tuple[float, Named]] = OrderedDict()
        self._max = max_cached
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()

    def known_names(self, links: list[dict[str, Any]], known: Iterable[dict[str, Any]] = ()) -> list[dict[str, Any]]:
        """``links`` named from the entry, the cache and ``known`` (a previous revision's ``linked``): no calls."""
        previous = {str(item.get("id")): _named(item) for item in known if isinstance(item, dict) and item.get("id")}
        return self._name(links, lambda object_id: self._cached(object_id) or previous.get(object_id))

    def resolve(self, client: Any, links: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``links`` named from the entry, the cache and at most one bulk call per object type."""
        wanted: dict[str, list[str]] = {}
        for link in links[:MAX_LINKED]:
            object_id = str(link["id"])
            if not link.get("name") and link["type"] in LOOKUP_TYPES and self._cached(object_id) is None:
                wanted.setdefault(link["type"], []).append(object_id)
        for kind, ids in sorted(wanted.items()):
            try:
                records = client.bulk_get(kind, ids)
            except BenchlingApiError as exc:
                log.warning("linked objects not named", extra={"type": kind, "count": len(ids), "reason": str(exc)})
                continue
            for record in records:
                if isinstance(record, dict) and record.get("id") and record.get("name"):
                    self._remember(str(record["id"]), Named(str(record["name"]), record.get("webURL"),
                                                            record.get("displayId")))
        return self._name(links, self._cached)

    def _name(self, links: list[dict[str, Any]], lookup: Callable[[str], Named | None]) -> list[dict[str, Any]]:
        named = []
        for link in links[:MAX_LINKED]:
            found = None if link.get("name") else lookup(str(link["id"]))
            item = dict(link)
            if found is not None:
                item.update(name=found.name, web_url=link.get("web_url") or found.url)
                if found.display_id:
                    item["display_id"] = found.display_id
            named.append(item)
        return named + [dict(link) for link in links[MAX_LINKED:]]

    def _cached(self, object_id: str) -> Named | None:
        with self._lock:
            hit = self._cache.get(object_id)
            if hit is None:
                return None
            if self._clock() - hit[0] > self._ttl:
                del self._cache[object_id]
                return None
            self._cache.move_to_end(object_id)
            return hit[1]

    def _remember(self, object_id: str, named: Named) -> None:
        with self._lock:
            self._cache[object_id] = (self._clock(), named)
            self._cache.move_to_end(object_id)
            while len(self._cache) > self._max:
                self._cache.popitem(last=False)


def _named(item: dict[str, Any]) -> Named | None:
    name = item.get("name")
    if not isinstance(name, str) or not name:
        return None
    display_id = item.get("display_id")
    return Named(name, item.get("url"), display_id if isinstance(display_id, str) else None)


def linked_metadata(links: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``entry.json`` keys: ``linked`` (name, type, id, URL per object) and ``linked_names`` (the names
    alone, sorted: one flat list of strings is what a metadata search matches best)."""
    linked = []
    for link in links[:MAX_LINKED]:
        item = {"id": link["id"], "name": link.get("name"), "type": link["type"], "url": link.get("web_url")}
        if link.get("display_id"):
            item["display_id"] = link["display_id"]
        linked.append(item)
    names = sorted({str(link["name"]) for link in links[:MAX_LINKED] if link.get("name")})
    return {"linked": linked, "linked_names": names}
