from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from benchling_webhook.config.models import ProfileConfig
from benchling_webhook.config.values import (
    base_url_problem,
    benchling_url,
    normalize_tenant,
    parse_tenant,
    split_cidrs,
    tenant_problem,
)
from tests.helpers import minimal_profile


@pytest.mark.parametrize("value", [
    "acme", " ACME ", "acme.benchling.com", "https://acme.benchling.com", "https://acme.benchling.com/",
    "http://Acme.Benchling.com/entries/etr_1?x=y",
])
def test_every_spelling_of_a_tenant_means_the_same_tenant(value: str) -> None:
    assert normalize_tenant(value) == parse_tenant(value) == "acme"
    assert tenant_problem(value) is None
    assert benchling_url(value) == "https://acme.benchling.com"


@pytest.mark.parametrize("value", ["", "ac me", "-acme", "acme_corp", "https://"])
def test_what_is_not_a_tenant_is_said(value: str) -> None:
    problem = f"'{value}' is not a Benchling tenant (expected e.g. 'acme' or 'acme.benchling.com')"
    assert tenant_problem(value) == problem
    with pytest.raises(ValueError, match=re.escape(problem)):
        parse_tenant(value)


def test_a_base_url_override_wins_without_its_trailing_slash() -> None:
    assert benchling_url("acme", "http://127.0.0.1:8000/") == "http://127.0.0.1:8000"


@pytest.mark.parametrize(("value", "expected"), [
    ("10.0.0.0/8, 192.0.2.7", ["10.0.0.0/8", "192.0.2.7"]),
    (" 2001:db8::/32 ,, ", ["2001:db8::/32"]),
    ("", []),
])
def test_an_allow_list_splits_on_commas_and_drops_blanks(value: str, expected: list[str]) -> None:
    assert split_cidrs(value) == expected


@pytest.mark.parametrize("url", ["https://acme.benchling.com", "http://127.0.0.1:8123", "http://localhost:9",
                                 "http://[::1]:80/"])
def test_base_urls_that_may_receive_credentials(url: str) -> None:
    assert base_url_problem(url) is None


@pytest.mark.parametrize("url", ["http://acme.benchling.com", "http://10.0.0.5:8080", "ftp://x", "not a url"])
def test_base_urls_that_would_leak_credentials_are_refused(url: str) -> None:
    assert base_url_problem(url) is not None
    with pytest.raises(ValidationError, match=r"unencrypted|is not a URL"):
        ProfileConfig.model_validate(minimal_profile(benchling={"tenant": "acme", "clientId": "c",
                                                                 "appDefinitionId": "appdef_x", "baseUrl": url}))
