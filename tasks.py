#!/usr/bin/env python3
"""The two set-up commands (see README): each makes its own virtual environment.

    python3 tasks.py build   # decks from content/ and the add-on, into dist/
    python3 tasks.py test    # installs what the tests need and runs the whole suite
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def _python() -> str:
    return str(BIN / ("python.exe" if os.name == "nt" else "python"))


def ensure_venv(extras: str) -> None:
    """Create .venv and install the project (with ``extras``) unless already done for this pyproject."""
    if not (BIN / "python").exists() and not (BIN / "python.exe").exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    marker = VENV / f".installed-{extras or 'base'}"
    if marker.exists() and marker.read_text() == digest:
        return
    spec = f".[{extras}]" if extras else "."
    _pip(["install", "--quiet", "--disable-pip-version-check", "--upgrade", "pip"])
    # setuptools announces, as a warning, how an editable install of a package with a mapped folder
    # (the add-on) works; it is information about this set-up, not a problem: keep the install quiet.
    quiet = {**os.environ, "PYTHONWARNINGS": ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"),
                                                                   "ignore:Editable installation"]))}
    _pip(["install", "--quiet", "--disable-pip-version-check", "-e", spec], env=quiet)
    marker.write_text(digest)


def _pip(args: list[str], env=None) -> None:
    """pip, quiet: a machine whose pip configuration names package folders that do not exist makes
    pip warn once per package ("Location ... is ignored"); those lines say nothing about this
    project and are left out. Everything else pip prints is shown, and all of it when pip fails."""
    result = subprocess.run([_python(), "-m", "pip", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    shown = [line for line in (result.stdout + result.stderr).splitlines()
             if not (line.startswith("WARNING: Location '") and line.endswith("is neither a file nor a directory."))]
    if result.returncode != 0:
        print(result.stdout + result.stderr, file=sys.stderr)
        raise SystemExit(result.returncode)
    if shown:
        print("\n".join(shown), file=sys.stderr)


def build() -> int:
    ensure_venv("")
    tool = [_python(), "-m", "ankideploy"]
    code = subprocess.run([*tool, "build", "content", "-o", "dist"], cwd=ROOT).returncode
    addon = subprocess.run([*tool, "addon", "-o", "dist"], cwd=ROOT).returncode
    return code or addon


def test(args: list[str]) -> int:
    ensure_venv("test,gui")
    result = subprocess.run([_python(), "-m", "pytest", *args], cwd=ROOT)
    if result.returncode == 5:
        print("pytest collected no tests: that is a failure", file=sys.stderr)
        return 1
    return result.returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("build", "test"):
        print(__doc__)
        return 2
    return build() if argv[0] == "build" else test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
