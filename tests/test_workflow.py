"""The course workflow validates against GitHub's workflow schema (shipped offline)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

WORKFLOW = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "decks.yml"


def test_workflow_matches_githubs_schema():
    tool = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    result = subprocess.run([tool, "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_checks_builds_uploads_and_releases_the_same_bytes():
    flow = yaml.safe_load(WORKFLOW.read_text())
    triggers = flow[True] if True in flow else flow["on"]  # YAML 1.1 reads "on" as True
    assert "content/**" in triggers["push"]["paths"]
    build_steps = " ".join(str(step.get("run", "")) + str(step.get("uses", "")) for step in flow["jobs"]["build"]["steps"])
    assert "ankideploy check" in build_steps and "ankideploy build" in build_steps
    assert "ankideploy addon" in build_steps and "upload-artifact" in build_steps
    assert "SOURCE_DATE_EPOCH" in build_steps
    release = flow["jobs"]["release"]
    assert release["needs"] == "build" and "download-artifact" in str(release["steps"])
    assert "ankideploy build" not in str(release["steps"])  # publish what was built, never rebuild


def _install_script() -> str:
    flow = yaml.safe_load(WORKFLOW.read_text())
    [step] = [s for s in flow["jobs"]["build"]["steps"] if s.get("name") == "Install ankideploy"]
    assert step["env"]["PACKAGE"] == "${{ vars.ANKIDEPLOY_PACKAGE }}"  # a variable, never pasted into the script
    return step["run"]


def _run_install(tmp_path: Path, package: str, checkout: dict[str, str]):
    """The install step run by bash, with a ``python`` that records what pip was asked to install."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python").write_text('#!/bin/sh\necho "$*" >> "$RECORD"\n')
    (fake / "python").chmod(0o755)
    work = tmp_path / "checkout"
    work.mkdir()
    for name, text in checkout.items():
        (work / name).write_text(text)
    record = tmp_path / "record"
    env = {"PATH": f"{fake}:/usr/bin:/bin", "PACKAGE": package, "RECORD": str(record)}
    result = subprocess.run(["bash", "-e", "-c", _install_script()], cwd=work, env=env, capture_output=True,
                            text=True, timeout=60)
    return result, record.read_text() if record.exists() else ""


def test_workflow_never_installs_an_unpinned_package_by_default(tmp_path):
    result, installed = _run_install(tmp_path, "", {"README.md": "a course"})
    assert result.returncode != 0 and installed == ""
    assert "::error::" in result.stdout and "ANKIDEPLOY_PACKAGE" in result.stdout
    assert "0.1.0" not in _install_script().replace("@v0.1.0", "")


def test_workflow_installs_the_pinned_requirement(tmp_path):
    pinned = "ankideploy @ git+https://example.invalid/ankideploy@v0.1.0"
    result, installed = _run_install(tmp_path, pinned, {})
    assert result.returncode == 0 and installed == f"-m pip install {pinned}\n"


def test_workflow_in_a_clone_of_the_tool_installs_the_checkout(tmp_path):
    pyproject = (WORKFLOW.parent.parent.parent / "pyproject.toml").read_text()
    result, installed = _run_install(tmp_path, "", {"pyproject.toml": pyproject})
    assert result.returncode == 0 and installed == "-m pip install .\n"
