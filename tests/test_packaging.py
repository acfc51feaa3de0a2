"""Installing is quiet and complete, and CI runs every test it claims to run."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_the_wheel_builds_without_setuptools_warnings_and_holds_every_data_file(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
                             "-w", str(tmp_path), str(REPO)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert not re.search(r"SetuptoolsDeprecationWarning|_Warning|check\.warn|Package .* is absent", output), output
    [wheel] = tmp_path.glob("ankideploy-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {f"ankideploy/preview_assets/{p.name}" for p in (REPO / "src/ankideploy/preview_assets").iterdir()}
    wanted |= {f"ankideploy/addon_source/web/{p.name}" for p in (REPO / "addon/web").iterdir() if p.is_file()}
    wanted |= {f"ankideploy/notetypes/{p.name}" for p in (REPO / "src/ankideploy/notetypes").iterdir()
               if p.suffix in (".html", ".css", ".json")}
    assert wanted - names == set()


def test_ci_script_sets_ci_itself_and_runs_the_slow_fuzz_run(tmp_path):
    """.ci/run, run for real with a ``python3`` that records how it was called."""
    fake = tmp_path / "bin"
    fake.mkdir()
    for name, body in (("python3", 'echo "CI=$CI SCALE=$ANKIDEPLOY_FUZZ_SCALE $*" >> "$RECORD"'), ("chromium", "")):
        (fake / name).write_text(f"#!/bin/sh\n{body}\n")
        (fake / name).chmod(0o755)
    record = tmp_path / "record"
    env = {"PATH": f"{fake}:/usr/bin:/bin", "RECORD": str(record), "HOME": str(tmp_path)}
    result = subprocess.run(["bash", str(REPO / ".ci" / "run")], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    calls = record.read_text().splitlines()
    assert calls[0].startswith("CI=true ") and calls[0].endswith(" tasks.py test")
    assert calls[1].startswith("CI=true SCALE=0.") and "tasks.py test -m slow" in calls[1]


def test_no_test_skips_a_missing_dependency_behind_ci_s_back():
    """A missing test dependency skips locally, fails under CI (conftest.require), never silently."""
    offenders = [p.name for p in (REPO / "tests").glob("*.py")
                 if p.name != Path(__file__).name and "importorskip(" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_require_fails_under_ci(tmp_path):
    test = tmp_path / "test_needs.py"
    test.write_text("from conftest import require\n\ndef test_it():\n    require('no_such_module_here')\n")
    (tmp_path / "conftest.py").write_text((REPO / "tests" / "conftest.py").read_text())
    base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", str(test)]
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    local = subprocess.run(base, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    ci = subprocess.run(base, cwd=tmp_path, env={**env, "CI": "true"}, capture_output=True, text=True, timeout=120)
    assert "1 skipped" in local.stdout, local.stdout
    assert ci.returncode == 1 and "1 failed" in ci.stdout, ci.stdout
