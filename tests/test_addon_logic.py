"""The add-on's logic (which cards, what HTML, which settings) with real `anki` cards.

The logic modules are loaded as a package *without* running addon/__init__.py,
which needs a running Anki desktop; that part is covered by test_addon_gui.py.
"""
from __future__ import annotations

import ast
import importlib
import json
import logging
import re
import sys
import types
from dataclasses import asdict

import pytest

from conftest import CONTENT, REPO, build_decks, import_apkg, new_collection, require

ADDON = REPO / "addon"
LOGIC_MODULES = ("prompt.py", "settings.py")
_PACKAGE = "_say_it_aloud_logic"
STEPS = ["Definition", "Example", "Pitfall"]
NON_REVIEW_KINDS = ["reviewAnswer", "previewQuestion", "previewAnswer", "clayoutQuestion", "clayoutAnswer"]


def _logic(name: str):
    if _PACKAGE not in sys.modules:
        package = types.ModuleType(_PACKAGE)
        package.__path__ = [str(ADDON)]  # a package whose __init__ is never run
        sys.modules[_PACKAGE] = package
    return importlib.import_module(f"{_PACKAGE}.{name}")


prompt = _logic("prompt")
settings = _logic("settings")
LOG = logging.getLogger("addon.say_it_aloud")


@pytest.fixture(scope="module")
def cards(tmp_path_factory):
    """One card of each kind, in a fresh collection holding the built deck."""
    tmp = tmp_path_factory.mktemp("addon-logic")
    package = build_decks([CONTENT], tmp / "dist", use_state=False).packages[0]
    col = new_collection(tmp / "anki")
    import_apkg(col, package)
    basic = col.new_note(col.models.by_name("Basic"))
    basic["Front"], basic["Back"] = "What is a CDN?", "A content delivery network."
    col.add_note(basic, col.decks.id("Default"))

    def first(search: str):
        return col.get_card(sorted(col.find_cards(search))[0])

    yield {
        "interview": first(f"mid:{prompt.INTERVIEW_NOTETYPE_ID}"),
        "quick": first("mid:1794512603102"),
        "basic": first(f"nid:{basic.id}"),
        "col": col,
    }
    col.close()


def _panels(html: str) -> int:
    return html.count(f'id="{prompt.PANEL_ID}"')


def _steps(html: str) -> list[str]:
    return re.findall(r'<span class="sa-step">([^<]*)</span>', html)


# which cards ---------------------------------------------------------------


def test_interview_question_side_gets_the_panel_in_place_of_the_fallback(cards):
    card = cards["interview"]
    question = card.question()
    assert 'id="ad-say-aloud"' in question  # the template's static line for AnkiDroid
    shown = prompt.add_prompt(question, card, "reviewQuestion", settings.DEFAULTS)
    assert _panels(shown) == 1
    assert _steps(shown) == STEPS
    assert 'id="ad-say-aloud"' not in shown, "the fallback line is replaced, not doubled"
    assert "#ad-say-aloud{display:none}" in shown
    # the rest of the card is untouched, and the panel sits where the line was: in the card
    before, after = question.split("<!--say-aloud-->")[0], question.split("<!--/say-aloud-->")[1]
    assert shown.startswith(before) and shown.endswith(after)


@pytest.mark.parametrize("kind", NON_REVIEW_KINDS)
def test_interview_card_untouched_outside_the_review_question(cards, kind):
    card = cards["interview"]
    text = card.answer() if kind.endswith("Answer") else card.question()
    assert prompt.add_prompt(text, card, kind, settings.DEFAULTS) == text


@pytest.mark.parametrize("kind", ["reviewQuestion", "reviewAnswer"])
def test_quick_fire_cards_untouched(cards, kind):
    card = cards["quick"]
    text = card.question() if kind == "reviewQuestion" else card.answer()
    assert prompt.add_prompt(text, card, kind, settings.DEFAULTS) == text


def test_other_note_types_untouched_by_default(cards):
    card = cards["basic"]
    assert prompt.add_prompt(card.question(), card, "reviewQuestion", settings.DEFAULTS) == card.question()


def test_config_can_add_a_note_type_by_name(cards):
    card = cards["basic"]
    chosen = settings.Settings(extra_note_types=("Basic",))
    shown = prompt.add_prompt(card.question(), card, "reviewQuestion", chosen)
    assert shown.startswith(card.question()) and _panels(shown) == 1
    assert prompt.add_prompt(card.answer(), card, "reviewAnswer", chosen) == card.answer()


def test_interview_note_type_matched_by_id_even_when_renamed(cards):
    col, card = cards["col"], cards["interview"]
    note_type = col.models.get(prompt.INTERVIEW_NOTETYPE_ID)
    original = note_type["name"]
    note_type["name"] = "My interview cards"
    col.models.update_dict(note_type)
    try:
        card.load()
        assert _panels(prompt.add_prompt(card.question(), card, "reviewQuestion", settings.DEFAULTS)) == 1
    finally:
        note_type["name"] = original
        col.models.update_dict(note_type)


def test_running_the_filter_twice_keeps_one_panel(cards):
    card = cards["interview"]
    once = prompt.add_prompt(card.question(), card, "reviewQuestion", settings.DEFAULTS)
    assert prompt.add_prompt(once, card, "reviewQuestion", settings.DEFAULTS) == once


def test_panel_without_the_template_markers_is_appended_and_hides_the_fallback(cards):
    card = cards["interview"]
    stripped = card.question().replace("<!--say-aloud-->", "").replace("<!--/say-aloud-->", "")
    shown = prompt.add_prompt(stripped, card, "reviewQuestion", settings.DEFAULTS)
    assert shown.startswith(stripped) and _panels(shown) == 1
    assert "<style>#ad-say-aloud{display:none}</style>" in shown


# what HTML ----------------------------------------------------------------------


def test_timer_and_recorder_follow_the_settings():
    plain = prompt.panel_html(settings.Settings(timer_seconds=0, show_recorder=False))
    assert "sa-timer" not in plain and "data-sayaloud-cmd" not in plain and "sa-tools" not in plain
    full = prompt.panel_html(settings.Settings(timer_seconds=90, show_recorder=True))
    assert '<span class="sa-timer" role="timer"' in full and ">1:30<" in full
    assert 'data-seconds="90"' in full
    assert 'data-sayaloud-cmd="record"' in full and "Shift+V" in full
    assert 'data-sayaloud-cmd="play"' in full and "<kbd>V</kbd>" in full


def test_buttons_map_to_ankis_own_recorder():
    assert prompt.reviewer_action("sayaloud:record") == "onRecordVoice"
    assert prompt.reviewer_action("sayaloud:play") == "onReplayRecorded"
    assert prompt.reviewer_action("ans") is None and prompt.reviewer_action("sayaloud:rm -rf") is None


def test_inline_script_is_safe_to_run_again():
    # the card's own script runs on every card in the same page: no top-level bindings
    scripts = re.findall(r"<script>(.*?)</script>", prompt.panel_html(settings.DEFAULTS), re.DOTALL)
    assert scripts == ["(function(){if(window.sayAloud){window.sayAloud.mount();}})();"]


def test_page_script_has_no_top_level_bindings():
    source = (ADDON / "web" / "say_aloud.js").read_text(encoding="utf-8")
    code = re.sub(r"/\*.*?\*/", "", source, flags=re.DOTALL).strip()
    assert code.startswith("(function () {") and code.endswith("})();")
    assert not re.search(r"^(const|let|class|function)\b", code, re.MULTILINE)


def test_night_rules_never_select_a_card_inside_night_mode():
    css = (ADDON / "web" / "say_aloud.css").read_text(encoding="utf-8")
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    selectors = [s.strip() for block in re.findall(r"([^{}]+)\{", css) for s in block.split(",")]
    night = [s for s in selectors if "nightMode" in s]
    assert ".nightMode .sa-panel" in night
    # desktop puts .card and .nightMode on the same <body>: a .card below it never matches
    assert not [s for s in night if re.search(r"\.nightMode\s.*\.card\b", s)]


# settings ------------------------------------------------------------------------


@pytest.mark.parametrize("raw, expected", [
    (None, {}),
    ("timer_seconds: 60", {}),
    ([], {}),
    ({"timer_seconds": "60"}, {}),
    ({"timer_seconds": -1}, {}),
    ({"timer_seconds": 1.5}, {}),
    ({"timer_seconds": True}, {}),
    ({"timer_seconds": 99999}, {}),
    ({"extra_note_types": "Basic"}, {}),
    ({"extra_note_types": ["Basic", 3]}, {}),
    ({"extra_note_types": [" "]}, {}),
    ({"show_recorder": "no"}, {}),
    ({"timer_seconds": 30, "show_recorder": 0, "colour": "red"}, {"timer_seconds": 30}),
])
def test_broken_config_falls_back_per_key_with_one_warning(raw, expected, caplog):
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        parsed = settings.parse_settings(raw, LOG)
    assert parsed == settings.Settings(**expected)
    assert len(caplog.records) == 1


def test_partial_config_uses_defaults_quietly(caplog):
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        parsed = settings.parse_settings({"timer_seconds": 60, "extra_note_types": [" Basic "]}, LOG)
    assert parsed == settings.Settings(extra_note_types=("Basic",), timer_seconds=60, show_recorder=True)
    assert caplog.records == []


def test_broken_config_still_shows_the_default_panel(cards, caplog):
    card = cards["interview"]
    with caplog.at_level(logging.WARNING, logger=LOG.name):
        broken = settings.parse_settings({"timer_seconds": "soon", "show_recorder": None,
                                          "extra_note_types": {"Basic": True}}, LOG)
    shown = prompt.add_prompt(card.question(), card, "reviewQuestion", broken)
    assert shown == prompt.add_prompt(card.question(), card, "reviewQuestion", settings.DEFAULTS)
    assert len(caplog.records) == 1 and "timer_seconds" in caplog.text and "show_recorder" in caplog.text


def test_config_json_matches_the_code_defaults():
    shipped = json.loads((ADDON / "config.json").read_text(encoding="utf-8"))
    defaults = {key: list(value) if isinstance(value, tuple) else value
                for key, value in asdict(settings.DEFAULTS).items()}
    assert shipped == defaults


def test_schema_agrees_with_the_validation():
    jsonschema = require("jsonschema")
    schema = json.loads((ADDON / "config.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    assert validator.is_valid(json.loads((ADDON / "config.json").read_text(encoding="utf-8")))
    assert validator.is_valid({"extra_note_types": ["Basic"], "timer_seconds": 3600, "show_recorder": False})
    for bad in ({"timer_seconds": -1}, {"timer_seconds": 1.5}, {"timer_seconds": True},
                {"extra_note_types": [" "]}, {"show_recorder": "no"}, {"colour": "red"}):
        assert not validator.is_valid(bad), bad


# packaging rules -----------------------------------------------------------------


def _imports(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("name", LOGIC_MODULES)
def test_logic_modules_do_not_import_anki_or_aqt(name):
    assert not _imports(ADDON / name) & {"aqt", "anki", "ankideploy"}


def test_addon_never_imports_ankideploy():
    for path in ADDON.rglob("*.py"):
        assert "ankideploy" not in _imports(path), path


def test_manifest():
    manifest = json.loads((ADDON / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest) >= {"package", "name", "human_version", "min_point_version", "homepage"}
    assert re.fullmatch(r"[a-z_][a-z0-9_]*", manifest["package"])  # importable: Anki imports it by name
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["human_version"])
    # 24.04 added AddonManager.get_logger, the newest API the add-on uses
    assert manifest["min_point_version"] == 240400
    assert manifest["homepage"].startswith("https://")
