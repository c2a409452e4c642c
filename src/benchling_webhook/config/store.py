"""``ProfileStore`` owns the profiles on disk.

Layout: ``$XDG_CONFIG_HOME/benchling-webhook/<profile>/config.json`` (platformdirs, so ``~/.config`` on
Linux), ``config.json.bak`` holding the previous version, and ``deployments.json`` beside it. Writes are
atomic (temp file in the same directory + ``os.replace``) and files are 0600, directories 0700: a
profile names accounts, ARNs and client ids an admin may not want other local users to read.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from benchling_webhook.constants import APP_NAME
from benchling_webhook.errors import ConfigError, ProfileNotFoundError

from .models import ProfileConfig

_PROFILE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_SECRET_KEYS = {"clientSecret", "client_secret", "secretArn"}


def default_config_root() -> Path:
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False, roaming=True)


def strip_json_comments(text: str) -> str:
    """Drop ``//`` line comments outside strings (hand-written profiles carry them)."""
    out: list[str] = []
    in_string = escaped = False
    i = 0
    while i < len(text):
        ch = text[i]
        if in_string:
            out.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
            out.append(ch)
        elif text.startswith("//", i):
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def format_validation_error(source: str, error: ValidationError) -> str:
    """``<file>: benchling.tenant: field required; packages.bucket: ...`` — one line, fields named."""
    parts = []
    for item in error.errors():
        loc = ".".join(str(p) for p in item["loc"]) or "(top level)"
        msg = item["msg"]
        msg = msg.removeprefix("Value error, ")
        parts.append(f"{loc}: {msg[:1].lower()}{msg[1:]}")
    return f"invalid profile {source}: " + "; ".join(parts)


def parse_profile(text: str, source: str) -> ProfileConfig:
    """Parse and validate profile JSON, raising ``ConfigError`` that names the file and the fields."""
    try:
        data = json.loads(strip_json_comments(text))
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{source} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            hint="fix the file by hand or re-run: benchling-webhook setup",
        ) from None
    try:
        return ProfileConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(
            format_validation_error(source, exc),
            hint="fix the field(s) named above, or re-run: benchling-webhook setup",
        ) from None


def scrub(data: Any) -> Any:
    """A copy with secret-ish values masked, for display."""
    if isinstance(data, dict):
        return {k: ("****" if k in _SECRET_KEYS and v else scrub(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [scrub(v) for v in data]
    return data


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temp file + ``os.replace``), mode 0600."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class ProfileStore:
    """Reads and writes profiles under one root directory."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or default_config_root()

    @staticmethod
    def check_name(profile: str) -> str:
        if not _PROFILE_NAME_RE.match(profile):
            raise ConfigError(
                f"'{profile}' is not a valid profile name",
                hint="use letters, digits, '-' and '_' (e.g. dev, prod-eu)",
            )
        return profile

    def profile_dir(self, profile: str) -> Path:
        return self.root / self.check_name(profile)

    def config_path(self, profile: str) -> Path:
        return self.profile_dir(profile) / "config.json"

    def deployments_path(self, profile: str) -> Path:
        return self.profile_dir(profile) / "deployments.json"

    def exists(self, profile: str) -> bool:
        return self.config_path(profile).is_file()

    def list(self) -> builtins.list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / "config.json").is_file())

    def read_text(self, profile: str) -> str:
        path = self.config_path(profile)
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ProfileNotFoundError(profile, str(path)) from None
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror}") from None

    def load(self, profile: str) -> ProfileConfig:
        return parse_profile(self.read_text(profile), str(self.config_path(profile)))

    def save(self, profile: str, config: ProfileConfig) -> Path:
        """Validate, back up the previous version, and write atomically with mode 0600."""
        ProfileConfig.model_validate(config.model_dump(by_alias=True))
        directory = self.profile_dir(profile)
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = directory / "config.json"
        if path.exists():
            write_private(directory / "config.json.bak", path.read_text(encoding="utf-8"))
        write_private(path, config.to_json())
        return path

    def record_deployment(self, profile: str, record: dict[str, Any]) -> Path:
        """Append one deployment record (time, endpoint, stack, region, image, who)."""
        path = self.deployments_path(profile)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        history = self.deployments(profile)
        entry = {"time": datetime.now(UTC).isoformat(timespec="seconds"), **record}
        history.append(entry)
        write_private(path, json.dumps({"deployments": history}, indent=2) + "\n")
        return path

    def deployments(self, profile: str) -> builtins.list[dict[str, Any]]:
        path = self.deployments_path(profile)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{path} is unreadable: {exc}", hint="move the file aside and retry") from None
        items = data.get("deployments", []) if isinstance(data, dict) else data
        return list(items) if isinstance(items, list) else []
