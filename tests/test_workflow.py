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
