#!/usr/bin/env python3
"""The ack path's two cryptographic steps, back to back and at a webhook-like cadence.

Why: ``ack_path.py --scenario cpu`` (200 requests/s) charges the server ~3x the CPU per request that it
charges at saturation, and ``--scenario bare-cpu`` shows the same factor for an ASGI app that does
nothing. This script isolates the two steps every webhook pays whatever the server around them — the
ECDSA P-256 verification of its signature and the SigV4 signature of the SQS call that stores it — and
times each (thread CPU time) once with the calls back to back and once with ``--gap-ms`` of idle event
loop between iterations (5 ms: 200 requests/s), so the machine's cost of running code cold shows
without HTTP, SQS or a load generator in the way. Pin it to one core (``taskset -c 0``) for steady
figures.

Usage:
    python bench/cold_path.py [--iterations 1500] [--gap-ms 5] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from pathlib import Path

import httpx

from benchling_webhook.sandbox.signing import WebhookSigner
from benchling_webhook.server.security.jwks import JwksCache
from benchling_webhook.server.security.signature import SignatureVerifier
from benchling_webhook.server.sqs import AsyncSqsClient

BODY = (Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "benchling" / "webhooks"
        / "entry-updated-fields.json")
APP_DEF = "appdef_cold"


async def measure(iterations: int, gap: float) -> dict[str, float]:
    body = BODY.read_bytes()
    signer = WebhookSigner()
    jwks = signer.jwks()  # served once, then cached: only the verification is timed
    verifier = SignatureVerifier(JwksCache("https://jwks.invalid/{app_definition_id}",
                                           transport=httpx.MockTransport(lambda _: httpx.Response(200, json=jwks))))
    await verifier.jwks.keys(APP_DEF)
    sqs = AsyncSqsClient(region="us-east-1", endpoint_url="http://127.0.0.1:9")
    verify_s: list[float] = []
    sign_s: list[float] = []
    for _ in range(iterations):
        headers = signer.sign(body)
        if gap:
            await asyncio.sleep(gap)
        started = time.thread_time()
        await verifier.verify(APP_DEF, headers["webhook-id"], headers["webhook-timestamp"],
                              headers["webhook-signature"], body)
        verify_s.append(time.thread_time() - started)
        started = time.thread_time()
        await sqs._signed_request("SendMessage", body)
        sign_s.append(time.thread_time() - started)
    return {"verify_us": round(statistics.mean(verify_s) * 1e6, 1), "sigv4_us": round(statistics.mean(sign_s) * 1e6, 1)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--iterations", type=int, default=1500)
    p.add_argument("--gap-ms", type=float, default=5.0)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")

    async def both() -> dict[str, dict[str, float]]:
        return {"back_to_back": await measure(args.iterations, 0.0),
                f"gap_{args.gap_ms:g}ms": await measure(args.iterations, args.gap_ms / 1000)}

    import uvloop

    results = uvloop.run(both())
    if args.json:
        print(json.dumps(results))
    else:
        for name, r in results.items():
            print(f"{name:14}  ECDSA verification {r['verify_us']:6.1f} µs   SigV4 signature {r['sigv4_us']:6.1f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
