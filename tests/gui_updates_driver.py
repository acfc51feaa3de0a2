"""Drive a real, headless Anki desktop through a course subscription.

Run by tests/test_addon_updates_gui.py in a subprocess. It serves a folder over a real
HTTP server on 127.0.0.1 (in a thread of this process, so it can also be shut down),
starts Anki on a fresh base folder, installs the built .ankiaddon with Anki's add-on
manager, and then, as a learner would:

  1  Tools → Course updates…: pastes the course URL, clicks Subscribe (version 1 arrives)
  2  reviews three cards
  3  the author publishes version 2 (one question edited, one deleted, one added); the
     daily check that runs when a profile opens finds it and applies it
  4  clicks "Show these notes" in the summary
  5  four broken updates, each with "Check now": a wrong sha256, a truncated package,
     a 404, and a server that is down
  6  version 3 (one more question deleted) imported by hand, in an operation as
     File → Import runs it: the add-on applies its manifest too

It records, after each step, every note, card and revlog row (digests), the lines shown
to the learner and anything Anki would have turned into an error dialog, and writes it
all as JSON to --result. The pytest side makes the assertions. A QTimer ends the process
after HARD_TIMEOUT_MS whatever happens.
"""
from __future__ import annotations

import argparse
import hashlib
import http.server
import json
import os
import shutil
import sys
import threading
import time
import traceback
import zipfile
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gui_driver import PROFILE, _read_addon_log, prepare_base  # noqa: E402

HARD_TIMEOUT_MS = 120_000
WAIT_S = 40
DAY = 24 * 60 * 60


class Quiet(http.server.SimpleHTTPRequestHandler):
    requests = 0  # every request the server answered

    def log_request(self, *args: Any) -> None:
        Quiet.requests += 1

    def log_message(self, *args: Any) -> None:
        pass


class Driver:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.site = Path(args.site)
        self.result: dict[str, Any] = {"steps": {}, "errors": [], "stderr": []}
        handler = lambda *a, **k: Quiet(*a, directory=str(self.site), **k)  # noqa: E731
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/course.json"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    # plumbing ---------------------------------------------------------------------------------

    def write_result(self) -> None:
        Path(self.args.result).write_text(json.dumps(self.result, indent=2), encoding="utf-8")

    def fail(self, message: str) -> None:
        self.result["errors"].append(message)
        try:
            from aqt import mw
            self.result["addon_log"] = _read_addon_log(mw, self.package)
            message += "\nadd-on log:\n" + self.result["addon_log"][-3000:]
        except Exception:
            pass
        self.write_result()
        print(f"gui_updates_driver: FAILED: {message}", flush=True)
        os._exit(2)

    def guarded(self, fn: Callable[..., None]) -> Callable[..., None]:
        def run(*a: Any) -> None:
            try:
                fn(*a)
            except Exception:
                self.fail(traceback.format_exc())
        return run

    def later(self, ms: int, fn: Callable[[], None]) -> None:
        from aqt.qt import QTimer
        QTimer.singleShot(ms, self.guarded(fn))

    def wait(self, until: Callable[[], bool], then: Callable[[], None], what: str) -> None:
        deadline = time.monotonic() + WAIT_S

        def poll() -> None:
            if until():
                self.later(200, then)  # let the op's own callbacks finish
            elif time.monotonic() > deadline:
                self.fail(f"timed out waiting for {what}; messages: {self.updater.messages}")
            else:
                self.later(100, poll)
        poll()

    def snapshot(self) -> dict[str, Any]:
        from aqt import mw
        col = mw.col
        tables = {name: col.db.all(f"SELECT * FROM {name} ORDER BY id") for name in ("notes", "cards", "revlog")}
        digest = {name: hashlib.sha256(json.dumps(rows).encode()).hexdigest() for name, rows in tables.items()}
        return {"digest": digest, "notes": len(tables["notes"]), "cards": len(tables["cards"]),
                "revlog": len(tables["revlog"])}

    def step(self, name: str, **extra: Any) -> dict[str, Any]:
        from aqt import mw
        entry = {"snapshot": self.snapshot(), "messages": list(self.updater.messages),
                 "subscriptions": mw.col.get_config("ankideploy_subscriptions", []), **extra}
        self.result["steps"][name] = entry
        self.write_result()
        return entry

    # set-up -------------------------------------------------------------------------------------

    def on_profile_open(self) -> None:
        self.later(0, self.setup)

    def setup(self) -> None:
        from aqt import gui_hooks, mw
        from aqt.addons import InstallOk

        handler = mw.errorHandler
        original = handler.write

        def write(data: str) -> None:
            self.result["stderr"].append(data)
            original(data)
        handler.write = write

        self.publish("v1")
        before_install = mw.col.get_config("ankideploy_subscriptions", None)
        installed = mw.addonManager.install(self.args.addon)
        if not isinstance(installed, InstallOk):
            self.fail(f"install failed: {installed}")
        with zipfile.ZipFile(self.args.addon) as archive:
            self.package = json.loads(archive.read("manifest.json"))["package"]
        __import__(self.package)  # what Anki's loadAddons() does at start-up
        gui = sys.modules[f"{self.package}.updates_gui"]
        self.gui = gui
        self.updater = gui._Setup.updater
        self.result["hooked_on_profile_open"] = self.updater.on_profile_open in gui_hooks.profile_did_open._hooks
        self.result["subscriptions_before"] = before_install
        self.updater.on_profile_open()  # what opening the profile does: nothing, with no subscription
        self.result["requests_before_subscribing"] = Quiet.requests
        # 1: subscribe through the menu entry and the dialog
        action = next(a for a in mw.form.menuTools.actions() if a.text() == "Course updates…")
        action.trigger()
        dialog = gui._Setup.dialog
        dialog.url.setText(self.url)
        dialog.subscribe_button.click()
        self.wait(lambda: not self.updater.busy and self.updater.summary_box is not None, self.after_v1,
                  "version 1 to arrive")

    def publish(self, version: str) -> None:
        """Put a built version on the 'web site'."""
        for path in self.site.iterdir():
            path.unlink()
        for path in Path(getattr(self.args, version)).iterdir():
            if path.suffix in (".apkg", ".json") and path.name != "ankideploy-report.json":
                shutil.copy(path, self.site / path.name)

    def after_v1(self) -> None:
        from aqt import mw
        col = mw.col
        self.step("v1", summary=self.updater.summary_box.text())
        self.updater.summary_box.close()
        # 2: three reviews, one of them of the question version 2 retires
        for guid in (self.args.retired_guid, self.args.retired_guid, self.args.kept_guid):
            nid = col.db.scalar("SELECT id FROM notes WHERE guid = ?", guid)
            card = col.get_note(nid).cards()[0]
            card.start_timer()
            col.sched.answerCard(card, 3)
        self.result["reviewed"] = self.snapshot()
        # 3: version 2 published; the next profile open is more than a day after the last check
        self.publish("v2")
        subs = col.get_config("ankideploy_subscriptions")
        subs[0]["checked"] -= 2 * DAY
        col.set_config("ankideploy_subscriptions", subs)
        self.updater.summary_box = None
        self.updater.on_profile_open()
        self.wait(lambda: not self.updater.busy and self.updater.summary_box is not None, self.after_v2,
                  "version 2 to arrive")

    def after_v2(self) -> None:
        import aqt
        from aqt import mw
        col = mw.col
        nid = col.db.scalar("SELECT id FROM notes WHERE guid = ?", self.args.retired_guid)
        note = col.get_note(nid)
        box = self.updater.summary_box
        buttons = [b.text() for b in box.buttons()]
        self.step("v2", summary=box.text(), buttons=buttons,
                  retired_tags=note.tags, retired_queues=[c.queue for c in note.cards()],
                  retired_reviews=col.db.scalar("SELECT count() FROM revlog WHERE cid = ?", note.cards()[0].id),
                  modal=box.isModal(), visible=box.isVisible(),
                  description=col.decks.get(col.get_card(note.cards()[0].id).did)["desc"])
        # 4: "Show these notes" opens the browser on exactly the notes the update touched
        show = next(b for b in box.buttons() if b.text() == "Show these notes")
        show.click()
        browser = aqt.dialogs._dialogs["Browser"][1]

        def read_browser() -> None:
            browser.table.select_all()
            shown = sorted(browser.table.get_selected_note_ids())
            self.result["browser"] = {"open": True, "search": browser.form.searchEdit.lineEdit().text(),
                                      "notes": sorted(col.get_note(n).guid for n in shown)}
            browser.close()
            box.close()
            self.breakages = ["sha", "truncated", "404", "down"]
            self.later(300, self.next_breakage)

        self.wait(lambda: browser is not None and browser.table.len() > 0, read_browser, "the browser's rows")

    # 5: broken updates ---------------------------------------------------------------------

    def next_breakage(self) -> None:
        if not self.breakages:
            self.later(100, self.import_by_hand)
            return
        kind = self.breakages.pop(0)
        data = json.loads((Path(self.args.v2) / "course.json").read_text())
        data["time"] += 1000  # a newer version is announced...
        package = self.site / data["packages"][0]["file"]
        if kind == "sha":
            data["packages"][0]["sha256"] = "f" * 64
        elif kind == "truncated":
            cut = package.read_bytes()[: package.stat().st_size // 2]
            package.write_bytes(cut)
            data["packages"][0].update(size=len(cut), sha256=hashlib.sha256(cut).hexdigest())
        (self.site / "course.json").write_text(json.dumps(data))
        if kind == "404":
            (self.site / "course.json").unlink()
        elif kind == "down":
            self.httpd.shutdown()
            self.httpd.server_close()
        before = self.snapshot()
        shown = len(self.updater.messages)
        self.gui._Setup.dialog.check_now()

        def done() -> None:
            self.step(kind, before=before, new_messages=self.updater.messages[shown:],
                      summary_shown=self.updater.summary_box is not None)
            self.publish("v2")
            self.later(100, self.next_breakage)

        self.updater.summary_box = None
        self.wait(lambda: not self.updater.busy and len(self.updater.messages) > shown, done, f"the {kind} case")

    def import_by_hand(self) -> None:
        """6: version 3 imported with Anki's importer in an operation, as File -> Import does."""
        from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest
        from aqt import mw
        from aqt.operations import CollectionOp

        package = next(Path(self.args.v3).glob("*.apkg"))
        request = ImportAnkiPackageRequest(package_path=str(package), options=ImportAnkiPackageOptions())
        self.updater.summary_box = None
        CollectionOp(parent=mw, op=lambda col: col.import_anki_package(request)).run_in_background()

        def done() -> None:
            col = mw.col
            note = col.get_note(col.db.scalar("SELECT id FROM notes WHERE guid = ?", self.args.hand_guid))
            self.step("hand", summary=self.updater.summary_box.text(), tags=note.tags,
                      queues=[c.queue for c in note.cards()])
            self.finish()

        self.wait(lambda: self.updater.summary_box is not None, done, "the hand import's summary")

    def finish(self) -> None:
        from aqt import mw
        from aqt.qt import QApplication, QMessageBox
        self.result["critical_boxes"] = [w.text() for w in QApplication.topLevelWidgets()
                                         if isinstance(w, QMessageBox) and w.isVisible()
                                         and w.icon() == QMessageBox.Icon.Critical]
        self.result["addon_log"] = _read_addon_log(mw, self.package)
        self.result["done"] = True
        self.write_result()
        print("gui_updates_driver: done", flush=True)
        mw.unloadProfileAndExit()
        self.later(20_000, lambda: os._exit(0))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    for name in ("base", "addon", "v1", "v2", "v3", "site", "result", "retired_guid", "kept_guid", "hand_guid"):
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")
    Path(args.site).mkdir(parents=True, exist_ok=True)
    prepare_base(Path(args.base))

    import aqt
    from aqt import gui_hooks
    from aqt.qt import QTimer

    driver = Driver(args)
    app = aqt._run(["anki", "-b", args.base, "-p", PROFILE], exec=False)
    if app is None:
        driver.fail("Anki did not start")
    gui_hooks.profile_did_open.append(driver.guarded(driver.on_profile_open))
    QTimer.singleShot(HARD_TIMEOUT_MS, lambda: driver.fail(f"hard timeout after {HARD_TIMEOUT_MS} ms"))
    app.exec()
    return 0 if driver.result.get("done") else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
