"""The card's own prompt and "Check yourself" in a real, headless Anki desktop without the add-on.

This is what a learner without the add-on sees, and the closest this suite gets to AnkiDroid
with Anki's own reviewer page: tests/gui_driver.py reviews two interview cards (light, then
dark), clicks steps and parts, runs the card's scripts again, and reports what the page
shows; the assertions are here.
"""
from __future__ import annotations

import json
import re

import pytest

from conftest import CONTENT, build_decks
from test_addon_gui import ARTIFACTS, _qt_env, _require_aqt, _run_driver

pytestmark = pytest.mark.gui

SPEAK_SECONDS = 45


@pytest.fixture(scope="module")
def plain_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("anki-plain")
    env = _qt_env(tmp)
    _require_aqt(env)
    deck = build_decks([CONTENT], tmp / "dist", use_state=False, speak_seconds=SPEAK_SECONDS).packages[0]
    result_file = tmp / "result.json"
    run = _run_driver(["--base", str(tmp / "anki-base"), "--deck", str(deck), "--result", str(result_file),
                       "--artifacts", str(ARTIFACTS)], env)
    report = json.loads(result_file.read_text(encoding="utf-8")) if result_file.exists() else {}
    assert run.returncode == 0 and report.get("done"), (
        f"driver exit {run.returncode}; errors: {report.get('errors')}\n"
        f"stdout:\n{run.stdout[-4000:]}\nstderr:\n{run.stderr[-4000:]}")
    return report, run


def test_the_prompt_once_with_its_timer(plain_run):
    report, _ = plain_run
    assert len(report["cards"]) == 2
    for card in report["cards"]:
        question = card["question"]
        assert question["panels"] == 0 and question["template_prompts"] == 1, card["cid"]
        assert question["fallback_shown"] and question["say_aloud_seen"] == 1
        assert question["template_timer"] == "0:45"
        assert question["template_steps"] == ["false", "false", "false"]
        assert card["answer"]["template_prompts"] == 0 and card["answer"]["say_aloud_seen"] == 0


def test_timer_counts_and_steps_are_marked_once_per_click(plain_run):
    report, _ = plain_run
    later = report["cards"][0]["question_later"]
    assert re.fullmatch(r"0:[0-4]\d", later["template_timer"]) and later["template_timer"] != "0:45"
    # definition and pitfall clicked, the scripts run twice more, then example clicked once
    assert later["template_steps"] == ["true", "true", "true"]


def test_check_yourself_parts_resolve_and_highlight(plain_run):
    report, _ = plain_run
    for card in report["cards"]:
        parts = card["answer"]["parts"]
        assert [p["part"] for p in parts] == ["definition", "example", "pitfall"]
        assert all((p["missing"] and p["target"] is None) or (p["resolves"] and not p["missing"]) for p in parts)
        found = [p for p in parts if not p["missing"]]
        assert found, "lesson 6.9's first two beginner answers each point at a passage"
        assert card["answer_after_click"]["lit"] == [found[0]["target"]]


def test_no_overflow_aa_contrast_light_and_night(plain_run):
    report, _ = plain_run
    light, dark = report["cards"]
    assert not light["question_looks"]["night"] and dark["question_looks"]["night"]
    for card in (light, dark):
        for key in ("question_looks", "answer_looks", "answer_lit_looks"):
            assert card[key]["problems"] == [], (key, card[key])
        assert not card["question"]["overflow"] and not card["answer"]["overflow"]


def test_no_js_errors(plain_run):
    report, run = plain_run
    assert [line for line in run.stdout.splitlines() if "JS error" in line] == []
    assert report["stderr"] == []
