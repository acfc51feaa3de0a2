"""The add-on's panel is added once, whatever the question says about the panel itself.

A question whose own text names the panel's id or class (in prose, in inline code, in a
code block) used to be taken for a card that already had the panel, and got none.
"""
from __future__ import annotations

import pytest

from conftest import CONTENT, build_decks, import_apkg, new_collection
from test_addon_logic import prompt, settings

QUESTIONS = [
    "Why does my add-on look for sayaloud-panel and sa-panel?",
    "What does <code>&lt;div id=\"sayaloud-panel\" class=\"sa-panel\"&gt;</code> do?",
    '<div class="hl"><pre><code>&lt;style&gt;#ad-say-aloud{display:none}&lt;/style&gt;&lt;div id="sayaloud-panel"'
    ' class="sa-panel" role="note"&gt;</code></pre></div>',
]


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("addon-text")
    package = build_decks([CONTENT], tmp / "dist", use_state=False).packages[0]
    col = new_collection(tmp / "anki")
    import_apkg(col, package)
    yield col
    col.close()


@pytest.mark.parametrize("question", QUESTIONS)
def test_a_question_naming_the_panel_still_gets_exactly_one(collection, question):
    card = collection.get_card(sorted(collection.find_cards(f"mid:{prompt.INTERVIEW_NOTETYPE_ID}"))[0])
    note = card.note()
    note["Question"] = question
    collection.update_note(note)
    card.load()
    text = card.question()
    assert "sayaloud-panel" in text  # the question really does name it
    shown = prompt.add_prompt(text, card, "reviewQuestion", settings.DEFAULTS)
    assert shown.count('<div id="sayaloud-panel" class="sa-panel"') == 1
    assert 'id="ad-say-aloud"' not in shown  # the template's own prompt made way for it
    # and running the filter again on its own output still keeps one
    assert prompt.add_prompt(shown, card, "reviewQuestion", settings.DEFAULTS) == shown


def test_steps_can_be_marked_in_the_panel():
    panel = prompt.panel_html(settings.DEFAULTS)
    assert panel.count('<li class="sa-item" role="button" aria-pressed="false"') == 3
