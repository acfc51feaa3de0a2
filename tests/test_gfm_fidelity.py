"""What GitHub shows is what the card shows, proven differentially: every answer of the shape
lessons is rendered by cmark-gfm (GitHub's own renderer, the oracle, used only here) and its
structure (list items and their nesting, table cells, code blocks, emphasis, strikethrough,
links) is compared with the note's field after a real import into Anki. Also: text that reads
``\\(`` on a card is never typeset as maths by Anki's own MathJax, checked in Chromium."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import answer_of
from test_cards_browser import browser  # noqa: F401 - the shared Chromium fixture

SHAPES = Path(__file__).resolve().parent / "data" / "shapes"
LESSONS = sorted(p for p in SHAPES.glob("*.md") if p.name != "README.md")
TASK_MARKS = "\u2610\u2611"


def structure(html: str) -> list[tuple]:
    """The parts of rendered Markdown a reader relies on, in document order."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all("input"):
        tag.decompose()  # GitHub's task-list checkboxes; cards show them as marks
    found = []
    for element in soup.find_all(["ul", "ol", "li", "th", "td", "pre", "em", "strong", "del", "a"]):
        depth = sum(1 for parent in element.parents if parent.name in ("ul", "ol"))
        if element.name in ("ul", "ol"):
            found.append((element.name, depth, len(element.find_all("li", recursive=False))))
        elif element.name == "li":
            found.append(("li", depth, _li_text(element)))
        elif element.name == "pre":
            found.append(("pre", " ".join(element.get_text().split())))
        elif element.name == "a":
            found.append(("a", element.get("href", "")))
        elif not element.find_parent("pre"):
            found.append((element.name, " ".join(element.get_text().split())))
    return found


def _li_text(item) -> str:
    clone = BeautifulSoup(str(item), "html.parser").li
    for nested in clone.find_all(["ul", "ol"]):
        nested.decompose()
    text = " ".join(clone.get_text(" ").split())
    return re.sub(r"\s+([,.;:!?)])", r"\1", "".join(ch for ch in text if ch not in TASK_MARKS)).strip()


def github(markdown_text: str) -> str:
    import cmarkgfm
    from cmarkgfm.cmark import Options
    return cmarkgfm.github_flavored_markdown_to_html(markdown_text, options=Options.CMARK_OPT_UNSAFE)


@pytest.fixture(scope="module")
def fields(shapes_course):
    """(lesson name, line) -> (answer Markdown as read, answer field after a real import)."""
    from ankideploy.diagnostics import Diagnostics
    from ankideploy.sources import SourceFile, read_lesson

    _, notes = shapes_course
    imported = {}
    for note in notes:
        if "Model Answer" in note.keys():
            source, line = note["Source"].rsplit(":", 1)
            imported[(source.split("/")[-1], int(line))] = answer_of(note["Model Answer"])  # after "Check yourself"
    answers = {}
    for lesson in LESSONS:
        parsed = read_lesson(SourceFile(lesson, lesson.name, lesson.name, SHAPES), Diagnostics())
        for question in parsed.questions:
            answers[(lesson.name, question.location.line)] = (question.answer.text,
                                                            imported[(lesson.name, question.location.line)])
    return answers


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_answers_have_the_structure_github_gives_them(fields, lesson):
    mine = {key: value for key, value in fields.items() if key[0] == lesson.name}
    expected = json.loads(lesson.with_suffix(".expected.json").read_text(encoding="utf-8"))
    assert len(mine) == sum(card["kind"] == "interview" for card in expected["cards"])
    for (name, line), (source, field) in mine.items():
        assert structure(field) == structure(github(source)), f"{name}:{line}\n{source}\n---\n{field}"


MATH_PAGE = """<!doctype html><html><head><meta charset="utf-8">
<script>{config}</script><script src="{mathjax}"></script></head>
<body class="card"><div id="qa">{card}</div></body></html>"""


@pytest.mark.browser
def test_escaped_brackets_stay_literal_under_ankis_own_mathjax(tmp_path, fields, browser):
    """Anki's MathJax, with Anki's own configuration, finds no maths in the rendered answer that
    reads '\\(a+\\)+b', and the text still reads that way; real maths still typesets."""
    import importlib.util

    web = Path(importlib.util.find_spec("_aqt").submodule_search_locations[0]) / "data" / "web" / "js"
    config = (web / "mathjax.js").read_text(encoding="utf-8").replace('"/_anki/js/vendor/mathjax"',
                                                                    f'"{(web / "vendor" / "mathjax").as_uri()}"')
    card = next(field for (name, _), (source, field) in fields.items() if "\\\\(" in source)
    page_file = tmp_path / "card.html"
    page_file.write_text(MATH_PAGE.format(config=config, mathjax=(web / "vendor/mathjax/tex-chtml-full.js").as_uri(),
                                          card=card + "<p id='real'>\\(x^2\\)</p>"), encoding="utf-8")
    page = browser.new_page()
    try:
        page.goto(page_file.as_uri())
        page.wait_for_function("window.MathJax && MathJax.typesetPromise", timeout=30000)
        page.evaluate("MathJax.typesetPromise()")
        typeset_in_card = page.evaluate("document.querySelectorAll('#qa > :not(#real) mjx-container').length")
        typeset_real = page.evaluate("document.querySelectorAll('#real mjx-container').length")
        text = page.evaluate("document.getElementById('qa').innerText")
    finally:
        page.close()
    assert typeset_real == 1  # the check can fail: Anki's MathJax really runs on this page
    assert typeset_in_card == 0
    assert "\\(a+\\)+b" in text


@pytest.mark.parametrize("text, link, after", [
    ("see www.example.com  \nnext", '<a href="http://www.example.com">www.example.com</a>', "<br>\nnext"),
    ("see https://example.com/a`code`", '<a href="https://example.com/a">https://example.com/a</a>',
     "<code>code</code>"),
])
def test_a_bare_link_stops_before_a_line_break_or_code_span(text, link, after):
    """GitHub ends a bare URL there; the link must not swallow the break or the code."""
    from ankideploy.render import Renderer
    html = Renderer.markdown(text).convert(text)
    assert link in html and after in html and "\x02" not in html
