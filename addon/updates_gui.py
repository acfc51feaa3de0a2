"""Course updates, the Qt side: Tools → "Course updates…", the daily check when a profile
opens, the summary after an update, and one line when something went wrong.

The work is done elsewhere: fetch.py downloads and checks (in a QueryOp, without the
collection, so the main window never waits), course.py imports and retires (in one
CollectionOp, one undo step). This module only reads what the learner typed, starts
those operations and shows their results. It never lets an exception reach Anki's error
dialog: a failure is one tooltip line (and the subscription's ``error``) and a retry the
next day. Nothing touches the network before the learner subscribes.

Subscriptions live in the collection config (so they sync with AnkiWeb) under
``ankideploy_subscriptions``: a list of objects with ``url``, and what this add-on adds:
``name``, ``version`` and ``time`` of the last update applied, ``checked`` (seconds since
the epoch) and ``error`` (the last problem, or null).
"""
from __future__ import annotations

import html
import shutil
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Callable

import aqt
from aqt import gui_hooks
from aqt.operations import CollectionOp, QueryOp
from aqt.qt import (QAction, QDialog, QHBoxLayout, QLabel, QLineEdit, QListWidget, QMessageBox, QPushButton, Qt,
                    QVBoxLayout, qconnect)
from aqt.utils import tooltip

from . import course, fetch

SUBSCRIPTIONS_KEY = "ankideploy_subscriptions"
DAY_SECONDS = 24 * 60 * 60
MAX_SUBSCRIPTIONS = 50
MESSAGE_MS = 10_000


def read_subscriptions(col: Any) -> list[dict]:
    raw = col.get_config(SUBSCRIPTIONS_KEY, [])
    if not isinstance(raw, list):
        return []
    return [dict(item) for item in raw[:MAX_SUBSCRIPTIONS]
            if isinstance(item, dict) and isinstance(item.get("url"), str) and item["url"].strip()]


def due(subscription: dict, now: float) -> bool:
    checked = subscription.get("checked")
    return not isinstance(checked, (int, float)) or isinstance(checked, bool) or now - checked >= DAY_SECONDS


@dataclass
class _Applied:
    changes: Any  # OpChanges, for CollectionOp
    outcome: course.Outcome


@dataclass
class _AppliedMany:
    changes: Any
    outcomes: list[course.Outcome]


class Updater:
    """Checks subscriptions one after another; shows a summary or one line per course."""

    def __init__(self, mw: Any, policy: Callable[[], str], log: Any) -> None:
        self.mw, self.policy, self.log = mw, policy, log
        self.queue: list[str] = []
        self.busy = False
        self.manual = False
        self.messages: list[str] = []  # every line shown, newest last
        self.summary_box: QMessageBox | None = None
        self.listeners: list[Callable[[], None]] = []  # the open dialog refreshes itself
        self.known_manifests: set[str] = set()  # manifest files already looked at

    # starting --------------------------------------------------------------------------------

    def on_profile_open(self) -> None:
        try:
            self.apply_hand_imports()
            now = time.time()
            urls = [s["url"] for s in read_subscriptions(self.mw.col) if due(s, now)]
            if urls:
                self.check(urls, manual=False)
        except Exception:
            self.log.exception("course updates: could not start the daily check")

    def check(self, urls: list[str], manual: bool) -> None:
        self.manual = self.manual or manual
        self.queue += [u for u in urls if u not in self.queue]
        if not self.busy:
            self._next()

    def _next(self) -> None:
        if not self.queue or self.mw.col is None:
            self.busy, self.manual = False, False
            self._changed()
            return
        self.busy = True
        url = self.queue.pop(0)
        try:
            sub = self._subscription(url)
            applied = sub.get("time") if isinstance(sub.get("time"), int) else 0
            version = sub.get("version") if isinstance(sub.get("version"), str) else ""
            folder = tempfile.mkdtemp(prefix="ankideploy-update-")
            QueryOp(parent=self.mw, op=lambda _col: fetch.download_update(url, folder, applied, version),
                    success=lambda download: self._downloaded(url, folder, download)) \
                .failure(lambda exc: self._failed(url, folder, exc)).without_collection().run_in_background()
        except Exception:  # called from Qt callbacks: never let it reach Anki's error dialog
            self.log.exception("course updates: could not start checking %s", url)
            self.queue.clear()
            self.busy, self.manual = False, False

    # finishing -------------------------------------------------------------------------------

    def _downloaded(self, url: str, folder: str, download: fetch.Download | None) -> None:
        try:
            if download is None:
                self._record(url, error=None)
                if self.manual:
                    self._say(f"{self._subscription(url).get('name') or url} is up to date")
                self._done(folder)
                return
            policy = self.policy()

            def op(col: Any) -> _Applied:
                outcome, changes = course.import_and_apply(col, download.packages, policy)
                return _Applied(changes, outcome)

            CollectionOp(parent=self.mw, op=op) \
                .success(lambda applied: self._applied(url, folder, download, applied.outcome)) \
                .failure(lambda exc: self._failed(url, folder, exc)).run_in_background()
        except Exception as exc:  # never Anki's error dialog
            self._failed(url, folder, exc)

    def _applied(self, url: str, folder: str, download: fetch.Download, outcome: course.Outcome) -> None:
        try:
            manifest = download.packages[0][1]
            self._record(url, error=None, name=download.info.name or manifest.course,
                         version=download.info.version, time=max(download.info.time, manifest.time))
            self.show_summary(outcome)
        except Exception as exc:
            self.log.exception("course updates: the update was applied, but showing it failed")
            self._say(f"course update applied; could not show its summary ({exc})")
        self._done(folder)

    def _failed(self, url: str, folder: str, exc: Exception) -> None:
        try:
            if isinstance(exc, course.UpdateError):
                line = str(exc)
            else:
                self.log.error("course updates: %s failed", url, exc_info=exc)
                line = f"unexpected problem ({type(exc).__name__}: {exc})"
            self._record(url, error=line)
            name = self._subscription(url).get("name") or url
            self._say(f"Course update of {name} failed: {line}. Nothing was changed; will retry tomorrow"
                      " (or now with Tools → Course updates…)")
        except Exception:
            self.log.exception("course updates: could not report a failure")
        self._done(folder)

    def _done(self, folder: str) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        self._next()

    def _record(self, url: str, **values: Any) -> None:
        col = self.mw.col
        if col is None:
            return
        subs = read_subscriptions(col)
        for sub in subs:
            if sub["url"] == url:
                sub.update(values, checked=int(time.time()))
        col.set_config(SUBSCRIPTIONS_KEY, subs)
        self._changed()

    def _subscription(self, url: str) -> dict:
        col = self.mw.col
        return next((s for s in read_subscriptions(col) if s["url"] == url), {"url": url}) if col else {"url": url}

    def _say(self, line: str) -> None:
        self.messages.append(line)
        self.log.info("course updates: %s", line)
        tooltip(html.escape(line), period=MESSAGE_MS, parent=self.mw)  # a tooltip renders HTML
        self._changed()

    def _changed(self) -> None:
        for listener in list(self.listeners):
            try:
                listener()
            except Exception:
                self.listeners.remove(listener)

    # what the learner sees -------------------------------------------------------------------------

    def show_summary(self, outcome: course.Outcome) -> None:
        text = course.summary(outcome)
        self.messages.append(text)
        box = QMessageBox(self.mw)
        box.setWindowTitle("Course update")
        box.setTextFormat(Qt.TextFormat.PlainText)  # the course name comes from the download
        box.setText(text)
        box.setIcon(QMessageBox.Icon.Information)
        if outcome.note_ids:
            show = box.addButton("Show these notes", QMessageBox.ButtonRole.ActionRole)
            qconnect(show.clicked, lambda: aqt.dialogs.open("Browser", self.mw, search=(outcome.search(),)))
        box.addButton(QMessageBox.StandardButton.Close)
        box.setModal(False)
        box.show()
        self.summary_box = box
        self._changed()

    # File -> Import by hand ---------------------------------------------------------------------------

    def on_operation(self, changes: Any, initiator: Any) -> None:
        # An import changes notes or decks (a deck's description at least); a new manifest file
        # name in the media folder says whether it was a course package worth a look.
        try:
            if not self.busy and (getattr(changes, "note", False) or getattr(changes, "deck", False)):
                self.apply_hand_imports()
        except Exception:
            self.log.exception("course updates: could not look at an import")

    def apply_hand_imports(self) -> None:
        col = self.mw.col
        if col is None:
            return
        names = course.manifest_names(col.media.dir())
        if names <= self.known_manifests:
            return  # nothing arrived since the last look
        self.known_manifests |= names
        if not course.pending_manifests(col.media.dir(), col.get_config(course.APPLIED_KEY, {})):
            return
        policy = self.policy()

        def op(c: Any) -> _AppliedMany:
            start = c.add_custom_undo_entry("Course update")
            outcomes = course.apply_pending(c, policy)
            return _AppliedMany(c.merge_undo_entries(start), outcomes)

        def done(applied: _AppliedMany) -> None:
            for outcome in applied.outcomes:
                self.show_summary(outcome)

        CollectionOp(parent=self.mw, op=op).success(done) \
            .failure(lambda exc: self._say(f"Could not apply the course update: {exc}")).run_in_background()


class UpdatesDialog(QDialog):
    """Tools → Course updates…: subscribe by pasting a course URL, check now, unsubscribe."""

    def __init__(self, mw: Any, updater: Updater) -> None:
        super().__init__(mw)
        self.mw, self.updater = mw, updater
        self.setWindowTitle("Course updates")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Paste a course address (its course.json) to get every new version of the course,"
                                " with your progress kept. Updates are checked once a day when Anki opens."))
        row = QHBoxLayout()
        self.url = QLineEdit()
        self.url.setPlaceholderText("https://…/course.json")
        self.subscribe_button = QPushButton("Subscribe")
        row.addWidget(self.url)
        row.addWidget(self.subscribe_button)
        layout.addLayout(row)
        self.list = QListWidget()
        layout.addWidget(self.list)
        buttons = QHBoxLayout()
        self.check_button = QPushButton("Check now")
        self.remove_button = QPushButton("Unsubscribe")
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.remove_button)
        layout.addLayout(buttons)
        self.status = QLabel("")
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # messages quote downloaded names
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        qconnect(self.subscribe_button.clicked, self._guarded(self.subscribe))
        qconnect(self.check_button.clicked, self._guarded(self.check_now))
        qconnect(self.remove_button.clicked, self._guarded(self.unsubscribe))
        updater.listeners.append(self.refresh)
        qconnect(self.finished, lambda _: self._forget())
        self.refresh()

    def _guarded(self, action: Callable[[], None]) -> Callable[..., None]:
        """A button's action; a failure is a line in the dialog and the log, never Anki's error dialog."""
        def run(*_args: Any) -> None:
            try:
                action()
            except Exception as exc:
                self.updater.log.exception("course updates: %s failed", action.__name__)
                self.status.setText(f"Something went wrong: {exc}")
        return run

    def _forget(self) -> None:
        if self.refresh in self.updater.listeners:
            self.updater.listeners.remove(self.refresh)

    def refresh(self) -> None:
        self.list.clear()
        for sub in read_subscriptions(self.mw.col):
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(sub["checked"])) \
                if isinstance(sub.get("checked"), (int, float)) else "never"
            line = f"{sub.get('name') or sub['url']} — {sub.get('version') or 'not yet updated'} (checked: {when})"
            if sub.get("error"):
                line += f" — last problem: {sub['error']}"
            self.list.addItem(line)
        self.status.setText("Checking…" if self.updater.busy else (self.updater.messages or [""])[-1])

    def subscribe(self) -> None:
        url = self.url.text().strip()
        try:
            fetch.check_url(url)
        except course.UpdateError as exc:
            self.status.setText(str(exc))
            return
        subs = read_subscriptions(self.mw.col)
        if not any(s["url"] == url for s in subs):
            subs.append({"url": url})
            self.mw.col.set_config(SUBSCRIPTIONS_KEY, subs)
        self.url.clear()
        self.updater.check([url], manual=True)
        self.refresh()

    def _selected(self) -> list[str]:
        subs = read_subscriptions(self.mw.col)
        rows = sorted({index.row() for index in self.list.selectedIndexes()})
        return [subs[r]["url"] for r in rows if r < len(subs)] or [s["url"] for s in subs]

    def check_now(self) -> None:
        urls = self._selected()
        if not urls:
            self.status.setText("Paste a course address above and click Subscribe first.")
            return
        self.updater.check(urls, manual=True)
        self.refresh()

    def unsubscribe(self) -> None:
        rows = {index.row() for index in self.list.selectedIndexes()}
        if not rows:
            self.status.setText("Select the course to unsubscribe from.")
            return
        subs = [s for i, s in enumerate(read_subscriptions(self.mw.col)) if i not in rows]
        self.mw.col.set_config(SUBSCRIPTIONS_KEY, subs)
        self.refresh()


class _Setup:
    updater: Updater | None = None
    dialog: UpdatesDialog | None = None


def setup(mw: Any, policy: Callable[[], str], log: Any) -> Updater:
    """Add the Tools menu entry and the hooks; returns the updater (tests drive it)."""
    updater = _Setup.updater = Updater(mw, policy, log)

    def open_dialog() -> None:
        try:
            if mw.col is None:
                return
            _Setup.dialog = UpdatesDialog(mw, updater)
            _Setup.dialog.show()
        except Exception:
            log.exception("course updates: could not open the dialog")

    action = QAction("Course updates…", mw)
    qconnect(action.triggered, open_dialog)
    mw.form.menuTools.addAction(action)
    gui_hooks.profile_did_open.append(updater.on_profile_open)
    gui_hooks.operation_did_execute.append(updater.on_operation)
    return updater
