"""Hostile HTML in lessons: nothing that can run, load or escape reaches a card.

Every vector of tests/data/xss/vectors.txt goes into its own lesson, in the
summary, a question heading, a why line, a model answer (inside a paragraph and
as a block of its own) and both cells of a quick-fire row. The lessons are built,
the package is imported into a real Anki collection, and each field (and each
deck description) is parsed with BeautifulSoup and checked.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import answer_of, build_decks, import_apkg, new_collection

VECTORS_FILE = Path(__file__).resolve().parent / "data" / "xss" / "vectors.txt"
VECTORS = [line for line in VECTORS_FILE.read_text(encoding="utf-8").split("\n")
           if line.strip() and not line.startswith("#:")]

# What a card may hold: formatting, lists, tables, code, kbd, images and links.
SAFE_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del",
    "details", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small",
    "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "u", "ul", "var",
}
FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "style", "meta", "base", "form", "link", "frame",
                  "frameset", "applet", "svg", "math", "input", "button", "textarea", "select", "noscript",
                  "template", "body", "html", "head", "title", "video", "audio", "source"}
TEXT_ATTRIBUTES = {"alt", "title", "class", "lang", "dir"}
BAD_CSS = ("url(", "expression(", "javascript:", "vbscript:", "-moz-binding", "behavior:", "@import")


def _squash(value: str) -> str:
    """A URL as a browser reads its scheme (WHATWG URL parsing): leading and trailing control
    characters and spaces stripped, tabs and newlines removed anywhere, lower case."""
    return re.sub(r"[\t\n\r]", "", value.strip("".join(map(chr, range(0x21))))).lower()


def _css(value: str) -> str:
    return re.sub(r"/\*.*?\*/|\s", "", value.lower())


def unsafe_parts(html: str) -> list[str]:
    """Everything in ``html`` that could run script, load a document or leave the card."""
    problems = []
    for tag in BeautifulSoup(html, "html.parser").find_all(True):
        name = tag.name.lower()
        if name in FORBIDDEN_TAGS or name not in SAFE_TAGS:
            problems.append(f"<{name}> element")
        for attribute, value in tag.attrs.items():
            attribute = attribute.lower()
            value = " ".join(value) if isinstance(value, list) else str(value)
            if attribute.startswith("on"):
                problems.append(f"{attribute}= on <{name}>")
                continue
            if attribute == "style":
                css = _css(value)
                problems.extend(f"style {bad} on <{name}>" for bad in BAD_CSS if bad in css)
                continue
            if attribute in TEXT_ATTRIBUTES:
                continue
            url = _squash(value)
            if url.startswith(("javascript:", "vbscript:")):
                problems.append(f"{url.split(':')[0]}: URL in {attribute}= on <{name}>")
            elif url.startswith("data:") and not (name == "img" and attribute == "src"
                                                  and url.startswith("data:image/")):
                problems.append(f"non-image data: URL in {attribute}= on <{name}>")
    return problems


def test_the_checker_itself_sees_each_kind_of_danger():
    assert unsafe_parts("<p>fine <b>bold</b> <a href='https://x.example'>x</a> <img src='a.png'></p>") == []
    assert unsafe_parts('<img src="data:image/png;base64,AAAA">') == []
    assert unsafe_parts('<a href="jav    ascript:x">relative, spaces are not removed</a>') == []
    for bad in ['<script>x</script>', '<b onclick="x()">b</b>', '<a href=" jav\tascript:x">x</a>',
                '<a href="VBScript:x">x</a>', '<a href="data:text/html,x">x</a>', '<iframe></iframe>',
                '<a href="java\nscript:x">x</a>', '<a href="\x01javascript:x">x</a>',
                '<object></object>', '<embed>', '<style>p{}</style>', '<meta http-equiv=refresh>',
                '<base href=x>', '<form></form>', '<span style="color: url(http://x)">x</span>',
                '<div style="width: expr/**/ession(x)">x</div>', '<img src="data:text/html,x">']:
        assert unsafe_parts(bad), bad


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def vector_lesson(number: int, vector: str) -> str:
    """A lesson holding ``vector`` in every place an author writes text (line numbers in comments)."""
    return "\n".join([
        f"# Interview Questions: Vector {number} {vector}",  # 1
        "",
        f"> Summary {vector}",  # 3
        "",
        "## Beginner (Q1--Q1)",  # 5
        "",
        f"### Q1. Heading {vector}",  # 7
        "",
        f"**Why interviewers ask:** Why {vector}",  # 9
        "",
        "**Model answer:**",  # 11
        "",
        f"Answer {vector}",  # 13
        "",
        vector,  # 15
        "",
        "## Quick-fire",  # 17
        "",
        "| # | Question | Answer |",
        "|---|---|---|",
        f"| 1 | Cell {_cell(vector)} | Reply {_cell(vector)} |",  # 21
        "",
    ])


@pytest.fixture(scope="module")
def hostile_collection(tmp_path_factory):
    from test_media import png_bytes

    folder = tmp_path_factory.mktemp("xss")
    content = folder / "content" / "episode-9-hostile"
    content.mkdir(parents=True)
    (content / "x.png").write_bytes(png_bytes((200, 0, 0)))
    (content / "x").write_bytes(png_bytes((0, 200, 0)))
    for i, vector in enumerate(VECTORS, start=1):
        (content / f"9.{i}-vector.md").write_text(vector_lesson(i, vector), encoding="utf-8")
    result = build_decks([folder / "content"], folder / "dist", use_state=False)
    col = new_collection(folder / "anki")
    if result.packages:
        import_apkg(col, result.packages[0])
    by_lesson: dict[int, list] = {}
    for nid in col.find_notes(""):
        note = col.get_note(nid)
        source = BeautifulSoup(note.fields[-1], "html.parser").get_text()
        number = int(re.search(r"9\.(\d+)-vector\.md:", source).group(1))
        by_lesson.setdefault(number, []).append(note)
    descriptions = {}
    for deck in col.decks.all():
        if m := re.match(r"^Episode 9.*::9\.(\d+) ", deck["name"]):
            descriptions[int(m.group(1))] = deck.get("desc", "")
    yield result, by_lesson, descriptions
    col.close()


KNOWN_BAD: dict[str, str] = {}  # vectors known to get through (none)


def _vector_params():
    for number, vector in enumerate(VECTORS, start=1):
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_BAD[vector])] if vector in KNOWN_BAD else []
        yield pytest.param(number, id=f"v{number}", marks=marks)


@pytest.mark.parametrize("number", list(_vector_params()))
def test_no_vector_survives_into_an_imported_field(hostile_collection, number):
    result, by_lesson, descriptions = hostile_collection
    vector = VECTORS[number - 1]
    errors = [str(d) for d in result.diagnostics.sorted()
              if d.severity == "error" and d.path.endswith(f"9.{number}-vector.md")]
    assert not errors, f"lesson for {vector!r} was left out: {errors}"
    notes = by_lesson.get(number, [])
    assert len(notes) == 2, f"{vector!r}: expected one question and one quick-fire note, got {len(notes)}"
    found = []
    for note in notes:
        for name, value in zip(note.keys(), note.fields):
            found += [f"{name}: {p}" for p in unsafe_parts(value)]
    found += [f"deck description: {p}" for p in unsafe_parts(descriptions.get(number, ""))]
    assert not found, f"{vector!r} left {found}"


def test_every_vector_lesson_was_built_and_imported(hostile_collection):
    result, by_lesson, descriptions = hostile_collection
    assert len(result.packages) == 1
    assert sorted(descriptions) == list(range(1, len(VECTORS) + 1))
    assert all("Summary" in text for text in descriptions.values())
    missing = [VECTORS[i - 1] for i in range(1, len(VECTORS) + 1) if len(by_lesson.get(i, [])) != 2]
    assert missing == []


def test_harmless_markup_survives_the_sanitiser(tmp_path):
    """The safe list is kept: sanitising must not strip the formatting authors rely on."""
    lesson = tmp_path / "content" / "3.1-safe.md"
    lesson.parent.mkdir()
    lesson.write_text("\n".join([
        "## Beginner (Q1--Q1)", "", "### Q1. What is <kbd>Ctrl</kbd>+<kbd>C</kbd>?", "",
        "**Model answer:**", "",
        "<b>bold</b> <i>it</i> <u>u</u> <sub>2</sub><sup>3</sup> <mark>m</mark> <code>x()</code>",
        "",
        "<table><tr><th>a</th></tr><tr><td>b</td></tr></table>",
        "",
        '<a href="https://example.com/doc">docs</a> <span style="color: red">red</span>',
        "",
        "| left | right |", "|:-----|------:|", "| 1 | 2 |",  # aligned columns, in an answer with HTML
        "",
        "```python", "print('hi')", "```", ""]), encoding="utf-8")
    result = build_decks([lesson.parent], tmp_path / "dist", use_state=False)
    assert [d for d in result.diagnostics.items if d.severity == "error"] == []
    col = new_collection(tmp_path / "anki")
    try:
        import_apkg(col, result.packages[0])
        note = col.get_note(col.find_notes("")[0])
        front, back = note.fields[0], note.fields[1]
        assert front.count("<kbd>") == 2
        soup = BeautifulSoup(answer_of(back), "html.parser")  # the author's answer, after "Check yourself"
        for tag in ("b", "i", "u", "sub", "sup", "mark", "code", "table", "th", "td", "pre"):
            assert soup.find(tag) is not None, tag
        assert soup.find("a")["href"] == "https://example.com/doc"
        assert "color" in soup.find("span", style=True)["style"]
        assert [cell["style"] for cell in soup.find_all("th", style=True)] == ["text-align:left",
                                                                                "text-align:right"]
        assert unsafe_parts(front) == [] and unsafe_parts(back) == []
        assert not [d for d in result.diagnostics.items if "removed" in d.message]
    finally:
        col.close()


# --- warnings: each removal is reported at the line it was written on -----------------------------

PLACES = {  # position: (line, how the line reads with the vector in it)
    "summary": (3, "> Summary {v}"),
    "heading": (7, "### Q1. Heading {v}"),
    "why": (9, "**Why interviewers ask:** Why {v}"),
    "answer": (17, "Third paragraph {v}"),
    "quick-fire question": (23, "| 1 | Cell {v} | Reply |"),
    "quick-fire answer": (23, "| 1 | Cell? | Reply {v} |"),
}


def _place(position: str, vector: str) -> tuple[str, int]:
    """A lesson with ``vector`` only at ``position``, and the line it is on."""
    text = [
        "# Interview Questions: Lines",  # 1
        "",
        "> Summary",  # 3
        "",
        "## Beginner (Q1--Q1)",  # 5
        "",
        "### Q1. Heading",  # 7
        "",
        "**Why interviewers ask:** Why",  # 9
        "",
        "**Model answer:**",  # 11
        "",
        "First paragraph.",  # 13
        "",
        "Second paragraph.",  # 15
        "",
        "Third paragraph",  # 17
        "",
        "## Quick-fire",  # 19
        "",
        "| # | Question | Answer |",
        "|---|---|---|",
        "| 1 | Cell? | Reply |",  # 23
        "",
    ]
    line, template = PLACES[position]
    text[line - 1] = template.format(v=_cell(vector) if position.startswith("quick") else vector)
    return "\n".join(text), line


def process(file):
    """``ankideploy.build.process_file`` for one file, rendering as a build does (not check-only)."""
    import dataclasses

    from ankideploy import build as pipeline
    from ankideploy.notes import DeckOptions

    settings_type = getattr(pipeline, "Settings", None)
    if settings_type is None:
        settings = DeckOptions()
    else:
        settings = settings_type(**{f.name: DeckOptions() if f.name == "deck" else False
                                    for f in dataclasses.fields(settings_type)
                                    if f.default is dataclasses.MISSING
                                    and f.default_factory is dataclasses.MISSING})
    out = pipeline.process_file(file, settings)
    return out[0] if isinstance(out, tuple) else out


def source_file(path: Path, root: Path | None = None):
    from ankideploy.sources import SourceFile

    return SourceFile(path, path.name, path.name, (root or path.parent).resolve())


def removal_warnings(tmp_path: Path, text: str, name: str = "4.1-lines.md") -> list:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = process(source_file(path))
    assert result.lesson is not None, [str(d) for d in result.diagnostics]
    return sorted({(d.line, d.message) for d in result.diagnostics if d.message.startswith("removed")})


POSITIONS = ["summary", "heading", "why",
             "answer", "quick-fire question", "quick-fire answer"]
LINE_VECTORS = ["<script>alert(1)</script>", "<img src=x.png onerror=alert(1)>", "<svg onload=alert(1)>",
                '<iframe src="javascript:alert(1)"></iframe>', "[x](javascript:alert(1))",
                '<a href="JaVaScRiPt:alert(1)">x</a>', '<b onclick="alert(1)">b</b>']


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("vector", LINE_VECTORS)
def test_removal_warning_names_the_line_of_the_vector(tmp_path, vector, position):
    (tmp_path / "x.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    text, line = _place(position, vector)
    warnings = removal_warnings(tmp_path, text)
    assert warnings and {w[0] for w in warnings} == {line}, warnings


def _answer_with(*paragraphs: str) -> str:
    """A lesson whose model answer starts on line 7, one paragraph every other line."""
    body = []
    for p in paragraphs:
        body += [p, ""]
    return "\n".join(["## Beginner (Q1--Q1)", "", "### Q1. Where?", "", "**Model answer:**", "", *body])


def test_removal_in_the_first_answer_line_is_reported_there(tmp_path):
    assert removal_warnings(tmp_path, _answer_with("<script>alert(1)</script> first")) == \
        [(7, "removed <script> element: not allowed in cards")]


def test_each_of_two_removals_of_the_same_kind_is_reported_at_its_own_line(tmp_path):
    warnings = removal_warnings(tmp_path, _answer_with("Intro.", "<script>a()</script>", "Middle.",
                                                       "<script>b()</script>"))
    assert [line for line, _ in warnings] == [9, 13]


def test_removal_is_reported_at_the_tag_not_at_earlier_prose_naming_it(tmp_path):
    warnings = removal_warnings(tmp_path, _answer_with("Never trust onerror handlers.",
                                                       '<b onerror="alert(1)">x</b>'))
    assert [line for line, _ in warnings] == [9]


def test_entity_obfuscated_href_is_reported_at_its_line(tmp_path):
    warnings = removal_warnings(tmp_path, _answer_with("Intro.", '<a href="jav&#x09;ascript:alert(1)">x</a>'))
    assert [line for line, _ in warnings] == [9]


@pytest.mark.parametrize("link", ["[x](jav&#x09;ascript:alert(1))", "[x](&#106;avascript:alert(1))",
                                  "[x](java&#115;cript:alert(1))"])
def test_entity_obfuscated_markdown_link_removal_is_reported(tmp_path, link):
    warnings = removal_warnings(tmp_path, _answer_with("Intro.", link))
    assert [line for line, _ in warnings] == [9]


@pytest.mark.parametrize("style", ["width: expression(alert('x'))", "xss:expr/*XSS*/ession(alert('x'))"])
def test_style_expression_removal_is_reported(tmp_path, style):
    warnings = removal_warnings(tmp_path, _answer_with("Intro.", f'<div style="{style}">x</div>'))
    assert [line for line, _ in warnings] == [9]


def test_card_escaping_style_removal_is_reported(tmp_path):
    warnings = removal_warnings(tmp_path, _answer_with(
        "Intro.", '<div style="position: fixed; top: 0; left: 0; width: 100%; height: 100%">x</div>'))
    assert [line for line, _ in warnings] == [9]


def test_line_numbers_stay_true_after_a_comment_only_line_in_the_answer(tmp_path):
    warnings = removal_warnings(tmp_path, _answer_with("Intro.", "<!-- tags: security -->",
                                                       "<script>alert(1)</script>"))
    assert [line for line, _ in warnings] == [11]


def test_line_of_a_removal_in_question_detail_right_under_the_heading(tmp_path):
    text = "\n".join(["## Beginner (Q1--Q1)", "", "### Q1. Heading?",
                      "Detail <script>alert(1)</script>", "", "**Model answer:** yes", ""])
    assert [line for line, _ in removal_warnings(tmp_path, text)] == [4]


def test_css_url_to_a_remote_host_is_really_removed(tmp_path):
    path = tmp_path / "4.2-css.md"
    path.write_text(_answer_with('<span style="color: url(http://xss.example/t.png)">x</span>'), encoding="utf-8")
    result = process(source_file(path))
    back = result.notes[0].fields[1]
    assert "url(" not in back, back


def test_removal_warnings_do_not_stop_the_lesson(tmp_path):
    """Removals are warnings: the lesson is still built, minus the removed part."""
    lesson = tmp_path / "content" / "4.3-warn.md"
    lesson.parent.mkdir()
    lesson.write_text(_answer_with("Keep this.", "<script>alert(1)</script>"), encoding="utf-8")
    result = build_decks([lesson.parent], tmp_path / "dist", use_state=False)
    assert result.diagnostics.error_count == 0 and result.diagnostics.warning_count >= 1
    assert result.note_count == 1 and len(result.packages) == 1


# --- control and odd characters: a package Anki can always import ---------------------------------

ODD_CHARACTERS = [chr(c) for c in range(1, 32) if chr(c) not in "\t\n\r"] + \
    ["\x7f", "\x85", "\u200b", "\u2028", "\u2029", "\ufeff", "\ufffe", "\uffff", "\U0010ffff"]


def odd_lesson(ch: str) -> str:
    return "\n".join([
        f"# Interview Questions: Odd{ch}title", "", "## Beginner (Q1--Q1)", "", f"### Q1. Odd{ch}question?", "",
        f"**Why interviewers ask:** odd{ch}why", "", f"**Model answer:** odd{ch}answer", "", "## Quick-fire", "",
        "| # | Question | Answer |", "|---|---|---|", f"| 1 | odd{ch}cell? | odd{ch}reply |", ""])


def build_and_import(tmp_path: Path, characters: list[str]):
    content = tmp_path / "content"
    content.mkdir()
    for i, ch in enumerate(characters, start=1):
        (content / f"7.{i}-odd.md").write_text(odd_lesson(ch), encoding="utf-8")
    (content / "7.999-plain.md").write_text("## Beginner\n\n### Q1. Plain?\n\n**Model answer:** Yes.\n",
                                            encoding="utf-8")
    result = build_decks([content], tmp_path / "dist", use_state=False)
    assert result.diagnostics.error_count == 0, [str(d) for d in result.diagnostics.items]
    assert result.note_count == 2 * len(characters) + 1
    col = new_collection(tmp_path / "anki")
    try:
        import_apkg(col, result.packages[0])
        notes = [col.get_note(nid) for nid in col.find_notes("")]
        assert len(notes) == result.note_count
        for note in notes:
            assert len(note.fields) == len(note.note_type()["flds"])
            assert not any("\x1f" in f for f in note.fields)
    finally:
        col.close()


def test_control_and_odd_characters_never_break_the_import(tmp_path):
    build_and_import(tmp_path, [ch for ch in ODD_CHARACTERS if ch != "\x1f"])


def test_unit_separator_in_one_lesson_does_not_spoil_the_package(tmp_path):
    build_and_import(tmp_path, ["\x1f"])


# --- the quick reading of Markdown's HTML must list exactly what html.parser lists ---------------

SIMPLE_SAMPLES = [
    '<p>plain <em>text</em> and <code>x &lt; y</code></p>',
    '<p><a href="https://example.com/a?b=c" title="t">link</a> <a href="javascript:alert(1)">x</a></p>',
    '<p><img alt="a" src="data:text/html;base64,xx" /> <img src="pic.png" onerror="x()"></p>',
    '<table><thead><tr><th style="text-align: left;">a</th></tr></thead></table>',
    '<p><kbd>Ctrl</kbd><mark>m</mark><sup>2</sup><abbr title="x">y</abbr><br></p>',
    '<p><span style="color: red; position: fixed">x</span><font color="red">f</font></p>',
    '<div class="x" id="y"><iframe src="https://e.com"></iframe></div>',
    '<ol start="3" type="a" reversed="reversed"><li>x</li></ol>',
]
FALLBACK_SAMPLES = [
    '<p><a href="java&#115;cript:alert(1)">x</a></p>',  # a character reference in a value
    "<p><a href='javascript:x'>single quotes</a></p>",
    '<p><A HREF="javascript:x">upper case</A></p>',
    '<script><img src=x onerror=y></script><p>after</p>',  # no tags inside script for html.parser
    '<p>a <!-- <img src=x onerror=y> --> b</p>',
    '<input disabled><p>an attribute without a value</p>',
    '<p a\nb="c">a newline inside a tag</p>',
    '<my-widget data-x="1">custom</my-widget>',
    '<p>a < b</p>',
]


def _parser_removals(raw):
    from ankideploy.sanitise import _Scanner
    scanner = _Scanner()
    scanner.feed(raw)
    scanner.close()
    return scanner.found


@pytest.mark.parametrize("raw", SIMPLE_SAMPLES)
def test_quick_reading_lists_what_the_html_parser_lists(raw):
    from ankideploy.sanitise import _simple_removals
    quick = _simple_removals(raw)
    assert quick is not None, "this HTML is what the quick reading is for"
    assert quick == _parser_removals(raw)


def test_quick_reading_finds_the_removals_it_is_meant_to_report():
    from ankideploy.sanitise import _simple_removals
    found = [what for what, _ in _simple_removals(" ".join(SIMPLE_SAMPLES))]
    assert found == ["javascript: URL on <a>", "data: URL on <img>", "'onerror' attribute on <img>",
                     "CSS 'position' on <span>", "<font> element", "'id' attribute on <div>",
                     "<iframe> element", "'reversed' attribute on <ol>"]


@pytest.mark.parametrize("raw", FALLBACK_SAMPLES)
def test_what_the_quick_reading_cannot_read_goes_to_the_html_parser(raw):
    from ankideploy.sanitise import _simple_removals, removals
    assert _simple_removals(raw) is None
    assert removals(raw) == _parser_removals(raw)


@given(st.lists(st.sampled_from(SIMPLE_SAMPLES + FALLBACK_SAMPLES + ["text", "&amp;", " ", "\n", "<", ">", '"']),
                max_size=12))
@settings(max_examples=300, deadline=None)
def test_quick_reading_never_disagrees_with_the_html_parser(pieces):
    from ankideploy.sanitise import _simple_removals
    raw = "".join(pieces)
    quick = _simple_removals(raw)
    assert quick is None or quick == _parser_removals(raw)
