"""moto in server mode on loopback: a real HTTP endpoint that boto3 talks to like AWS.

Needs the ``local`` extra (``moto[server]``).
"""

from __future__ import annotations

import urllib.request
from types import TracebackType
from typing import Any

from benchling_webhook.errors import BenchlingWebhookError
from benchling_webhook.sandbox.net import free_port


class MotoServer:
    """A moto server in a background thread of this process, on a free loopback port."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None, region: str = "us-east-1") -> None:
        self.host = host
        self.port = port or free_port(host)
        self.region = region
        self._server: Any = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> MotoServer:
        try:
            from moto.server import ThreadedMotoServer
        except ImportError:
            raise BenchlingWebhookError(
                "the embedded AWS emulator (moto) is not installed",
                hint="pip install 'benchling-webhook[local]'",
            ) from None
        import logging

        # werkzeug logs every request to stderr; the demo and test output must stay readable.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._server.start()
        return self

    def reset(self) -> None:
        """Forget every resource (between tests)."""
        req = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(req, timeout=10):
            pass

    def client(self, service: str, **kwargs: Any) -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint_url, region_name=self.region,
                            aws_access_key_id="testing", aws_secret_access_key="testing", **kwargs)

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
