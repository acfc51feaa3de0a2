"""Which cards get the "Say it aloud" panel, and the HTML of that panel.

No aqt import here: the tests drive these functions with real `anki` cards but
without the desktop app. __init__.py only connects them to Anki's hooks.
"""
from __future__ import annotations

import html
import re
from typing import Any

from .settings import Settings

# ankideploy's interview-question note type. The id is fixed forever (names can
# be edited by the user, ids cannot), so it is matched by id, not by name.
INTERVIEW_NOTETYPE_ID = 1794512603101

PANEL_ID = "sayaloud-panel"
STEPS = (
    ("Definition", "What it is, in one plain sentence."),
    ("Example", "A concrete case you have built, run or seen."),
    ("Pitfall", "Where it breaks, or what people get wrong."),
)

# The question template carries a static fallback line (for AnkiDroid and for
# desktops without the add-on) between these markers; the panel takes its place.
_FALLBACK = re.compile(r"<!--say-aloud-->.*?<!--/say-aloud-->", re.DOTALL)
# Belt and braces: hides the fallback even if a user's template lost the markers.
_HIDE_FALLBACK = "<style>#ad-say-aloud{display:none}</style>"
# How the panel starts: a <style> element straight before the panel's own <div>. Field text is
# escaped and sanitised HTML never holds <style>, so a question cannot contain this by accident.
_PANEL_START = f'{_HIDE_FALLBACK}<div id="{PANEL_ID}" class="sa-panel" role="note" aria-label="Say it aloud"'
# Runs every time the card is shown; the page-level script does the work.
_MOUNT = "<script>(function(){if(window.sayAloud){window.sayAloud.mount();}})();</script>"

# pycmd messages from the panel's buttons -> the Reviewer method behind Shift+V / V
COMMANDS = {
    "sayaloud:record": "onRecordVoice",
    "sayaloud:play": "onReplayRecorded",
}


def wants_prompt(note_type: dict[str, Any], settings: Settings) -> bool:
    if note_type.get("id") == INTERVIEW_NOTETYPE_ID:
        return True
    return note_type.get("name") in settings.extra_note_types


def format_seconds(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def _steps_html() -> str:
    items = "".join(
        f'<li class="sa-item" role="button" aria-pressed="false" title="Click when you have said it">'
        f'<span class="sa-step">{html.escape(name)}</span> '
        f'<span class="sa-hint">{html.escape(hint)}</span></li>'
        for name, hint in STEPS
    )
    return f'<ol class="sa-steps">{items}</ol>'


def _tools_html(settings: Settings) -> str:
    parts = []
    if settings.timer_seconds:
        parts.append(f'<span class="sa-timer" role="timer" title="Speaking time left">'
                     f'{format_seconds(settings.timer_seconds)}</span>')
    if settings.show_recorder:
        parts.append('<button type="button" class="sa-btn" data-sayaloud-cmd="record" '
                     'title="Record my answer (Shift+V)">Record my answer <kbd>Shift+V</kbd></button>')
        parts.append('<button type="button" class="sa-btn" data-sayaloud-cmd="play" '
                     'title="Play it back (V)">Play it back <kbd>V</kbd></button>')
    return f'<div class="sa-tools">{"".join(parts)}</div>' if parts else ""


def panel_html(settings: Settings) -> str:
    return (
        f'{_PANEL_START} '
        f'data-seconds="{settings.timer_seconds}">'
        f'<div class="sa-title">Say it aloud</div>{_steps_html()}{_tools_html(settings)}</div>{_MOUNT}'
    )


def already_has_panel(text: str) -> bool:
    """True only for the panel this module wrote: a question that merely mentions its id or
    class name (as text, or in a code block) still gets the panel."""
    return _PANEL_START in text


def add_prompt(text: str, card: Any, kind: str, settings: Settings) -> str:
    """The card_will_show filter: the question side of review cards only."""
    if kind != "reviewQuestion" or already_has_panel(text):
        return text
    if not wants_prompt(card.note_type(), settings):
        return text
    panel = panel_html(settings)
    # a function replacement, so nothing in the panel is read as a backreference
    replaced, count = _FALLBACK.subn(lambda _match: panel, text, count=1)
    return replaced if count else text + panel


def reviewer_action(message: str) -> str | None:
    """The Reviewer method a panel message asks for, or None if it is not ours."""
    return COMMANDS.get(message)
