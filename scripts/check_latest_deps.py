#!/usr/bin/env python3
"""Tomorrow's breakage, today: the suite against the newest packages the index offers.

CI installs exactly ``uv.lock``, so a new release upstream cannot turn it red. A user who runs
``pip install benchling-webhook`` gets whatever is newest within ``pyproject.toml``'s ranges, though.
This script resolves those newest versions into a scratch venv (the lock is not used), runs the test
suite there and prints which packages moved away from the lock and which tests broke. It is not part of
CI: run it before bumping the lock (``uv lock --upgrade``) or on a schedule.

    python scripts/check_latest_deps.py                 # newest versions within pyproject.toml's ranges
    python scripts/check_latest_deps.py --uncapped      # also drop the caps that exclude known breakage
    python scripts/check_latest_deps.py -- -k athena    # extra arguments go to pytest

Exit status: 0 when the suite passes on the newest versions, 1 when something broke, 2 on a setup error.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Caps in pyproject.toml that exclude a combination known to break (see the comments there). With
# --uncapped they are lifted, to learn whether the upstream fix has landed.
CAPS = ("botocore<1.44",)
_FAILED = re.compile(r"^(FAILED|ERROR) (\S+)")


def locked_versions() -> dict[str, str]:
    """Package name → version, as uv.lock pins it for this platform and Python with every extra."""
    from packaging.requirements import Requirement  # installed with the test extra

    exported = _run(["uv", "export", "--frozen", "--all-extras", "--no-hashes", "--no-emit-project",
                     "--format", "requirements-txt"], capture=True).stdout
    versions: dict[str, str] = {}
    for line in exported.splitlines():
        if not line or line.startswith(("#", " ", "-")):
            continue
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate():
            versions[_norm(requirement.name)] = str(requirement.specifier).removeprefix("==")
    return versions


def installed_versions(python: Path) -> dict[str, str]:
    out = _run(["uv", "pip", "freeze", "--python", str(python)], capture=True).stdout
    versions: dict[str, str] = {}
    for line in out.splitlines():
        name, sep, version = line.partition("==")
        if sep:
            versions[_norm(name)] = version.strip()
    return versions


def moved(locked: dict[str, str], newest: dict[str, str]) -> list[tuple[str, str, str]]:
    """(package, locked, newest) for every package whose version differs from the lock."""
    names = sorted(set(locked) | set(newest))
    rows = [(n, locked.get(n, "-"), newest.get(n, "-")) for n in names if locked.get(n) != newest.get(n)]
    return [r for r in rows if r[0] != "benchling-webhook"]


def failures(pytest_output: str) -> list[str]:
    return [m.group(2) for line in pytest_output.splitlines() if (m := _FAILED.match(line))]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _run(args: list[str], *, capture: bool = False, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, text=True, check=False,
                          stdout=subprocess.PIPE if capture else None, stderr=subprocess.STDOUT if capture else None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uncapped", action="store_true", help=f"also lift {', '.join(CAPS)}")
    parser.add_argument("--keep", action="store_true", help="keep the scratch venv and print its path")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    args = parser.parse_args(argv)

    scratch = Path(tempfile.mkdtemp(prefix="bw-latest-"))
    venv = scratch / "venv"
    python = venv / "bin" / "python"
    if _run(["uv", "venv", "--quiet", "--python", sys.executable, str(venv)]).returncode:
        print("could not create a scratch venv (is uv installed? pip install uv)", file=sys.stderr)
        return 2
    install = ["uv", "pip", "install", "--quiet", "--python", str(python), "--upgrade", "--refresh",
               "-e", f"{ROOT}[test]"]
    if args.uncapped:
        # An override replaces every requirement on the package, so the cap disappears from the resolution.
        overrides = scratch / "overrides.txt"
        overrides.write_text("".join(re.split(r"[<>=!~]", cap)[0] + "\n" for cap in CAPS))
        install += ["--override", str(overrides)]
    print(f"resolving the newest versions into {venv} …", flush=True)
    if _run(install).returncode:
        print("the newest versions do not install together (see above)", file=sys.stderr)
        return 1

    changes = moved(locked_versions(), installed_versions(python))
    print(f"\n{len(changes)} package(s) differ from uv.lock:" if changes else "\nno package differs from uv.lock")
    width = max((len(n) for n, _, _ in changes), default=0)
    for name, old, new in changes:
        print(f"  {name:<{width}}  {old} → {new}")

    print("\nrunning the suite on them …", flush=True)
    result = _run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfE", *args.pytest_args],
                  capture=True)
    tail = result.stdout.strip().splitlines()[-1:] or ["(no output)"]
    broken = failures(result.stdout)
    if result.returncode == 0:
        print(f"suite green on the newest versions: {tail[0]}")
    else:
        print(result.stdout[-4000:] if not broken else "")
        print(f"{len(broken)} test(s) broke on the newest versions: {tail[0]}")
        by_file: dict[str, list[str]] = {}
        for test in broken:
            by_file.setdefault(test.split("::")[0], []).append(test.split("::", 1)[-1])
        for path, tests in sorted(by_file.items()):
            print(f"  {path} ({len(tests)}): {', '.join(tests[:4])}{' …' if len(tests) > 4 else ''}")
    if args.keep:
        print(f"scratch venv kept at {venv}")
    else:
        _run(["rm", "-rf", str(scratch)])
    return 0 if result.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
