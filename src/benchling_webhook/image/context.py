"""The image's build context: the Dockerfile, the wheel of the running version and the runtime lock.

The image is built from the artefact users install, not from a source tree, so a wheel-only install
(``pip install benchling-webhook``) can build it as well as a checkout can. The wheel is rebuilt from the
files of the package that is running, which is the same set of files in both cases: an editable
checkout imports them from ``src/``, a wheel install from ``site-packages``. ``pylock.toml`` (PEP 751) is
the runtime part of the project's ``uv.lock``, exported into the package so every install carries the
versions CI tested; the Dockerfile installs exactly it, hash-checked.

The wheel is reproducible: fixed timestamps and sorted entries make the same files give the same bytes,
so the context's digest names the image tag and an unchanged version is not built twice.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import benchling_webhook
from benchling_webhook import __version__
from benchling_webhook.constants import APP_NAME

DISTRIBUTION = APP_NAME
DATA = Path(__file__).resolve().parent
DOCKERFILE = DATA / "Dockerfile"
PYLOCK = DATA / "pylock.toml"
# Zip entries get this timestamp (the zip format's earliest) so a rebuild gives identical bytes.
_EPOCH = (1980, 1, 1, 0, 0, 0)
_SKIPPED_DIRS = {"__pycache__"}
_SKIPPED_SUFFIXES = {".pyc", ".pyo"}


@dataclass(frozen=True)
class BuildContext:
    """A written build context."""

    directory: Path
    wheel: Path
    digest: str  # sha256 over the three files: what the image tag is derived from

    @property
    def files(self) -> list[Path]:
        return [self.directory / "Dockerfile", self.directory / "pylock.toml", self.wheel]

    @property
    def tag(self) -> str:
        """``<version>-<12 hex digits>``: immutable tags stay unique per content, readable per version."""
        return f"{__version__}-{self.digest[:12]}"


def write_context(directory: Path) -> BuildContext:
    """Write Dockerfile, pylock.toml and the wheel into ``directory`` (created; existing wheels replaced)."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.whl"):
        stale.unlink()
    shutil.copyfile(DOCKERFILE, directory / "Dockerfile")
    shutil.copyfile(PYLOCK, directory / "pylock.toml")
    wheel = build_wheel(directory)
    digest = hashlib.sha256()
    for path in (directory / "Dockerfile", directory / "pylock.toml", wheel):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return BuildContext(directory=directory, wheel=wheel, digest=digest.hexdigest())


def build_wheel(directory: Path) -> Path:
    """A ``py3-none-any`` wheel of the running package, from its importable files and its metadata."""
    distribution = importlib.metadata.distribution(DISTRIBUTION)
    name = DISTRIBUTION.replace("-", "_")
    dist_info = f"{name}-{__version__}.dist-info"
    wheel = directory / f"{name}-{__version__}-py3-none-any.whl"
    package = Path(benchling_webhook.__file__).resolve().parent

    entries: list[tuple[str, bytes]] = [
        (f"benchling_webhook/{path.relative_to(package).as_posix()}", path.read_bytes())
        for path in _package_files(package)
    ]
    entries.append((f"{dist_info}/METADATA", _metadata(distribution).encode()))
    entries.append((f"{dist_info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: benchling-webhook\n"
                                          b"Root-Is-Purelib: true\nTag: py3-none-any\n"))
    entry_points = distribution.read_text("entry_points.txt")
    if entry_points:
        entries.append((f"{dist_info}/entry_points.txt", entry_points.encode()))
    record = "".join(f"{path},sha256={_urlsafe_sha256(data)},{len(data)}\n" for path, data in entries)
    record += f"{dist_info}/RECORD,,\n"
    entries.append((f"{dist_info}/RECORD", record.encode()))

    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in entries:
            info = zipfile.ZipInfo(path, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return wheel


def _package_files(package: Path) -> Iterator[Path]:
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix not in _SKIPPED_SUFFIXES \
                and not _SKIPPED_DIRS.intersection(path.relative_to(package).parts):
            yield path


def _metadata(distribution: importlib.metadata.Distribution) -> str:
    """The installed METADATA, which an editable and a wheel install both carry (version included)."""
    text = distribution.read_text("METADATA")
    if not text:
        raise FileNotFoundError(f"{DISTRIBUTION} is installed without METADATA; reinstall it")
    return text


def _urlsafe_sha256(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
