"""Say it aloud: an Anki add-on for ankideploy's interview-question cards.

This file only connects hooks; what gets shown, and when, is decided in
prompt.py and settings.py, which do not import aqt. Every hook catches its own
errors and logs them, so a bug here can never break a review.
"""
from __future__ import annotations

from typing import Any

from aqt import gui_hooks, mw
from aqt.reviewer import Reviewer
from aqt.webview import WebContent

from . import prompt
from .settings import DEFAULTS, Settings, parse_settings

_ASSETS = ("say_aloud.css", "say_aloud.js")


class _State:
    settings: Settings = DEFAULTS


def _load_settings(raw: Any) -> None:
    try:
        _State.settings = parse_settings(raw, _log)
    except Exception:
        _log.exception("could not read the config; using the defaults")
        _State.settings = DEFAULTS


def _on_config_saved(new_config: Any) -> None:
    _load_settings(new_config)


def _on_card_will_show(text: str, card: Any, kind: str) -> str:
    try:
        return prompt.add_prompt(text, card, kind, _State.settings)
    except Exception:
        _log.exception("could not add the prompt; showing the card unchanged")
        return text


def _on_webview_will_set_content(web_content: WebContent, context: Any) -> None:
    if not isinstance(context, Reviewer):
        return
    try:
        base = f"/_addons/{_addon}/web"
        web_content.css.append(f"{base}/{_ASSETS[0]}")
        web_content.js.append(f"{base}/{_ASSETS[1]}")
    except Exception:
        _log.exception("could not add the panel's CSS/JS to the reviewer")


def _on_js_message(handled: tuple[bool, Any], message: str, context: Any) -> tuple[bool, Any]:
    try:
        action = prompt.reviewer_action(message)
        if action is None or not isinstance(context, Reviewer):
            return handled
        # The same Reviewer methods as Shift+V / V: Anki's own recorder and player.
        getattr(context, action)()
    except Exception:
        _log.exception("could not handle %r", message)
    return (True, None)


def _setup() -> None:
    manager = mw.addonManager
    manager.setWebExports(__name__, r"web/.*\.(css|js)")
    manager.setConfigUpdatedAction(__name__, _on_config_saved)
    _load_settings(manager.getConfig(__name__))
    gui_hooks.card_will_show.append(_on_card_will_show)
    gui_hooks.webview_will_set_content.append(_on_webview_will_set_content)
    gui_hooks.webview_did_receive_js_message.append(_on_js_message)
    _setup_course_updates()


def _setup_course_updates() -> None:
    # Course subscriptions: Tools -> "Course updates..."; see updates_gui.py.
    try:
        from . import updates_gui
        updates_gui.setup(mw, lambda: _State.settings.retired, _log)
    except Exception:
        _log.exception("could not set up course updates")


# mw is None when this package is imported outside a running Anki (e.g. by tools).
if mw is not None:
    _addon = mw.addonManager.addonFromModule(__name__)
    _log = mw.addonManager.get_logger(__name__)
    _setup()
