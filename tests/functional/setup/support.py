"""Stand-ins for the setup tests: a loopback catalog + Benchling token endpoint, and a Quilt stack in moto."""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CLIENT_ID = "client_abc"
CLIENT_SECRET = "s3cr3t-value-xyz"
APP_DEFINITION_ID = "appdef_T4nB7cWq1s"


@dataclass
class StandInState:
    region: str = "us-east-1"
    config_status: int = 200
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    token_requests: list[dict[str, Any]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _send(self, status: int, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        state = self.server.state
        if self.path == "/config.json":
            self._send(state.config_status, {"region": state.region, "registryUrl": "https://registry.example"})
        else:
            self._send(404, {"error": "not found"})

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode()
        if self.path != "/api/v2/token":
            self._send(404, {"error": "not found"})
            return
        auth = self.headers.get("Authorization", "")
        user, _, password = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
        state.token_requests.append({"client_id": user, "body": body})
        if (user, password) == (state.client_id, state.client_secret) and "grant_type=client_credentials" in body:
            self._send(200, {"access_token": "tok_123", "token_type": "Bearer", "expires_in": 900})
        else:
            self._send(401, {"error": "invalid_client"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: StandInState


class StandIn:
    """Serves ``/config.json`` (a Quilt catalog) and ``/api/v2/token`` (Benchling) on one loopback port."""

    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = StandInState()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def state(self) -> StandInState:
        return self._server.state

    def reset(self) -> StandInState:
        self._server.state = StandInState()
        return self._server.state

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def start(self) -> StandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def create_quilt_stack(cfn: Any, web_host: str, name: str = "quilt-prod", *, bucket: str | None = None,
                       database: str = "quilt_prod_catalog", extra_outputs: dict[str, str] | None = None,
                       parameters: dict[str, str] | None = None) -> dict[str, Any]:
    """A stack with Quilt-like outputs (and parameters); the packager queue is a real (moto) SQS queue."""
    outputs: dict[str, Any] = {
        "QuiltWebHost": {"Value": f"https://{web_host}"},
        "PackagerQueueUrl": {"Value": {"Ref": "PackagerQueue"}},
        "UserAthenaDatabaseName": {"Value": database},
    }
    if bucket:
        outputs["UserBucket"] = {"Value": bucket}
    outputs.update({key: {"Value": value} for key, value in (extra_outputs or {}).items()})
    template: dict[str, Any] = {"Resources": {"PackagerQueue": {"Type": "AWS::SQS::Queue"}}, "Outputs": outputs}
    if parameters:
        template["Parameters"] = {key: {"Type": "String"} for key in parameters}
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(template),
                     Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()])
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {"arn": stack["StackId"], "outputs": {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}}


def create_other_stacks(cfn: Any, count: int) -> None:
    """Stacks that are not Quilt stacks (no QuiltWebHost output); moto pages describe_stacks by 50."""
    template = json.dumps({"Resources": {}, "Outputs": {"Other": {"Value": "x"}}})
    for index in range(count):
        cfn.create_stack(StackName=f"other-{index}", TemplateBody=template)
