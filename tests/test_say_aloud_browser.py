"""The card's own "say it aloud" drill and "Check yourself", in Chromium, as AnkiDroid shows cards.

Every interview card of lesson 6.9 is rendered by Anki's template engine and put in a page
that reproduces AnkiDroid's card viewer: the card inside ``#qa``, ``card card1`` on <body>
(plus ``night_mode nightMode`` at night), no viewport meta tag. Each is checked at 360 and
1024 px, light and night, with JavaScript on and off:

* the prompt is there once; with JavaScript its steps can be marked and the timer counts;
  without it the steps are a readable list and no dead timer shows;
* running the card's script again (clients redraw cards) doubles nothing: one handler per
  step, one running timer;
* on the back, each of the three parts resolves to an element of the same side, or is
  marked missing; tapping a part highlights its passage;
* no page errors, no sideways scrolling, AA contrast (the checks of test_cards_browser.py).
"""
from __future__ import annotations

import os

import pytest

from conftest import LESSON_MD, build_decks, import_apkg, new_collection, require
from test_cards_browser import AA, CHECK_JS, CHROMIUM, FLAGS, HEIGHT, WIDTHS, _unavailable

pytestmark = pytest.mark.browser

SPEAK_SECONDS = 30
INTERVIEW_CARDS = 11
# Counts the intervals a page has running (wraps whatever setInterval the page has, fake clock included).
COUNT_TIMERS = """<script>(function () {
  var set = window.setInterval, clear = window.clearInterval, live = {};
  window.setInterval = function () { var id = set.apply(window, arguments); live[id] = 1; return id; };
  window.clearInterval = function (id) { delete live[id]; return clear.call(window, id); };
  window.liveTimers = function () { return Object.keys(live).length; };
})();</script>"""

PROMPT_STATE_JS = r"""() => {
  const qa = document.getElementById("qa");
  const boxes = qa.querySelectorAll(".ad-say-aloud");
  const box = boxes[0];
  const shown = (el) => !!el && getComputedStyle(el).display !== "none" && el.getClientRects().length > 0;
  const timer = box && box.querySelector(".ad-say-timer");
  return {
    prompts: boxes.length,
    seen: (qa.innerText.match(/say it aloud/gi) || []).length,
    live: !!box && box.classList.contains("ad-say-live"),
    steps: box ? [...box.querySelectorAll(".ad-say-step")].map((li) => [
      li.querySelector(".ad-say-name").textContent, li.getAttribute("aria-pressed"), shown(li)]) : [],
    timer: shown(timer) ? timer.textContent : null,
    timers: window.liveTimers ? window.liveTimers() : null,
  };
}"""

PARTS_JS = r"""() => {
  const qa = document.getElementById("qa");
  return [...qa.querySelectorAll("[data-say-part]")].map((el) => {
    const id = el.getAttribute("data-target");
    const target = id ? document.getElementById(id) : null;
    return {
      part: el.getAttribute("data-say-part"),
      missing: el.hasAttribute("data-missing"),
      target: id,
      resolves: !!target && qa.contains(target),
      text: target ? target.textContent.trim() : "",
      shown: el.getClientRects().length > 0,
    };
  });
}"""

RERUN_SCRIPTS_JS = """() => {
  for (const old of [...document.querySelectorAll("#qa script")]) {
    (0, eval)(old.textContent);
  }
}"""

# What AnkiDroid and Anki desktop do when they redraw a card: new HTML, then its scripts run.
REDRAW_JS = """(html) => {
  const qa = document.getElementById("qa");
  qa.innerHTML = html;
  for (const old of [...qa.querySelectorAll("script")]) {
    const fresh = document.createElement("script");
    fresh.textContent = old.textContent;
    old.replaceWith(fresh);
  }
}"""


def ankidroid_page(card_html: str, css: str, dark: bool) -> str:
    night = " night_mode nightMode" if dark else ""
    return (f'<!doctype html><html><head><meta charset="utf-8"><style>{css}</style>{COUNT_TIMERS}</head>'
            f'<body class="card card1{night}"><div id="qa">{card_html}</div></body></html>')


def interview_cards(folder, **options) -> list[dict]:
    result = build_decks([LESSON_MD], folder / "dist", use_state=False, **options)
    col = new_collection(folder / "anki")
    try:
        import_apkg(col, result.packages[0])
        cards = []
        for cid in sorted(col.find_cards("mid:1794512603101"), key=lambda cid: (col.get_card(cid).due, cid)):
            output = col.get_card(cid).render_output()
            cards.append({"front": output.question_text, "back": output.answer_text, "css": output.css})
        return cards
    finally:
        col.close()


@pytest.fixture(scope="module")
def cards(tmp_path_factory):
    require("anki")
    made = {"timed": interview_cards(tmp_path_factory.mktemp("timed"), speak_seconds=SPEAK_SECONDS),
            "plain": interview_cards(tmp_path_factory.mktemp("plain"))}
    assert len(made["timed"]) == len(made["plain"]) == INTERVIEW_CARDS
    return made


@pytest.fixture(scope="module")
def chromium():
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable("Debian's chromium is not installed (apt install chromium); browser tests need it")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module", params=[True, False], ids=["js-on", "js-off"])
def pages(request, chromium):
    """One page per width, JavaScript on or off; page errors and remote requests are recorded."""
    context = chromium.new_context(java_script_enabled=request.param)
    context.route("**/*", lambda route: route.abort()
                  if route.request.url.startswith(("http:", "https:")) else route.continue_())
    made = {"js": request.param, "errors": [], "requests": []}
    for width in WIDTHS:
        page = context.new_page()
        page.set_viewport_size({"width": width, "height": HEIGHT})
        page.on("pageerror", lambda error: made["errors"].append(str(error)))
        page.on("console", lambda message: made["errors"].append(message.text)
                if message.type == "error" else None)
        page.on("request", lambda r: made["requests"].append(r.url) if r.url.startswith(("http:", "https:")) else None)
        made[width] = page
    yield made
    context.close()


def looks(page, dark: bool) -> list[str]:
    return page.evaluate(CHECK_JS, [dark, AA])


def static_state(page) -> dict:
    """What a page without JavaScript shows (read through a second, script-enabled look is not possible)."""
    return {
        "prompts": page.locator("#qa .ad-say-aloud").count(),
        "text": page.locator("#qa .ad-say-aloud").inner_text(),
        "timer_visible": page.locator("#qa .ad-say-timer").is_visible(),
        "ready": page.locator("#qa .ad-say-aloud").get_attribute("data-ready"),
    }


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("dark", [False, True], ids=["light", "night"])
def test_front_prompt_on_every_card(pages, cards, width, dark):
    page, problems = pages[width], []
    page.bring_to_front()  # a background tab runs its animation frames (and so clicks) slowly
    for number, card in enumerate(cards["timed"], 1):
        page.set_content(ankidroid_page(card["front"], card["css"], dark))
        where = f"Q{number}"
        if not pages["js"]:
            state = static_state(page)
            assert state["prompts"] == 1 and state["ready"] is None, where
            assert state["text"].split("\n")[0].strip() == "Say it aloud: definition → example → pitfall"
            for name in ("Definition", "Example", "Pitfall"):
                assert name in state["text"], where
            assert not state["timer_visible"], f"{where}: a timer that cannot count is hidden"
            problems += [f"{where}: {p}" for p in looks(page, dark)]
            continue
        state = page.evaluate(PROMPT_STATE_JS)
        assert state["prompts"] == 1 and state["seen"] == 1 and state["live"], (where, state)
        assert state["steps"] == [["Definition", "false", True], ["Example", "false", True],
                                  ["Pitfall", "false", True]], where
        assert state["timer"] == "0:30" and state["timers"] == 1, (where, state)
        page.click("#qa .ad-say-step[data-step=definition]")
        page.click("#qa .ad-say-step[data-step=pitfall]")
        marked = [step[1] for step in page.evaluate(PROMPT_STATE_JS)["steps"]]
        assert marked == ["true", "false", "true"], where
        problems += [f"{where} (steps marked): {p}" for p in looks(page, dark)]
    assert not problems, "\n".join(problems)
    assert pages["errors"] == [] and pages["requests"] == []


def test_timer_counts_down_and_stops_at_zero(chromium, cards):
    page = chromium.new_page(viewport={"width": 360, "height": HEIGHT})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.clock.install()
    card = cards["timed"][0]
    page.set_content(ankidroid_page(card["front"], card["css"], dark=False))
    assert page.evaluate(PROMPT_STATE_JS)["timer"] == "0:30"
    page.clock.run_for(5_000)
    assert page.evaluate(PROMPT_STATE_JS)["timer"] == "0:25"
    page.clock.run_for(60_000)
    state = page.evaluate(PROMPT_STATE_JS)
    assert state["timer"] == "0:00" and state["timers"] == 0, state
    assert page.locator("#qa .ad-say-timer.ad-say-over").count() == 1
    assert looks(page, dark=False) == []
    assert errors == []
    page.close()


def test_without_speak_seconds_there_is_no_timer(chromium, cards):
    page = chromium.new_page(viewport={"width": 360, "height": HEIGHT})
    card = cards["plain"][0]
    page.set_content(ankidroid_page(card["front"], card["css"], dark=False))
    state = page.evaluate(PROMPT_STATE_JS)
    assert state["timer"] is None and state["timers"] == 0 and state["live"]
    assert 'data-seconds="0"' in card["front"]
    page.close()


def test_running_the_script_again_doubles_nothing(chromium, cards):
    page = chromium.new_page(viewport={"width": 360, "height": HEIGHT})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.clock.install()
    card = cards["timed"][2]
    page.set_content(ankidroid_page(card["front"], card["css"], dark=True))
    page.clock.run_for(3_000)
    page.evaluate(RERUN_SCRIPTS_JS)
    page.evaluate(RERUN_SCRIPTS_JS)
    page.click("#qa .ad-say-step[data-step=example]")  # one click, one toggle: not three
    state = page.evaluate(PROMPT_STATE_JS)
    assert [step[1] for step in state["steps"]] == ["false", "true", "false"]
    assert state["timers"] == 1 and state["timer"] == "0:27", state  # the same timer, still counting
    # the client redraws the card: a fresh prompt, the old timer stopped, the new one counting
    page.evaluate(REDRAW_JS, card["front"])
    page.clock.run_for(1_000)
    state = page.evaluate(PROMPT_STATE_JS)
    assert state["prompts"] == 1 and state["timers"] == 1 and state["timer"] == "0:29", state
    assert [step[1] for step in state["steps"]] == ["false", "false", "false"]
    # and the answer side, run again, still highlights one passage per tap
    page.evaluate(REDRAW_JS, card["back"])
    page.evaluate(RERUN_SCRIPTS_JS)
    assert page.evaluate("window.liveTimers()") == 0  # the question's timer stopped with its card
    page.click("#qa [data-say-part=definition]")
    assert page.locator(".ad-say-lit").count() == 1
    assert errors == []
    page.close()


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("dark", [False, True], ids=["light", "night"])
def test_back_parts_point_at_real_passages(pages, cards, width, dark):
    page, problems, found = pages[width], [], 0
    page.bring_to_front()
    for number, card in enumerate(cards["timed"], 1):
        page.set_content(ankidroid_page(card["back"], card["css"], dark))
        where = f"Q{number}"
        parts = page.evaluate(PARTS_JS)
        assert [p["part"] for p in parts] == ["definition", "example", "pitfall"], where
        for part in parts:
            assert part["shown"], (where, part)
            if part["missing"]:
                assert part["target"] is None, (where, part)
                continue
            found += 1
            assert part["resolves"] and part["text"], (where, part)
            selector = f"#qa [data-say-part={part['part']}]"
            page.click(selector)
            if pages["js"]:
                lit = page.evaluate("[...document.querySelectorAll('.ad-say-lit')].map(e => e.id)")
                assert lit == [part["target"]], (where, part, lit)
            else:  # a plain link: the browser goes to the passage, which :target highlights
                assert page.evaluate("location.hash") == f"#{part['target']}", where
            problems += [f"{where} ({part['part']} shown): {p}" for p in looks(page, dark)]
        problems += [f"{where}: {p}" for p in looks(page, dark)]
        assert page.locator("#qa .ad-say-aloud").count() == 0, "no prompt on the answer side"
    assert found == 12, "lesson 6.9's answers point at 12 passages (see the README's coverage table)"
    assert not problems, "\n".join(problems)
    assert pages["errors"] == [] and pages["requests"] == []
