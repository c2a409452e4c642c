"""Linked packages: other packages whose metadata points at a Benchling entry, found with Athena.

Quilt users "link" a package to a notebook entry by setting the metadata key (``METADATA_KEY``, default
``experiment_id``) to the entry's display id. The Quilt stack's Athena database (``ATHENA_USER_DATABASE``)
has one view per bucket, ``"<bucket>_packages-view"`` (columns ``pkg_name``, ``timestamp`` — ``'latest'``
for the newest revision —, ``message``, ``user_meta`` as a JSON string).

Safety: the display id comes from Benchling, i.e. from users, so it never enters the SQL text; it is an
Athena execution parameter (a prepared-statement literal). The database, bucket and metadata key come
from the deployment's configuration and are still checked against strict patterns before they are
quoted into identifiers.

Robustness: linked packages are a nice-to-have line in the canvas. Any failure (access denied, missing
view, timeout, throttling) becomes ``LinkedPackages(warning=...)`` and is logged; it never raises.
The finder is synchronous (boto3 + polling); async callers use ``asyncio.to_thread``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchling_webhook.aws.errors import error_code
from benchling_webhook.config.app_items import METADATA_KEY_PATTERN
from benchling_webhook.constants import DEFAULT_ATHENA_WORKGROUP

log = logging.getLogger(__name__)

_DATABASE = re.compile(r"[A-Za-z0-9_-]{1,255}")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_FINAL_FAILURES = {"FAILED", "CANCELLED"}
MAX_LINKED = 50


@dataclass(frozen=True)
class LinkedPackages:
    """Package names found (sorted), or a warning line for the canvas when the lookup failed."""

    names: tuple[str, ...] = ()
    warning: str | None = None


def sql_string_literal(value: str) -> str:
    """A value as an Athena execution parameter (a SQL string literal with quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def build_linked_query(database: str, bucket: str, metadata_key: str) -> str:
    """The SQL text; the display id is the single ``?`` parameter. Raises ``ValueError`` on unsafe config."""
    if not _DATABASE.fullmatch(database):
        raise ValueError(f"unusable Athena database name {database!r}")
    if not _BUCKET.fullmatch(bucket):
        raise ValueError(f"unusable bucket name {bucket!r}")
    if not METADATA_KEY_PATTERN.fullmatch(metadata_key):
        raise ValueError(f"unusable metadata key {metadata_key!r}")
    return (
        f'SELECT DISTINCT pkg_name FROM "{database}"."{bucket}_packages-view" '
        f"WHERE timestamp = 'latest' AND json_extract_scalar(user_meta, '$.{metadata_key}') = ? "
        f"ORDER BY pkg_name LIMIT {MAX_LINKED + 1}"
    )


class LinkedPackageFinder:
    """Runs the linked-packages query and waits (bounded) for its result.

    Args:
        athena: a boto3 Athena client.
        database, bucket, metadata_key: where to look and which metadata key links a package.
        workgroup, output_location: Athena workgroup and (optional) result location.
        timeout: seconds to wait for the query before giving up with a warning.
        sleep, clock: injectable for tests.
    """

    def __init__(self, athena: Any, database: str, bucket: str, metadata_key: str, *,
                 workgroup: str = DEFAULT_ATHENA_WORKGROUP, output_location: str | None = None, timeout: float = 10.0,
                 poll_interval: float = 0.1, sleep: Callable[[float], object] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._athena = athena
        self.database = database
        self.bucket = bucket
        self.metadata_key = metadata_key
        self.workgroup = workgroup
        self.output_location = output_location
        self.timeout = timeout
        self.poll_interval = poll_interval
        self._sleep = sleep
        self._clock = clock

    def find(self, display_id: str, exclude: str | None = None, metadata_key: str | None = None) -> LinkedPackages:
        """Packages whose metadata key equals ``display_id`` (``exclude`` — the entry's own package — left out);
        ``metadata_key`` overrides the finder's (an installation's configuration may set its own)."""
        try:
            names = self._query(display_id, metadata_key or self.metadata_key)
        except Exception as exc:  # any failure is a warning line, never a broken canvas
            log.warning("linked-package lookup failed", extra={"display_id": display_id, "error": repr(exc)})
            return LinkedPackages(warning=f"Linked packages are unavailable right now ({_reason(exc)}).")
        return LinkedPackages(names=tuple(n for n in names if n != exclude))

    def _query(self, display_id: str, metadata_key: str) -> list[str]:
        kwargs: dict[str, Any] = {
            "QueryString": build_linked_query(self.database, self.bucket, metadata_key),
            "QueryExecutionContext": {"Database": self.database},
            "WorkGroup": self.workgroup,
            "ExecutionParameters": [sql_string_literal(display_id)],
        }
        if self.output_location:
            kwargs["ResultConfiguration"] = {"OutputLocation": self.output_location}
        execution_id = self._athena.start_query_execution(**kwargs)["QueryExecutionId"]
        deadline = self._clock() + self.timeout
        interval = self.poll_interval  # short first waits (most queries take ~1 s), then back off to 1 s
        while True:
            status = self._athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]["Status"]
            state = status.get("State")
            if state == "SUCCEEDED":
                break
            if state in _FINAL_FAILURES:
                raise RuntimeError(f"query {state.lower()}: {status.get('StateChangeReason', 'no reason given')}")
            if self._clock() >= deadline:
                self._cancel(execution_id)
                raise TimeoutError(f"query still {state} after {self.timeout:g} s")
            self._sleep(min(interval, max(0.0, deadline - self._clock())))
            interval = min(1.0, interval * 1.5)
        return self._names(execution_id)

    def _names(self, execution_id: str) -> list[str]:
        names: list[str] = []
        for page in self._athena.get_paginator("get_query_results").paginate(QueryExecutionId=execution_id):
            for row in page["ResultSet"]["Rows"]:
                cells = row.get("Data") or []
                value = cells[0].get("VarCharValue") if cells else None
                if value and "/" in value:  # skips the header row; package names are "<ns>/<name>"
                    names.append(value)
            if len(names) > MAX_LINKED:
                break
        return sorted(set(names))[:MAX_LINKED]

    def _cancel(self, execution_id: str) -> None:
        try:
            self._athena.stop_query_execution(QueryExecutionId=execution_id)
        except Exception:  # best effort: the query is abandoned either way
            log.debug("could not stop Athena query %s", execution_id)


def _reason(exc: BaseException) -> str:
    """A short, non-sensitive reason for the canvas (details go to the log)."""
    code = error_code(exc)
    if code:
        return f"Athena: {code}"
    if isinstance(exc, TimeoutError):
        return "Athena did not answer in time"
    if isinstance(exc, ValueError):
        return "configuration"
    return "Athena query failed"
