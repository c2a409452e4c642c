"""Test data for canvas tests: real Quilt manifests in the (moto) bucket and canned Athena results."""

from __future__ import annotations

import hashlib
import json
import time
import urllib.request
from typing import Any


def write_package(s3: Any, bucket: str, name: str, files: list[tuple[str, int]] | int,
                  meta: dict[str, Any] | None = None, message: str = "test revision") -> str:
    """Write one revision of ``name`` in Quilt's registry layout; returns its top hash.

    ``files`` is a list of (logical key, size) or a count (``file-000.csv`` …).
    """
    if isinstance(files, int):
        width = max(3, len(str(files - 1)))
        files = [(f"data/file-{i:0{width}d}.csv", 100 + i) for i in range(files)]
    lines = [json.dumps({"version": "v0", "message": message, "user_meta": meta or {}})]
    for key, size in sorted(files):
        digest = hashlib.sha256(f"{key}:{size}".encode()).hexdigest()
        lines.append(json.dumps({
            "logical_key": key, "physical_keys": [f"s3://{bucket}/{name}/{key}?versionId=v1"],
            "size": size, "hash": {"type": "SHA2-256", "value": digest}, "meta": {}}))
    body = ("\n".join(lines) + "\n").encode()
    top_hash = hashlib.sha256(body + str(time.time_ns()).encode()).hexdigest()
    s3.put_object(Bucket=bucket, Key=f".quilt/packages/{top_hash}", Body=body)
    s3.put_object(Bucket=bucket, Key=f".quilt/named_packages/{name}/{int(time.time())}", Body=top_hash.encode())
    s3.put_object(Bucket=bucket, Key=f".quilt/named_packages/{name}/latest", Body=top_hash.encode())
    return top_hash


def seed_athena_results(endpoint_url: str, *result_sets: list[str]) -> None:
    """Queue answers for the next Athena queries (one list of ``pkg_name`` values per query)."""
    results = []
    for names in result_sets:
        rows = [{"Data": [{"VarCharValue": "pkg_name"}]}] + [{"Data": [{"VarCharValue": n}]} for n in names]
        results.append({"rows": rows, "column_info": [{"Name": "pkg_name", "Type": "varchar"}]})
    request = urllib.request.Request(f"{endpoint_url}/moto-api/static/athena/query-results", method="POST",
                                     data=json.dumps({"results": results}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10):
        pass


def hold_athena_queries(endpoint_url: str) -> None:
    """Keep every new Athena query QUEUED (for timeout tests); ``aws`` resets it per test."""
    body = {"model_name": "athena::execution", "transition": {"progression": "manual", "times": 10_000}}
    request = urllib.request.Request(f"{endpoint_url}/moto-api/state-manager/set-transition", method="POST",
                                     data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10):
        pass


def release_athena_queries(endpoint_url: str) -> None:
    """Undo ``hold_athena_queries`` (the state manager is not part of moto's reset)."""
    body = {"model_name": "athena::execution"}
    request = urllib.request.Request(f"{endpoint_url}/moto-api/state-manager/unset-transition", method="POST",
                                     data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10):
        pass
