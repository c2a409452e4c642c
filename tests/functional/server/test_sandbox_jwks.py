from __future__ import annotations

import base64

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from benchling_webhook.sandbox.benchling import SandboxServer


def _public_key(jwk: dict[str, str]) -> ec.EllipticCurvePublicKey:
    def num(value: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")

    return ec.EllipticCurvePublicNumbers(num(jwk["x"]), num(jwk["y"]), ec.SECP256R1()).public_key()


def test_sandbox_publishes_a_jwks_that_verifies_its_signatures(sandbox: SandboxServer) -> None:
    body, headers = sandbox.state.signed(sandbox.state.envelope({"type": "v2.entry.created", "resourceId": "etr_1"}))

    jwks = httpx.get(sandbox.jwks_url_template.format(app_definition_id=sandbox.state.app_definition_id)).json()

    version, der = headers["webhook-signature"].split(",", 1)
    assert version == "v1der"
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    _public_key(jwks["keys"][0]).verify(base64.b64decode(der), signed, ec.ECDSA(hashes.SHA256()))
    assert headers["webhook-id"].startswith("msg_")
    assert sandbox.state.jwks_fetches == 1


def test_sandbox_rotation_publishes_old_and_new_keys_until_retired(sandbox: SandboxServer) -> None:
    url = sandbox.jwks_url_template.format(app_definition_id=sandbox.state.app_definition_id)
    old = sandbox.state.signer.kid

    new = sandbox.state.rotate_key().kid
    assert [k["kid"] for k in httpx.get(url).json()["keys"]] == [new, old]

    sandbox.state.retire_key(old)
    assert [k["kid"] for k in httpx.get(url).json()["keys"]] == [new]


def test_sandbox_answers_404_for_another_app_and_injected_failures(sandbox: SandboxServer) -> None:
    assert httpx.get(sandbox.jwks_url_template.format(app_definition_id="appdef_other")).status_code == 404
    sandbox.state.jwks_status = 503
    url = sandbox.jwks_url_template.format(app_definition_id=sandbox.state.app_definition_id)
    assert httpx.get(url).status_code == 503
    assert ("GET", f"/api/v1/apps/{sandbox.state.app_definition_id}/jwks") in sandbox.state.requests
