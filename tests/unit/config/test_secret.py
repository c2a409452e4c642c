from __future__ import annotations

import json

from pydantic import SecretStr

from benchling_webhook.config.secret import BenchlingCredentials
from benchling_webhook.server.secrets import parse_secret


def test_what_setup_writes_is_what_the_server_reads() -> None:
    written = BenchlingCredentials(tenant="https://acme.benchling.com/", client_id="client_abc",
                                   client_secret=SecretStr("cs_TopSecret"), app_definition_id="appdef_1")
    assert json.loads(written.to_json()) == {"tenant": "acme", "client_id": "client_abc",
                                             "client_secret": "cs_TopSecret", "app_definition_id": "appdef_1"}
    assert parse_secret(written.to_json()) == written
    assert "cs_TopSecret" not in repr(written)
