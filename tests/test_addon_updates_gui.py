"""End to end: a course subscription in a real, headless Anki desktop, against a real HTTP
server on 127.0.0.1. The Anki side runs in tests/gui_updates_driver.py (its own process);
this test builds two versions of a course and the .ankiaddon, runs it, and checks what it
reports: subscribe, update, the summary, the retired card suspended with its history, and
four broken updates that each leave every note, card and revlog row as it was, with one
line to the learner and no error dialog."""
from __future__ import annotations

import json
import re

import pytest

from ankideploy.addon_package import package_addon
from conftest import build_decks
from test_addon_gui import _qt_env, _require_aqt, _run_driver  # noqa: F401 - shared set-up
from test_addon_gui import DRIVER as _UNUSED  # noqa: F401

pytestmark = pytest.mark.gui

LESSON = "episode-6-scaling-reliability-microservices-web3/6.9-interview-questions.md"
Q2, Q4, Q5 = "ad:fa35f75dd3f7d042", "ad:d3e85bf19ee44b72", "ad:97a0b41b072c6dba"
NEW_QUESTION = "### Q12. What is a health check?\n\n**Model answer:** A request the load balancer sends.\n\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    import os
    import subprocess
    import signal
    import sys
    from pathlib import Path
    from conftest import CONTENT
    import shutil

    tmp = tmp_path_factory.mktemp("anki-updates")
    env = _qt_env(tmp)
    # Anki runs one instance per user: a second one (another test run on this machine) would hand
    # its arguments to the first and quit. A key of its own keeps this Anki to itself.
    env["ANKI_SINGLE_INSTANCE_KEY"] = f"ankideploy-updates-test-{os.getpid()}-{tmp.name}"
    _require_aqt(env)
    content = tmp / "content"
    shutil.copytree(CONTENT, content, ignore=shutil.ignore_patterns("ankideploy-state.json"))

    def build(version: str, epoch: int) -> None:
        # one output folder, as an author has: the retired question's text is read from the last package
        assert not build_decks([content], tmp / "dist", epoch=epoch).diagnostics.error_count
        shutil.copytree(tmp / "dist", tmp / version)

    build("v1", 1_800_000_000)
    lesson = content / LESSON
    text = lesson.read_text(encoding="utf-8")
    q4 = re.search(r"### Q4\. .*?(?=### Q|## )", text, re.S).group(0)
    text = text.replace(q4, "").replace("in front of Node.js?", "in front of a Node.js app?")
    lesson.write_text(text.replace("## Quick-fire", NEW_QUESTION + "## Quick-fire", 1), encoding="utf-8")
    build("v2", 1_800_086_400)
    text = lesson.read_text(encoding="utf-8")
    lesson.write_text(text.replace(re.search(r"### Q5\. .*?(?=### Q|## )", text, re.S).group(0), ""),
                      encoding="utf-8")
    build("v3", 1_800_172_800)
    addon = package_addon(None, tmp / "addon")
    result_file = tmp / "result.json"
    driver = Path(__file__).resolve().parent / "gui_updates_driver.py"
    proc = subprocess.Popen([sys.executable, str(driver), "--base", str(tmp / "base"), "--addon", str(addon),
                             "--v1", str(tmp / "v1"), "--v2", str(tmp / "v2"), "--v3", str(tmp / "v3"),
                             "--site", str(tmp / "site"), "--hand-guid", Q5,
                             "--result", str(result_file), "--retired-guid", Q4, "--kept-guid", Q2],
                            env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=200)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        pytest.fail(f"Anki did not finish\n{out[-3000:]}\n{err[-3000:]}")
    report = json.loads(result_file.read_text(encoding="utf-8")) if result_file.exists() else {}
    assert proc.returncode == 0 and report.get("done"), (
        f"driver exit {proc.returncode}; errors: {report.get('errors')}\nstdout:\n{out[-4000:]}\nstderr:\n{err[-4000:]}")
    return report


def test_no_network_before_subscribing(run):
    assert run["subscriptions_before"] is None
    assert run["hooked_on_profile_open"] is True
    assert run["requests_before_subscribing"] == 0


def test_subscribe_brings_version_one(run):
    v1 = run["steps"]["v1"]
    assert v1["summary"] == "Final Production Deployment 2027-01-15: 0 questions changed, 21 new, 0 retired"
    assert v1["snapshot"]["notes"] == 21 and v1["snapshot"]["revlog"] == 0
    [sub] = v1["subscriptions"]
    assert sub["url"].startswith("http://127.0.0.1:") and sub["url"].endswith("/course.json")
    assert sub["version"] == "2027-01-15T08:00:00Z" and sub["error"] is None


def test_daily_check_applies_version_two_and_keeps_history(run):
    v2 = run["steps"]["v2"]
    assert v2["summary"] == "Final Production Deployment 2027-01-16: 1 question changed, 1 new, 1 retired (suspended)"
    assert "Show these notes" in v2["buttons"] and not v2["modal"] and v2["visible"]
    assert v2["snapshot"]["notes"] == 22, "nothing deleted, one note added"
    assert v2["snapshot"]["revlog"] == run["reviewed"]["revlog"] == 3
    assert v2["snapshot"]["digest"]["revlog"] == run["reviewed"]["digest"]["revlog"]
    assert "ankideploy::retired" in v2["retired_tags"]
    assert v2["retired_queues"] == [-1] and v2["retired_reviews"] == 2
    assert v2["subscriptions"][0]["version"] == "2027-01-16T08:00:00Z"
    # the re-import replaced the deck's description with this version's changelog
    assert "What changed in Final Production Deployment 2027-01-16" in v2["description"]
    assert "Retired:</p><ul><li>6.9 Q4: How do you connect a custom domain" in v2["description"]


def test_summary_button_opens_the_browser_on_those_notes(run):
    browser = run["browser"]
    assert browser["open"] and browser["search"].startswith("nid:")
    assert len(browser["notes"]) == 3 and {Q2, Q4} <= set(browser["notes"])


@pytest.mark.parametrize("kind, words", [
    ("sha", "does not match its sha256"),
    ("truncated", "not a valid zip file"),
    ("404", "HTTP 404"),
    ("down", "could not reach 127.0.0.1"),
])
def test_broken_update_changes_nothing_and_says_one_line(run, kind, words):
    step = run["steps"][kind]
    assert step["snapshot"] == step["before"], "every note, card and revlog row as before"
    assert len(step["new_messages"]) == 1
    line = step["new_messages"][0]
    assert words in line and "\n" not in line and "will retry" in line, line
    assert not step["summary_shown"]
    assert step["subscriptions"][0]["error"] and step["subscriptions"][0]["version"] == "2027-01-16T08:00:00Z"


def test_a_package_imported_by_hand_is_applied_too(run):
    hand = run["steps"]["hand"]
    assert hand["summary"] == "Final Production Deployment 2027-01-17: 0 questions changed, 0 new, 1 retired (suspended)"
    assert "ankideploy::retired" in hand["tags"] and hand["queues"] == [-1]
    assert hand["snapshot"]["notes"] == 22 and hand["snapshot"]["revlog"] == 3


def test_nothing_reached_an_error_dialog(run):
    assert run["stderr"] == [] and run["critical_boxes"] == []
    assert ":ERROR:" not in run["addon_log"]
