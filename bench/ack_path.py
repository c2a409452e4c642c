#!/usr/bin/env python3
"""Ack-path benchmark: signed webhook → verify → durable enqueue → 2xx.

Measures ``benchling-webhook serve --role all`` — web and worker in one process, as the container runs
it (``--role web`` for the web role alone) — one uvicorn worker pinned to one core, with an external
load-testing tool set (``--tools``: ``signer.py`` pre-signs requests, ``moto_sink.py`` is the inbox,
``loadgen.py``/wrk drive the load; ``--loadgen-python`` is a Python with aiohttp for loadgen.py):

* ``max``   closed loop, max signed acks/s (goal ≥ 2,800/s)
* ``delay`` closed loop with an 8 ms SQS round trip (goal ≥ 800/s)
* ``rate``  open loop at 200 requests/s: p50/p99 latency (goal p99 ≤ 25 ms on the sink below, whose
            8 ms keep-alive round trip stands for a real SQS; on moto the figure is moto's)
* ``cpu``   open loop at 200 requests/s on the 8 ms keep-alive sink whatever ``--inbox`` says: server
            CPU per request at a realistic webhook rate (goal ≤ 350 µs)
* ``bare``  calibration: a bare ASGI app under the same uvicorn, same pinning and driver — the machine's
            speed at the moment of the run
* ``bare-cpu`` calibration for ``cpu``: the bare app in the same open loop at 200 requests/s — what a
            request that does nothing costs the server at that rate on this machine

In role ``all`` the worker long-polls the inbox too: on the sink its polls end empty (it idles, as
between bursts); on moto it takes the messages moto keeps (``--max-stored 1``) and processes their events
on the server's core against the sandbox, which knows none of the bench's entries — ~3 ms of CPU per
event that are not the ack path's: measure the ack path on moto with ``--role web``.

Layout: server on core ``--server-core`` (taskset); moto_sink, the load generator and the JWKS (the
project's Benchling sandbox, serving the signer's key) on ``--load-core``. Every request is distinct
(its own webhook-id), so FIFO de-duplication does not shortcut anything.

The inbox is a FIFO queue like in production. moto's werkzeug server costs ~5 ms of CPU per call plus
~0.35 ms (standard) / ~1.6 ms (FIFO: it recomputes every queue attribute several times per message) per
message and closes each connection, so on this 2-core machine moto — sharing its core with the load
generator — is the ceiling of ``max``, not the webhook. Two knobs separate the two:

* ``--queue standard``: the same server against a standard queue (no group/deduplication ids);
* ``--inbox sink``: SQS calls go to ``bench/sqs_sink.py`` (keep-alive, answers at once in ``max``, after
  8 ms in ``delay``, ``rate`` and ``cpu``, like a real SQS round trip) — the server's own capacity. moto
  still serves the secret.

moto runs under a thin wrapper (``MOTO_WRAPPER``: moto_sink.py itself, unchanged, plus a ``gc.callbacks``
hook) that records moto's full (generation-2) garbage collections. Each one stops every moto thread for
tens of milliseconds on this machine, so each run reports how many fell in its measured window and the
longest (``sqs_gc_pauses`` / ``sqs_gc_max_ms``): at 200 requests/s a 100 ms pause delays ~20 requests, 1 %
of a 10 s run — the p99 by itself. ``--freeze-moto-heap`` is a diagnostic, not a setting for the goal
figures: once moto has answered the set-up calls, its heap is collected and frozen (``gc.freeze()``), so
later full collections scan only new objects and stay short.

Throughput of a wrk run is wrk's own ``Requests/sec`` (requests over the time its connections ran);
server CPU per request is the server's CPU time during the whole wrk process over the requests answered.

Usage:
    python bench/ack_path.py --tools DIR --loadgen-python PY   # all scenarios, FIFO inbox on moto_sink, 3 repeats
    python bench/ack_path.py --scenario max --tool wrk --inbox sink
    python bench/ack_path.py --inbox moto --role web   # the ack path alone, inbox on moto
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from benchling_webhook.sandbox.net import free_port, wait_http

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TOOLS = ROOT.parent / "shared" / "bench-tools"
APP_DEF = "appdef_bench0001"
TENANT = "bench-tenant"  # signer.py's envelopes say https://bench-tenant.benchling.com
PACKAGE_BUCKET = "bench-packages"


# moto_sink.py run as is (same argv, run as __main__), plus a record of moto's full collections and, on
# SIGUSR1, a frozen heap (the --freeze-moto-heap diagnostic).
MOTO_WRAPPER = """\
import gc, runpy, signal, sys, time
log = open(sys.argv[1], "a", buffering=1)
started = [0.0]
def pause(phase, info):
    if phase == "start":
        started[0] = time.perf_counter()
    elif info["generation"] == 2:
        log.write(f"{time.time()} {(time.perf_counter() - started[0]) * 1000:.1f}\\n")
gc.callbacks.append(pause)
def freeze(*_):
    gc.collect()
    gc.freeze()
signal.signal(signal.SIGUSR1, freeze)
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.tools = Path(args.tools)
        self.workdir = workdir
        self.procs: list[subprocess.Popen[bytes]] = []
        self.backend_pid = 0  # the SQS stand-in of the current run (its CPU use is reported)
        self.moto_gc_log: Path | None = None  # moto's full collections of the current run (MOTO_WRAPPER)
        self.dlq_url = ""

    def pinned(self, core: int, cmd: list[str]) -> list[str]:
        return ["taskset", "-c", str(core), *cmd] if self.args.pin else cmd

    def start(self, cmd: list[str], env: dict[str, str] | None = None, log: str = "proc") -> subprocess.Popen[bytes]:
        """Start a process whose output goes through a pipe (as under a container log driver) to a file."""
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.procs.append(proc)

        def drain(stream: Any, path: Path) -> None:
            with open(path, "ab") as fh:
                for chunk in iter(lambda: stream.read1(65536), b""):
                    fh.write(chunk)

        threading.Thread(target=drain, args=(proc.stdout, self.workdir / f"{log}.log"), daemon=True).start()
        return proc

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            # SIGINT lets a server under cProfile write its profile (uvicorn re-raises the signal it caught)
            proc.send_signal(signal.SIGINT if self.args.profile else signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            self.stop(proc)
        self.procs.clear()

    # -- pieces ---------------------------------------------------------------------------------
    def moto(self, delay_ms: float) -> tuple[subprocess.Popen[bytes], str]:
        port = free_port()
        wrapper = self.workdir / "moto_wrapper.py"
        wrapper.write_text(MOTO_WRAPPER)
        self.moto_gc_log = self.workdir / f"moto-gc-{port}.log"
        cmd = [sys.executable, str(wrapper), str(self.moto_gc_log), str(self.tools / "moto_sink.py"), "--port",
               str(port), "--max-stored", "1"]
        if delay_ms:
            cmd += ["--send-delay-ms", str(delay_ms)]
        proc = self.start(self.pinned(self.args.load_core, cmd), log="moto")
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/moto-api/")
        return proc, url

    def aws_setup(self, endpoint: str) -> str:
        import boto3

        kw = {"endpoint_url": endpoint, "region_name": "us-east-1", "aws_access_key_id": "bench",
              "aws_secret_access_key": "bench"}
        sqs = boto3.client("sqs", **kw)
        fifo = self.args.queue == "fifo"
        queue = sqs.create_queue(QueueName="inbox.fifo" if fifo else "inbox",
                                 Attributes={"FifoQueue": "true"} if fifo else {})["QueueUrl"]
        self.dlq_url = sqs.create_queue(QueueName="inbox-dlq.fifo" if fifo else "inbox-dlq",
                                        Attributes={"FifoQueue": "true"} if fifo else {})["QueueUrl"]
        boto3.client("s3", **kw).create_bucket(Bucket=PACKAGE_BUCKET)
        boto3.client("secretsmanager", **kw).create_secret(Name="bench/benchling", SecretString=json.dumps(
            {"tenant": TENANT, "client_id": "bench", "client_secret": "bench-secret", "app_definition_id": APP_DEF}))
        return str(queue)

    def sink(self, delay_ms: float) -> tuple[subprocess.Popen[bytes], str]:
        port = free_port()
        cmd = [sys.executable, str(Path(__file__).parent / "sqs_sink.py"), "--port", str(port),
               "--delay-ms", str(delay_ms)]
        proc = self.start(self.pinned(self.args.load_core, cmd), log="sink")
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/", timeout=30, interval=0.1)  # the sink answers any request with 200
        return proc, url

    def server(self, endpoint: str, queue_url: str, sandbox_url: str, jwks_template: str,
               extra_env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
        port = free_port()
        env = {**os.environ, **extra_env, "AWS_ENDPOINT_URL": endpoint, "AWS_REGION": "us-east-1",
               "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "INBOX_QUEUE_URL": queue_url,
               "INBOX_DLQ_URL": self.dlq_url, "BenchlingSecret": "bench/benchling", "PACKAGE_BUCKET": PACKAGE_BUCKET,
               "BENCHLING_BASE_URL": sandbox_url, "BENCHLING_JWKS_URL": jwks_template,
               "LOG_LEVEL": self.args.log_level}
        profile = ["-m", "cProfile", "-o", str(Path(self.args.profile) / f"server-{port}.prof")] \
            if self.args.profile else []
        cmd = [sys.executable, *profile, "-m", "benchling_webhook", "serve", "--role", self.args.role,
               "--host", "127.0.0.1", "--port", str(port)]
        proc = self.start(self.pinned(self.args.server_core, cmd), env=env, log="server")
        url = f"http://127.0.0.1:{port}"
        wait_http(url + "/health/ready")
        return proc, url

    def requests(self, n: int, fmt: str, name: str = "requests") -> Path:
        out = self.workdir / f"{name}.{fmt}"
        subprocess.run([sys.executable, str(self.tools / "signer.py"), "gen", "--key-dir", str(self.workdir / "key"),
                        "--n", str(n), "--app-def", APP_DEF, "--format", fmt, "--out", str(out)], check=True,
                       stderr=subprocess.DEVNULL)
        return out

    # -- load -----------------------------------------------------------------------------------
    def loadgen(self, url: str, server_pid: int, mode: str, **opts: Any) -> dict[str, Any]:
        n = int(opts.get("rate", 4000) * (self.args.duration + 4)) if mode == "rate" else \
            int(self.args.expect_rps * (self.args.duration + 4))
        reqs = self.requests(max(n, 2000), "jsonl")
        out = self.workdir / "loadgen.json"
        cmd = [self.args.loadgen_python, str(self.tools / "loadgen.py"), "--url", url + "/event",
               "--requests", str(reqs), "--mode", mode, "--duration", str(self.args.duration),
               "--warmup", str(self.args.warmup), "--server-pid", str(server_pid), "--json-out", str(out)]
        cmd += [f"--{k.replace('_', '-')}={v}" for k, v in opts.items()]
        self.settle_moto()
        backend_cpu, t0 = _cpu_seconds(self.backend_pid) if self.backend_pid else 0.0, time.monotonic()
        subprocess.run(self.pinned(self.args.load_core, cmd), check=True, stderr=subprocess.DEVNULL)
        sqs_util = (_cpu_seconds(self.backend_pid) - backend_cpu) / (time.monotonic() - t0) if self.backend_pid else 0.0
        pauses = self.moto_pauses(time.time() - self.args.duration - 0.5)  # the window ends as loadgen does
        res = json.loads(out.read_text())
        srv = res.get("server") or {}
        return {"rps": res["achieved_rps"], "ok": res["ok_2xx"], "codes": res["status_codes"],
                "errors": res["errors"], "wraps": res["request_file_wraps"], "p50_ms": res["lat_ms"]["p50"],
                "p99_ms": res["lat_ms"]["p99"], "cpu_us": srv.get("cpu_us_per_req"), "rss_mb": srv.get("rss_mb_after"),
                "sqs_cpu_util": round(sqs_util, 2),
                # from when loadgen actually sent (p50_ms/p99_ms count from the scheduled time: they include
                # loadgen starting late when it shares its core with a busy SQS stand-in)
                "sent_p50_ms": res.get("service_lat_ms", {}).get("p50"),
                "sent_p99_ms": res.get("service_lat_ms", {}).get("p99"), **pauses}

    def settle_moto(self) -> None:
        """With --freeze-moto-heap: collect and freeze moto's heap now, before the load starts."""
        if self.args.freeze_moto_heap and self.moto_gc_log is not None and self.backend_pid:
            os.kill(self.backend_pid, signal.SIGUSR1)
            time.sleep(1.0)  # moto's main thread runs the handler at once; the collection takes ~0.1 s

    def moto_pauses(self, since: float) -> dict[str, Any]:
        """moto's full collections since ``since`` (wall clock): how many, and the longest in ms."""
        if self.moto_gc_log is None or not self.moto_gc_log.exists():
            return {}
        pauses = [float(ms) for t, ms in (line.split() for line in self.moto_gc_log.read_text().splitlines())
                  if float(t) >= since]
        return {"sqs_gc_pauses": len(pauses), "sqs_gc_max_ms": max(pauses, default=0.0)}

    def wrk(self, url: str, server_pid: int, connections: int) -> dict[str, Any]:
        self.settle_moto()
        if self.args.warmup > 0:  # like loadgen's --warmup: first connections, JWKS and SQS connections, caches
            warm = self.requests(int(self.args.expect_rps * (self.args.warmup + 2)), "tsv", name="warmup")
            subprocess.run(self.pinned(self.args.load_core, [
                "wrk", "-t1", f"-c{connections}", f"-d{int(self.args.warmup)}s", "-s",
                str(self.tools / "wrk_event.lua"), url + "/event", "--", str(warm)]), check=True, capture_output=True)
        reqs = self.requests(int(self.args.expect_rps * (self.args.duration + 4)), "tsv")
        cpu0, t0 = _cpu_seconds(server_pid), time.monotonic()
        backend_cpu = _cpu_seconds(self.backend_pid) if self.backend_pid else 0.0
        result = subprocess.run(self.pinned(self.args.load_core, [
            "wrk", "-t1", f"-c{connections}", f"-d{int(self.args.duration)}s", "--latency",
            "-s", str(self.tools / "wrk_event.lua"), url + "/event", "--", str(reqs)]),
            check=True, capture_output=True, text=True)
        cpu = _cpu_seconds(server_pid) - cpu0
        elapsed = time.monotonic() - t0
        sqs_util = (_cpu_seconds(self.backend_pid) - backend_cpu) / elapsed if self.backend_pid else 0.0
        text = result.stdout
        total = int(next(line for line in text.splitlines() if "requests=" in line).split("requests=")[1].split()[0])
        non2xx = int(text.split("non2xx=")[1].split()[0])
        p = {k: int(v) / 1000 for k, v in (kv.split("=") for kv in
             next(line for line in text.splitlines() if line.startswith("latency_us")).split()[1:])}
        # wrk's own rate: requests over the time its connections ran (what wrk users quote); ``elapsed`` also
        # counts wrk starting and loading the request file (~0.3 s), idle time for the server.
        rate = next((float(line.split()[1]) for line in text.splitlines() if line.startswith("Requests/sec:")),
                    total / elapsed)
        return {"rps": rate, "ok": total - non2xx, "codes": {"non2xx": non2xx}, "errors": {},
                "p50_ms": p["p50"], "p99_ms": p["p99"], "cpu_us": cpu / max(total, 1) * 1e6,
                "rss_mb": _rss_mb(server_pid), "sqs_cpu_util": round(sqs_util, 2),
                **self.moto_pauses(time.time() - self.args.duration)}

    # -- scenarios ------------------------------------------------------------------------------
    def bare(self, open_loop: bool = False) -> list[dict[str, Any]]:
        app = self.workdir / "bare_app.py"
        app.write_text(
            "async def app(scope, receive, send):\n"
            "    if scope['type'] != 'http':\n        return\n"
            "    more = True\n"
            "    while more:\n        more = (await receive()).get('more_body', False)\n"
            "    await send({'type': 'http.response.start', 'status': 202, 'headers': [(b'content-length', b'2')]})\n"
            "    await send({'type': 'http.response.body', 'body': b'{}'})\n")
        runs = []
        self.backend_pid = 0
        self.moto_gc_log = None
        for i in range(self.args.repeat):
            port = free_port()
            server = self.start(self.pinned(self.args.server_core, [
                sys.executable, "-m", "uvicorn", "--app-dir", str(self.workdir), "bare_app:app", "--port", str(port),
                "--log-level", "warning", "--no-access-log"]), log="bare")
            url = f"http://127.0.0.1:{port}"
            wait_http(url + "/")
            try:
                if open_loop:
                    res = self.loadgen(url, server.pid, "rate", rate=self.args.rate)
                elif self.args.tool == "wrk":
                    res = self.wrk(url, server.pid, self.args.concurrency)
                else:
                    res = self.loadgen(url, server.pid, "closed", concurrency=self.args.concurrency)
            finally:
                self.stop(server)
            res["run"] = i + 1
            print(f"  bare #{i + 1}: {json.dumps(res)}", file=sys.stderr)
            runs.append(res)
        return runs

    def scenario(self, name: str) -> list[dict[str, Any]]:
        if name in ("bare", "bare-cpu"):
            return self.bare(open_loop=name == "bare-cpu")
        from benchling_webhook.sandbox.benchling import SandboxServer, SandboxState
        from benchling_webhook.sandbox.signing import WebhookSigner

        on_sink = self.args.inbox == "sink" or name == "cpu"
        # the sink stands for a real SQS: an 8 ms keep-alive round trip in the open-loop scenarios
        delay = 8.0 if name == "delay" or (on_sink and name in ("rate", "cpu")) else 0.0
        runs = []
        for i in range(self.args.repeat):
            moto, endpoint = self.moto(0.0 if on_sink else delay)
            queue_url = self.aws_setup(endpoint)
            extra_env: dict[str, str] = {}
            sink = None
            if on_sink:
                sink, sink_url = self.sink(delay)
                queue_url = sink_url + "/123456789012/" + queue_url.rsplit("/", 1)[-1]
                extra_env["AWS_ENDPOINT_URL_SQS"] = sink_url
            signer = WebhookSigner.from_pem((self.workdir / "key" / "key.pem").read_bytes(), kid="bench-key-1")
            with SandboxServer(SandboxState(signer=signer, app_definition_id=APP_DEF, tenant=TENANT)) as sandbox:
                server, url = self.server(endpoint, queue_url, sandbox.url, sandbox.jwks_url_template, extra_env)
                self.backend_pid = (sink if sink is not None else moto).pid
                if sink is not None:  # moto only serves the secret: its pauses do not touch the ack path
                    self.moto_gc_log = None
                try:
                    if name in ("rate", "cpu"):
                        res = self.loadgen(url, server.pid, "rate", rate=self.args.rate)
                    elif self.args.tool == "wrk":
                        res = self.wrk(url, server.pid, self.args.concurrency_delay if delay else self.args.concurrency)
                    else:
                        res = self.loadgen(url, server.pid, "closed", concurrency=self.args.concurrency_delay
                                           if delay else self.args.concurrency)
                finally:
                    self.stop(server)
                    self.stop(moto)
                    if sink is not None:
                        self.stop(sink)
            res["run"] = i + 1
            print(f"  {name} #{i + 1}: {json.dumps(res)}", file=sys.stderr)
            runs.append(res)
        return runs


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--tools", default=str(DEFAULT_TOOLS), help="bench-tools directory")
    p.add_argument("--loadgen-python", default=sys.executable,
                   help="the Python that runs loadgen.py (it needs aiohttp, which the project does not install)")
    p.add_argument("--scenario", choices=["max", "delay", "rate", "cpu", "bare", "bare-cpu", "all"], default="all")
    p.add_argument("--tool", choices=["loadgen", "wrk"], default="wrk" if shutil.which("wrk") else "loadgen",
                   help="closed-loop driver (default wrk when installed: apt-get install wrk)")
    p.add_argument("--queue", choices=["fifo", "standard"], default="fifo")
    p.add_argument("--role", choices=["all", "web"], default="all",
                   help="the server's role: all (web + worker in one process, as the container runs it) or web")
    p.add_argument("--inbox", choices=["moto", "sink"], default="moto",
                   help="moto: moto_sink.py (the reference setup); sink: bench/sqs_sink.py (server capacity)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--rate", type=float, default=200.0)
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load before each run "
                   "(distinct requests; loadgen's --warmup for rate runs)")
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--concurrency-delay", type=int, default=256)
    p.add_argument("--expect-rps", type=float, default=4000.0, help="sizes the pre-signed request file")
    p.add_argument("--server-core", type=int, default=0)
    p.add_argument("--load-core", type=int, default=1)
    p.add_argument("--no-pin", dest="pin", action="store_false")
    p.add_argument("--log-level", default="INFO")
    p.add_argument("--json-out")
    p.add_argument("--freeze-moto-heap", action="store_true",
                   help="diagnostic: freeze moto's heap before the load, so its full collections stay short "
                   "(shows what moto's own pauses cost; not for the goal figures)")
    p.add_argument("--profile", metavar="DIR", help="run the server under cProfile, one .prof per run in DIR "
                   "(slows it down: for finding hot spots, not for figures)")
    args = p.parse_args()

    if args.pin:  # this process (sandbox JWKS, log drains) stays off the server's core
        os.sched_setaffinity(0, {args.load_core})
    with tempfile.TemporaryDirectory(prefix="ack-bench-") as tmp:
        workdir = Path(tmp)
        subprocess.run([sys.executable, str(Path(args.tools) / "signer.py"), "genkey", "--out", str(workdir / "key")],
                       check=True, stdout=subprocess.DEVNULL)
        bench = Bench(args, workdir)
        results: dict[str, Any] = {"queue": args.queue, "tool": args.tool, "inbox": args.inbox}
        try:
            for name in (["bare", "max", "delay", "rate", "cpu"] if args.scenario == "all" else [args.scenario]):
                print(f"scenario {name} ({args.queue} queue on {args.inbox}, "
                      f"{args.tool if name != 'rate' else 'loadgen'})",
                      file=sys.stderr)
                runs = bench.scenario(name)
                results[name] = {"runs": runs, "median_rps": statistics.median(r["rps"] for r in runs),
                                 "median_p50_ms": statistics.median(r["p50_ms"] for r in runs),
                                 "median_p99_ms": statistics.median(r["p99_ms"] for r in runs)}
        except BaseException:
            for log in workdir.glob("*.log"):
                print(f"--- {log.name} (tail)\n" + "\n".join(log.read_text(errors="replace").splitlines()[-20:]),
                      file=sys.stderr)
            raise
        finally:
            bench.stop_all()
    for name in ("bare", "max", "delay", "rate", "bare-cpu", "cpu"):
        if name in results:
            r = results[name]
            cpu = statistics.median(x["cpu_us"] or 0 for x in r["runs"])
            sqs = statistics.median(x.get("sqs_cpu_util", 0) for x in r["runs"])
            print(f"{name:8}  median {r['median_rps']:8.1f} req/s   p50 {r['median_p50_ms']:6.2f} ms   "
                  f"p99 {r['median_p99_ms']:6.2f} ms   server CPU/req {cpu:5.0f} µs   SQS stand-in CPU {sqs:.2f}"
                  + (f"   moto full GCs {sum(x['sqs_gc_pauses'] for x in r['runs'])} in {len(r['runs'])} runs, "
                     f"longest {max(x['sqs_gc_max_ms'] for x in r['runs']):.0f} ms"
                     if all("sqs_gc_pauses" in x for x in r["runs"]) else ""))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
