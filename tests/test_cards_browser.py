"""Every card of lesson 6.9 in a real browser (Debian's chromium, driven by Playwright).

Each card is rendered by Anki's template engine (``card.render_output()``), put in a page
the way the apps show it (the card HTML in <body>, the note type CSS in a <style>), and
checked front and back, light and night, at 360 px (a phone, with AnkiDroid's classes:
``mobile android`` on <html>, ``card card1 night_mode nightMode`` on <body>) and at
1024 px (the desktop: ``card card1 nightMode`` on one element). In every case:

* the page does not scroll sideways (``scrollWidth`` <= the viewport);
* no element is wider than the viewport unless it sits inside a scroll box;
* every piece of text has at least 4.5:1 contrast with the background behind it;
* night mode really is dark (and light mode light), code blocks included.

No browser is ever downloaded: without /usr/bin/chromium (or without the playwright
package) these tests skip, and under CI=true they fail instead.
"""
from __future__ import annotations

import os
import shutil
import struct
import zlib
from pathlib import Path

import pytest

from conftest import LESSON_MD, build_decks, import_apkg, new_collection, require

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
WIDTHS = (360, 1024)
HEIGHT = 640
AA = 4.5
LESSON_CARDS = 21

# Runs in the page; returns a list of problems (empty when the card is fine).
CHECK_JS = r"""
([expectDark, minimum]) => {
  const problems = [];
  const root = document.documentElement, body = document.body;
  const vw = root.clientWidth;
  const name = (el) => el.tagName.toLowerCase() +
    (typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().split(/\s+/).join(".") : "");
  const path = (el) => {
    const parts = [];
    for (let e = el; e && e !== body; e = e.parentElement) parts.unshift(name(e));
    return parts.join(" > ");
  };
  const parse = (value) => {
    const m = /rgba?\(([^)]+)\)/.exec(value);
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, bottom) => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const ratio = (a, b) => {
    const x = lum(a), y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  };
  // The colour behind an element: its own and its ancestors' backgrounds over the white canvas.
  const backdrop = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) layers.push(c);
      if (c && c[3] >= 1) break;
    }
    let colour = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) colour = over(layers[i], colour);
    return colour;
  };
  const rgb = (c) => `rgb(${c.slice(0, 3).map(Math.round).join(", ")})`;

  if (root.scrollWidth > window.innerWidth) {
    problems.push(`page scrolls sideways: scrollWidth ${root.scrollWidth} > ${window.innerWidth}`);
  }

  const scrolls = (el) => ["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(el).overflowX);
  for (const el of body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (!r.width && !r.height) continue;
    if (r.left >= -0.5 && r.right <= vw + 0.5) continue;
    let boxed = false;
    for (let a = el.parentElement; a && a !== body && !boxed; a = a.parentElement) boxed = scrolls(a);
    if (!boxed) {
      problems.push(`${path(el)} spans ${Math.round(r.left)}..${Math.round(r.right)} px, viewport ${vw}`);
    }
  }

  const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || seen.has(el)) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || !el.getClientRects().length) continue;
    const fg = parse(style.color);
    if (!fg) { problems.push(`${path(el)}: cannot read the colour ${style.color}`); continue; }
    const bg = backdrop(el);
    const r = ratio(over(fg, bg), bg);
    if (r < minimum) {
      const text = node.textContent.trim().slice(0, 30);
      problems.push(`${path(el)} "${text}": contrast ${r.toFixed(2)}:1 (${style.color} on ${rgb(bg)})`);
    }
  }
  if (!seen.size) problems.push("no text found");

  const wrong = expectDark ? "light in night mode" : "dark in light mode";
  const dark = (el) => lum(backdrop(el)) < 0.05;
  if (dark(body) !== expectDark) problems.push(`the page background is ${wrong}`);
  for (const code of document.querySelectorAll(".hl")) {
    if (dark(code) !== expectDark) problems.push(`a code block background is ${wrong}`);
  }
  return problems;
}
"""


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One Chromium (a Playwright persistent context on a fresh profile) for the whole module."""
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable("Debian's chromium is not installed (apt install chromium); browser tests need it")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install playwright; it drives the system"
                     " chromium, no browser download)")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True,
            args=FLAGS, viewport={"width": WIDTHS[0], "height": HEIGHT})
        context.route("**/*", lambda route: route.abort()
                      if route.request.url.startswith(("http:", "https:")) else route.continue_())
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="module")
def pages(browser):
    """A page per viewport width, reused by every card; remote requests are recorded (and refused)."""
    made = {}
    requests = []
    for width in WIDTHS:
        page = browser.new_page()
        page.set_viewport_size({"width": width, "height": HEIGHT})
        page.on("request", lambda request: requests.append(request.url)
                if request.url.startswith(("http:", "https:")) else None)
        made[width] = page
    made["requests"] = requests
    return made


def render_lesson(paths, folder: Path) -> list[dict]:
    """Every card of a build, rendered by Anki: label, ord, front, back, css."""
    result = build_decks(paths, folder / "dist", use_state=False)
    col = new_collection(folder / "anki")
    try:
        import_apkg(col, result.packages[0])
        cards = []
        for cid in sorted(col.find_cards(""), key=lambda cid: (col.get_card(cid).due, cid)):
            card = col.get_card(cid)
            output = card.render_output()
            cards.append({"label": card.note().fields[0][:60], "ord": card.ord, "front": output.question_text,
                          "back": output.answer_text, "css": output.css, "media": Path(col.media.dir())})
        return cards
    finally:
        col.close()


@pytest.fixture(scope="module")
def lesson_cards(tmp_path_factory):
    require("anki")
    cards = render_lesson([LESSON_MD], tmp_path_factory.mktemp("lesson-6.9"))
    assert len(cards) == LESSON_CARDS
    return cards


def card_page(card_html: str, css: str, ord_: int, dark: bool, phone: bool) -> str:
    html_class = "mobile android" if phone else ""
    night = (" night_mode nightMode" if phone else " nightMode") if dark else ""
    return (f'<!doctype html><html class="{html_class}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{css}</style></head>'
            f'<body class="card card{ord_ + 1}{night}">{card_html}</body></html>')


def check_card(pages, card: dict, width: int) -> list[str]:
    page = pages[width]
    problems = []
    for side in ("front", "back"):
        for dark in (False, True):
            page.set_content(card_page(card[side], card["css"], card["ord"], dark, phone=width < 600))
            for problem in page.evaluate(CHECK_JS, [dark, AA]):
                problems.append(f"{side}, {'night' if dark else 'light'}, {width} px: {problem}")
    return problems


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("number", range(1, LESSON_CARDS + 1))
def test_lesson_card_fits_and_is_readable(pages, lesson_cards, number, width):
    card = lesson_cards[number - 1]
    problems = check_card(pages, card, width)
    assert not problems, f"card {number} ({card['label']}):\n" + "\n".join(problems)


def test_no_card_asked_for_anything_remote(pages, lesson_cards):
    for number in (1, 9, LESSON_CARDS):
        check_card(pages, lesson_cards[number - 1], WIDTHS[0])
    assert pages["requests"] == []


def test_desktop_keeps_a_readable_line_length(pages, lesson_cards):
    page = pages[1024]
    card = lesson_cards[8]  # Q9, with the YAML block
    page.set_content(card_page(card["back"], card["css"], card["ord"], dark=False, phone=False))
    width = page.evaluate("document.querySelector('.ad-card').getBoundingClientRect().width")
    size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.ad-card')).fontSize)")
    assert width <= 40 * size < 1024, f"the card is {width} px wide at 1024 px"
    assert page.evaluate("document.querySelectorAll('.hl span[class]').length") > 5  # highlighted YAML
    family = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert family.startswith("system-ui"), family


def test_phone_and_night_classes_change_the_card(pages, lesson_cards):
    """The 360 px checks really run in AnkiDroid's night mode, and the desktop form works on its own."""
    card = lesson_cards[0]
    for width, phone in ((360, True), (1024, False)):
        page = pages[width]
        page.set_content(card_page(card["front"], card["css"], card["ord"], dark=True, phone=phone))
        body = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert body == "rgb(13, 17, 23)", (width, body)
        size = page.evaluate("getComputedStyle(document.body).fontSize")
        assert size == ("18px" if phone else "20px")


# --- Content made to be awkward -----------------------------------------------------------------

WIDE_LESSON = """Episode 9 — Stress Tests / 9.1 — Wide Content

# Interview Questions: Wide Content

## Beginner (Q1--Q1)

### Q1. What happens to https://example.com/a/very/long/path/that/never/stops/because/it/is/one/url/without/spaces?

**Why interviewers ask:** Pneumonoultramicroscopicsilicovolcanoconiosis-Supercalifragilisticexpialidocious.

**Model answer:**

| Service | Port | Protocol | Health check | Owner team | Escalation contact |
|---|---|---|---|---|---|
| user-service | 3000 | HTTP/1.1 | /health/liveness/and/readiness | identity-platform | oncall@example.com |

```python
def a_function_with_a_really_long_signature(argument_one, argument_two, argument_three, argument_four):
    return "a string literal that goes on and on and on and on and on and on and on and on and on"
```

![A wide diagram](wide.png)

`inline_code_that_is_extremely_long_and_has_no_break_opportunities_whatsoever_inside_it`

See https://example.com/another/extremely/long/url/with/no/break/opportunities/and/more/and/more.

## Quick-fire

| # | Question | One-line answer |
|---|---|---|
| 1 | Longest word? | Pneumonoultramicroscopicsilicovolcanoconiosis-Supercalifragilisticexpialidocious |
"""


def png_bytes(width: int, height: int, colour=(40, 120, 200)) -> bytes:
    raw = b"".join(b"\x00" + bytes(colour) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def write_wide_lesson(root: Path) -> Path:
    """A lesson with a wide table, long code lines, long URLs and words, and a 1600 px image."""
    folder = root / "episode-9-stress"
    folder.mkdir(parents=True)
    (folder / "9.1-interview-questions.md").write_text(WIDE_LESSON, encoding="utf-8")
    (folder / "wide.png").write_bytes(png_bytes(1600, 200))
    return root


def test_wide_tables_code_images_and_long_words_stay_inside_a_phone(pages, tmp_path):
    require("anki")
    cards = render_lesson([write_wide_lesson(tmp_path / "content")], tmp_path / "build")
    assert len(cards) == 2
    back = cards[0]["back"]
    # the code block is the answer's example, so it carries the id the Check yourself part points at
    assert "<table>" in back and '<div class="hl ad-say-target" id="ad-say-example">' in back and "<img" in back
    page = pages[360]
    shown = cards[0]["media"] / "card.html"  # beside the media, so the image loads as in Anki
    for card in cards:
        for side in ("front", "back"):
            for dark in (False, True):
                shown.write_text(card_page(card[side], card["css"], card["ord"], dark, phone=True), encoding="utf-8")
                page.goto(shown.as_uri())
                problems = page.evaluate(CHECK_JS, [dark, AA])
                assert not problems, f"{card['label']} {side} {'night' if dark else 'light'}:\n" + "\n".join(problems)
    shown.write_text(card_page(cards[0]["back"], cards[0]["css"], 0, False, True), encoding="utf-8")
    page.goto(shown.as_uri())
    image = page.evaluate("(i => [i.naturalWidth, i.getBoundingClientRect().width])(document.images[0])")
    assert image[0] == 1600 and image[1] <= 360, image  # loaded, and scaled down to the phone
    boxes = page.evaluate("""[...document.querySelectorAll('table, pre')].map(
        e => [e.tagName, e.scrollWidth > e.clientWidth, getComputedStyle(e).overflowX])""")
    assert boxes == [["TABLE", True, "auto"], ["PRE", True, "auto"]], boxes  # they scroll in their own box
