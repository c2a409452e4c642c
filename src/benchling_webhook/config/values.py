"""Values that the profile, the setup wizard and the server all accept in more than one spelling.

Each has one parser here, so a tenant typed into the wizard, written in a profile or stored in the
Benchling secret means the same thing everywhere, and so does an allow list in a profile or in
``WEBHOOK_ALLOW_LIST``.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlparse

from pydantic import AfterValidator

BENCHLING_DOMAIN = ".benchling.com"
_SCHEME_RE = re.compile(r"^[a-z]+://")
_TENANT_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def normalize_tenant(value: str) -> str:
    """``acme``, ``acme.benchling.com`` and ``https://acme.benchling.com/...`` all mean tenant ``acme``."""
    text = _SCHEME_RE.sub("", value.strip().lower())
    return text.split("/", 1)[0].removesuffix(BENCHLING_DOMAIN)


def tenant_problem(value: str) -> str | None:
    """Why ``value`` names no Benchling tenant, or ``None`` (the tenant is its first DNS label)."""
    if _TENANT_RE.match(normalize_tenant(value)):
        return None
    return f"'{value}' is not a Benchling tenant (expected e.g. 'acme' or 'acme.benchling.com')"


def parse_tenant(value: str) -> str:
    """The tenant ``value`` names, or a ``ValueError`` saying why it names none."""
    problem = tenant_problem(value)
    if problem:
        raise ValueError(problem)
    return normalize_tenant(value)


# A model field holding a tenant, in any spelling on the way in and normalised once validated.
Tenant = Annotated[str, AfterValidator(parse_tenant)]


def benchling_url(tenant: str, override: str | None = None) -> str:
    """The tenant's API root without ``/api/v2``: ``https://<tenant>.benchling.com`` unless overridden
    (a local sandbox)."""
    return (override or f"https://{normalize_tenant(tenant)}{BENCHLING_DOMAIN}").rstrip("/")


def base_url_problem(value: str) -> str | None:
    """Why ``value`` may not receive the client credentials, or ``None``: https, or plain http to this
    machine only (a local sandbox)."""
    parsed = urlparse(value.strip())
    if not parsed.hostname:
        return f"'{value}' is not a URL"
    if parsed.scheme == "https":
        return None
    if parsed.scheme == "http" and parsed.hostname in LOOPBACK_HOSTS:
        return None
    return (f"'{value}' would send the Benchling client credentials unencrypted: use https "
            "(plain http is accepted only for a sandbox on this machine: localhost, 127.0.0.1, ::1)")


def parse_base_url(value: str) -> str:
    problem = base_url_problem(value)
    if problem:
        raise ValueError(problem)
    return value.strip().rstrip("/")


# A Benchling API base URL override: https, or http to loopback.
BaseUrl = Annotated[str, AfterValidator(parse_base_url)]
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def split_cidrs(value: str) -> list[str]:
    """A comma-separated allow list (``"10.0.0.0/8, 192.0.2.7"``) as its entries, blanks dropped."""
    return [part.strip() for part in value.split(",") if part.strip()]
