"""Drive a real, headless Anki desktop through the "Say it aloud" add-on.

Run by tests/test_addon_gui.py in a subprocess (Qt wants the main thread and a
process of its own). It prepares a fresh Anki base folder, starts Anki on it,
installs the built .ankiaddon through Anki's add-on manager, imports the built
deck and reviews four cards: three interview questions, then a quick-fire card.
What it sees is written as JSON to --result; the pytest side makes the
assertions. Anki's own console output (including any "JS error" lines) goes to
stdout, which the test reads too.

Card plan:
  1  default config (no timer): click "Record my answer" and "Play it back"
  2  config changed while Anki runs (timer 45 s): timer ticks; the page script
     is evaluated again and mount() repeated, yet one click is still one call;
     light screenshot
  3  dark theme: dark screenshot
  4  a quick-fire card: no prompt at all
  5  an interview question while the add-on's prompt code raises: the card still
     shows, with the template's static fallback line, and the error is only logged

Without --addon (the template's own prompt, as on AnkiDroid):
  1  light: the prompt once, the timer counts, steps are marked by clicks, the card's
     scripts run again without doubling anything; the answer's "Check yourself" parts
     resolve and a click highlights its passage; contrast and overflow checked
  2  dark: the same looks, in night mode

It can never hang: a QTimer ends the process after HARD_TIMEOUT_MS, and the
test kills it if even that fails.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
import zipfile
from pathlib import Path
from typing import Any, Callable

PROFILE = "User 1"
HARD_TIMEOUT_MS = 150_000
WAIT_MS = 20_000  # for any one page state to appear
INTERVIEW_NOTETYPE_ID = 1794512603101
QUICK_FIRE_NOTETYPE_ID = 1794512603102
LIVE_CONFIG = {"extra_note_types": [], "timer_seconds": 45, "show_recorder": True}

# Everything the assertions need, read from the reviewer page in one go.
# innerText skips display:none, so "Say it aloud" is counted as a user sees it.
PROBE_JS = r"""
(function () {
  var marker = document.getElementById("e2e-marker");
  var panels = document.querySelectorAll("#sayaloud-panel");
  var panel = panels[0] || null;
  var fallback = document.getElementById("ad-say-aloud");
  var qa = document.getElementById("qa");
  var text = qa ? qa.innerText : "";
  var timer = panel ? panel.querySelector(".sa-timer") : null;
  function shown(el) {
    return !!el && getComputedStyle(el).display !== "none" && el.getClientRects().length > 0;
  }
  return JSON.stringify({
    cid: marker ? marker.getAttribute("data-cid") : null,
    side: marker ? marker.getAttribute("data-side") : null,
    panels: panels.length,
    panel_shown: shown(panel),
    panel_in_card: !!(panel && panel.closest(".ad-card")),
    fallback_present: !!fallback,
    fallback_shown: shown(fallback),
    say_aloud_seen: (text.match(/say it aloud/gi) || []).length,
    steps: panel ? Array.prototype.map.call(panel.querySelectorAll(".sa-step"), function (e) { return e.textContent; }) : [],
    buttons: panel ? panel.querySelectorAll("[data-sayaloud-cmd]").length : 0,
    timer: timer ? timer.textContent : null,
    panel_bottom: panel ? panel.getBoundingClientRect().bottom : 0,
    panel_background: panel ? getComputedStyle(panel).backgroundColor : null,
    body_class: document.body.className,
    template_prompts: qa ? qa.querySelectorAll(".ad-say-aloud").length : 0,
    template_steps: Array.prototype.map.call(document.querySelectorAll("#qa .ad-say-step"), function (e) {
      return e.getAttribute("aria-pressed"); }),
    template_timer: (function (t) { return shown(t) ? t.textContent : null; })(
      document.querySelector("#qa .ad-say-timer")),
    panel_steps: panel ? Array.prototype.map.call(panel.querySelectorAll(".sa-item"), function (e) {
      return e.getAttribute("aria-pressed"); }) : [],
    parts: Array.prototype.map.call(document.querySelectorAll("#qa [data-say-part]"), function (e) {
      var id = e.getAttribute("data-target"), target = id ? document.getElementById(id) : null;
      return {part: e.getAttribute("data-say-part"), missing: e.hasAttribute("data-missing"), target: id,
              resolves: !!target && !!qa && qa.contains(target) && target.textContent.trim().length > 0};
    }),
    lit: Array.prototype.map.call(document.querySelectorAll(".ad-say-lit"), function (e) { return e.id; }),
    overflow: document.documentElement.scrollWidth > window.innerWidth,
    script_loaded: typeof window.sayAloud === "object" && typeof window.sayAloud.mount === "function",
    stylesheet_loaded: Array.prototype.some.call(document.styleSheets, function (s) {
      return !!s.href && s.href.indexOf("/web/say_aloud.css") >= 0;
    })
  });
})()
"""


def prepare_base(base: Path) -> None:
    """A base folder Anki opens straight into 'User 1': no first-run dialogs."""
    from aqt.profiles import ProfileManager, VideoDriver

    pm = ProfileManager(ProfileManager.get_created_base_folder(str(base)))
    pm.setupMeta()
    pm.meta["firstRun"] = False
    pm.set_update_check(False)  # no network checks, no "new version" dialog
    pm.set_check_for_addon_updates(False)
    pm.meta["defaultLang"] = "en_US"
    pm.create(PROFILE)
    pm.load(PROFILE)
    pm.profile["autoSync"] = False
    pm.save()
    pm.set_video_driver(VideoDriver.Software)  # no GPU here; also turns off the card fade
    pm.db.close()


class Driver:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.result: dict[str, Any] = {"cards": [], "errors": [], "stderr": [], "calls": [], "events": []}
        self.card: Any = None
        self.entry: dict[str, Any] = {}

    # plumbing ---------------------------------------------------------------

    def write_result(self) -> None:
        Path(self.args.result).write_text(json.dumps(self.result, indent=2), encoding="utf-8")

    def fail(self, message: str) -> None:
        self.result["errors"].append(message)
        self.write_result()
        print(f"gui_driver: FAILED: {message}", flush=True)
        os._exit(2)

    def guarded(self, fn: Callable[..., None]) -> Callable[..., None]:
        """Qt would route an exception to Anki's error dialog; turn it into a failure."""
        def run(*a: Any) -> None:
            try:
                fn(*a)
            except Exception:
                self.fail(traceback.format_exc())
        return run

    def later(self, ms: int, fn: Callable[[], None]) -> None:
        from aqt.qt import QTimer
        QTimer.singleShot(ms, self.guarded(fn))

    def probe(self, until: Callable[[dict], bool], then: Callable[[dict], None], what: str) -> None:
        """Poll the reviewer page until `until(state)` holds, then call `then(state)`."""
        from aqt import mw
        deadline = time.monotonic() + WAIT_MS / 1000

        def attempt() -> None:
            if mw.state != "review":  # a late refresh of the main window took the reviewer away
                self.result["events"].append(f"back to review from {mw.state}")
                mw.moveToState("review")
            mw.web.evalWithCallback(PROBE_JS, self.guarded(got))

        def got(raw: Any) -> None:
            state = json.loads(raw) if isinstance(raw, str) else None
            if state is not None and until(state):
                then(state)
            elif time.monotonic() > deadline:
                self.fail(f"timed out waiting for {what}; last page state: {state}")
            else:
                self.later(100, attempt)

        attempt()

    # set-up -----------------------------------------------------------------

    def on_profile_open(self) -> None:
        self.later(0, self.setup)

    def setup(self) -> None:
        from aqt import mw
        from aqt.addons import InstallOk

        if not self.args.addon:
            self.package = None
            self.setup_review(mw)
            return
        installed = mw.addonManager.install(self.args.addon)
        self.result["install"] = {
            "ok": isinstance(installed, InstallOk),
            "compatible": getattr(installed, "compatible", None),
            "name": getattr(installed, "name", None),
            "error": getattr(installed, "errmsg", None),
        }
        if not isinstance(installed, InstallOk):
            self.fail(f"install failed: {installed}")
        with zipfile.ZipFile(self.args.addon) as archive:
            package = json.loads(archive.read("manifest.json"))["package"]
        self.package = package
        # What Anki's loadAddons() does at start-up, so no restart is needed.
        __import__(package)
        self.setup_review(mw)

    def setup_review(self, mw: Any) -> None:
        from aqt import gui_hooks

        gui_hooks.card_will_show.append(self.add_marker)
        gui_hooks.reviewer_did_show_question.append(self.guarded(self.on_question))
        gui_hooks.reviewer_did_show_answer.append(self.guarded(self.on_answer))
        self.capture_stderr(mw)
        self.stub_recorder(mw)
        self.import_deck(mw)
        mw.resize(1000, 760)
        # Start once the main window has settled, so no late refresh redraws card 1 (without an
        # add-on to install first, that refresh can come later on a busy machine).
        self.later(500 if self.args.addon else 2000, lambda: mw.moveToState("review"))

    @staticmethod
    def add_marker(text: str, card: Any, kind: str) -> str:
        # Runs after the add-on's filter; tells the probe which card/side is on screen.
        if kind not in ("reviewQuestion", "reviewAnswer"):
            return text
        side = "q" if kind == "reviewQuestion" else "a"
        return f'{text}<span id="e2e-marker" hidden data-cid="{card.id}" data-side="{side}"></span>'

    def capture_stderr(self, mw: Any) -> None:
        # Anki turns anything written to stderr into an error dialog; record it instead.
        handler = mw.errorHandler
        original = handler.write

        def write(data: str) -> None:
            self.result["stderr"].append(data)
            original(data)
        handler.write = write

    def stub_recorder(self, mw: Any) -> None:
        # The real recorder needs a microphone; the wiring up to Anki's method is what is tested.
        mw.reviewer.onRecordVoice = lambda: self.result["calls"].append("onRecordVoice")
        mw.reviewer.onReplayRecorded = lambda: self.result["calls"].append("onReplayRecorded")

    def import_deck(self, mw: Any) -> None:
        from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

        request = ImportAnkiPackageRequest(package_path=self.args.deck, options=ImportAnkiPackageOptions())
        mw.col.import_anki_package(request)
        col = mw.col
        interview = sorted(col.find_cards(f"mid:{INTERVIEW_NOTETYPE_ID}"), key=lambda c: col.get_card(c).due)
        quick = sorted(col.find_cards(f"mid:{QUICK_FIRE_NOTETYPE_ID}"), key=lambda c: col.get_card(c).due)
        # The card plan: three interview questions, a quick-fire card, an interview question.
        order = [*interview[:3], quick[0], interview[3]]
        col.sched.reposition_new_cards(card_ids=order, starting_from=1, step_size=1,
                                       randomize=False, shift_existing=True)
        col.decks.select(col.get_card(interview[0]).did)

    # reviewing ---------------------------------------------------------------

    def on_question(self, card: Any) -> None:
        self.result["events"].append(f"question {card.id}")
        if self.card is not None and self.card.id == card.id:
            return  # Anki redrew the card it already shows; its checks are under way
        self.card = card
        cid = str(card.id)
        self.probe(lambda s: s["cid"] == cid and s["side"] == "q", self.check_question, f"question of card {cid}")

    def check_question(self, state: dict) -> None:
        note_type = self.card.note_type()
        self.entry = {"cid": self.card.id, "note_type_id": note_type["id"], "note_type": note_type["name"],
                      "question": state}
        self.result["cards"].append(self.entry)
        index = len(self.result["cards"])
        if not self.args.addon:
            self.looks("question_looks", self.template_prompt if index == 1 else self.show_answer)
            return
        if index == 1:
            self.click_panel_steps()
        step = {1: self.click_buttons, 2: self.repeat_script, 3: self.dark_screenshot}.get(index, self.show_answer)
        self.looks("question_looks", step)

    def click_panel_steps(self) -> None:
        from aqt import mw
        mw.web.eval("document.querySelectorAll('#sayaloud-panel .sa-item')[1].click();")

    def looks(self, key: str, then: Callable[[], None]) -> None:
        """Overflow and contrast of what is on screen (the checks of test_cards_browser.py)."""
        from aqt import mw
        from aqt.theme import theme_manager
        from test_cards_browser import AA, CHECK_JS

        def got(raw: Any) -> None:
            self.entry[key] = {"night": theme_manager.night_mode, "problems": json.loads(raw)}
            then()
        mw.web.evalWithCallback(f"JSON.stringify(({CHECK_JS})([{json.dumps(theme_manager.night_mode)}, {AA}]))",
                                self.guarded(got))

    def template_prompt(self) -> None:
        """The card's own prompt: mark two steps, run its scripts twice more, mark a third once."""
        from aqt import mw
        mw.web.eval("document.querySelector('#qa .ad-say-step[data-step=definition]').click();"
                    "document.querySelector('#qa .ad-say-step[data-step=pitfall]').click();"
                    "document.querySelectorAll('#qa script').forEach(function (s) { (0, eval)(s.textContent); });"
                    "document.querySelectorAll('#qa script').forEach(function (s) { (0, eval)(s.textContent); });"
                    "document.querySelector('#qa .ad-say-step[data-step=example]').click();")
        start = self.entry["question"]["template_timer"]

        def then(state: dict) -> None:
            self.entry["question_later"] = state
            self.show_answer()
        self.probe(lambda s: s["template_timer"] not in (None, start), then, "the card's own timer to tick")

    def click_buttons(self) -> None:
        from aqt import mw
        mw.web.eval("document.querySelector('[data-sayaloud-cmd=record]').click();"
                    "document.querySelector('[data-sayaloud-cmd=play]').click();")
        self.wait_for_calls(2, self.after_clicks)

    def wait_for_calls(self, count: int, then: Callable[[], None]) -> None:
        """Until `count` recorder calls arrived (or time is up), plus a moment for any extra."""
        deadline = time.monotonic() + WAIT_MS / 1000

        def check() -> None:
            if len(self.result["calls"]) >= count or time.monotonic() > deadline:
                self.later(300, then)
            else:
                self.later(100, check)
        check()

    def after_clicks(self) -> None:
        self.entry["calls_after_click"] = list(self.result["calls"])

        def then(state: dict) -> None:
            self.entry["question_after_clicks"] = state
            self.show_answer()
        self.probe(lambda s: s["side"] == "q", then, "the question after the clicks")

    def repeat_script(self) -> None:
        # Desktop keeps the page between cards: running the asset again plus extra
        # mount() calls must not double the handlers or break the timer.
        from aqt import mw
        script = (Path(mw.addonManager.addonsFolder(self.package)) / "web" / "say_aloud.js").read_text(encoding="utf-8")
        mw.web.eval(script)
        mw.web.eval(script)
        mw.web.eval("window.sayAloud.mount(); window.sayAloud.mount();")
        before = len(self.result["calls"])
        mw.web.eval("document.querySelector('[data-sayaloud-cmd=record]').click();")
        self.wait_for_calls(before + 1, lambda: self.after_repeat(before))

    def after_repeat(self, before: int) -> None:
        self.entry["record_calls_from_one_click"] = len(self.result["calls"]) - before

        def then(state: dict) -> None:
            self.entry["question_later"] = state
            self.screenshot("addon-light.png", state, self.show_answer)

        self.probe(lambda s: s["timer"] not in (None, _seconds_text(LIVE_CONFIG["timer_seconds"])),
                   then, "the timer to tick")

    def dark_screenshot(self) -> None:
        self.screenshot("addon-dark.png", self.entry["question"], self.show_answer)

    def screenshot(self, name: str, state: dict, then: Callable[[], None]) -> None:
        from aqt import mw
        from aqt.qt import QRect

        def grab() -> None:
            path = Path(self.args.artifacts) / name
            # Just the card down to the panel: the empty rest of the page says nothing.
            height = min(mw.web.height(), max(200, int(state["panel_bottom"]) + 28))
            image = mw.web.grab(QRect(0, 0, mw.web.width(), height)).toImage()
            image.save(str(path))
            self.entry["screenshot"] = {"path": str(path), "colours": _colour_count(image)}
            then()
        self.later(400, grab)  # let the compositor paint the frame the DOM already has

    def show_answer(self) -> None:
        from aqt import mw
        mw.reviewer._showAnswer()

    def on_answer(self, card: Any) -> None:
        self.result["events"].append(f"answer {card.id}")
        if "answer" in self.entry or self.entry.get("cid") != card.id:
            return  # a redraw, or an answer shown by something other than this driver
        cid = str(card.id)
        self.probe(lambda s: s["cid"] == cid and s["side"] == "a", self.check_answer, f"answer of card {cid}")

    def check_answer(self, state: dict) -> None:
        from aqt import mw
        self.entry["answer"] = state
        index = len(self.result["cards"])
        if not self.args.addon:
            self.looks("answer_looks", lambda: self.click_part(index))
            return
        if index == 1:
            # What the config dialog does on Save: write it, then call the add-on's action.
            mw.addonManager.writeConfig(self.package, LIVE_CONFIG)
            mw.addonManager.configUpdatedAction(self.package)(LIVE_CONFIG)
        elif index == 2:
            from aqt.theme import Theme
            mw.set_theme(Theme.DARK)
        elif index == 4:
            self.break_the_addon()
        elif index >= 5:
            self.finish()
            return
        mw.reviewer._answerCard(4)

    def click_part(self, index: int) -> None:
        """Click the first part that points somewhere; then the next card, or the end."""
        from aqt import mw
        found = [p for p in self.entry["answer"]["parts"] if not p["missing"]]

        def then(state: dict) -> None:
            self.entry["answer_after_click"] = state
            self.looks("answer_lit_looks", lambda: self.next_plain_card(index))
        if not found:
            self.next_plain_card(index)
            return
        mw.web.eval(f"document.querySelector('#qa [data-say-part={found[0]['part']}]').click();")
        self.probe(lambda s: bool(s["lit"]), then, "a passage to be highlighted")

    def next_plain_card(self, index: int) -> None:
        from aqt import mw
        if index >= 2:
            self.finish()
            return
        from aqt.theme import Theme
        mw.set_theme(Theme.DARK)
        mw.reviewer._answerCard(4)

    def break_the_addon(self) -> None:
        def boom(*_args: Any) -> str:
            raise RuntimeError("simulated failure in the prompt code")
        sys.modules[f"{self.package}.prompt"].add_prompt = boom

    def finish(self) -> None:
        from aqt import mw
        self.result["addon_log"] = _read_addon_log(mw, self.package) if self.package else ""
        self.result["done"] = True
        self.write_result()
        print("gui_driver: done", flush=True)
        mw.unloadProfileAndExit()
        self.later(20_000, lambda: os._exit(0))  # results are saved; never hang on shutdown


def _seconds_text(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def _colour_count(image: Any) -> int:
    """Distinct colours on a coarse grid: a blank grab has one."""
    seen = set()
    for x in range(0, image.width(), max(1, image.width() // 40)):
        for y in range(0, image.height(), max(1, image.height() // 40)):
            seen.add(image.pixel(x, y))
    return len(seen)


def _read_addon_log(mw: Any, package: str) -> str:
    path = mw.addonManager.logs_folder(package) / f"{package}.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    for name in ("base", "deck", "result", "artifacts"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--addon", default="", help="the .ankiaddon to install; none: the card's own prompt")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")
    Path(args.artifacts).mkdir(parents=True, exist_ok=True)
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
