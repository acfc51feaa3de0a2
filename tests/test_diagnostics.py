"""Every content problem is a diagnostic ``path:line: severity: message`` with the line of the
original file (also with CRLF and a BOM), all of them in one run, sorted, then a total line."""
from __future__ import annotations

import os

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import LESSON_MD, SEED_TXT, build_decks, import_apkg, new_collection

GOOD = """\
# Interview Questions: Probe

> A lesson written for these tests.

## Beginner (Q1--Q2)

### Q1. What is one?

**Why interviewers ask:** Basics.

**Model answer:**

One is a number.

### Q2. What is two?

**Model answer:** Two is a number too.

## Intermediate (Q3--Q3)

### Q3. What is three?

**Model answer:**

Three is the sum of one and two.

## Quick-fire

| # | Question | Answer |
|---|---|---|
| 1 | One plus one? | Two |
| 2 | Two plus one? | Three |
"""


@pytest.fixture(autouse=True)
def private_render_cache(tmp_path_factory, monkeypatch):
    """Command-line runs cache renders; keep that cache out of the user's home."""
    monkeypatch.setenv("ANKIDEPLOY_CACHE_DIR", str(tmp_path_factory.mktemp("render-cache")))


def line_of(text: str, marker: str) -> int:
    """The 1-based line of the only line containing ``marker``."""
    hits = [i for i, line in enumerate(text.split("\n"), start=1) if marker in line]
    assert len(hits) == 1, (marker, hits)
    return hits[0]


def diagnose(tmp_path: Path, content: str | bytes, name: str = "5.1-probe.md") -> list[tuple[int, str, str]]:
    """(line, severity, message) of every diagnostic for one file, as ``check`` reports them."""
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    result = build_decks([path], tmp_path / "dist", write=False, use_state=False)
    assert all(Path(d.path).name == name for d in result.diagnostics.items)
    return [(d.line, d.severity, d.message) for d in result.diagnostics.sorted()]


def only(diags, severity=None):
    return [(line, message) for line, sev, message in diags if severity in (None, sev)]


def run_cli(*args, catch_exceptions=True):
    from ankideploy.cli import main

    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=catch_exceptions)


DIAG_RE = re.compile(r"^(?P<path>.+?):(?P<line>\d+): (?P<severity>error|warning|note): (?P<message>.+)$")
TOTAL_RE = re.compile(r"^(\d+) errors?, (\d+) warnings?$")


def test_the_good_lesson_has_no_diagnostics(tmp_path):
    assert diagnose(tmp_path, GOOD) == []


# --- each problem, at its exact line ---------------------------------------------------------------

def test_question_with_an_empty_model_answer_is_an_error_at_the_label(tmp_path):
    text = GOOD.replace("**Model answer:**\n\nOne is a number.\n", "**Model answer:**\n\n")
    assert only(diagnose(tmp_path, text), "error") == [(11, "question Q1 has no answer")]


def test_question_with_nothing_under_it_is_an_error_at_its_heading(tmp_path):
    text = GOOD.replace("**Model answer:** Two is a number too.\n", "")
    assert only(diagnose(tmp_path, text), "error") == [(15, "question Q2 has no answer")]


def test_question_with_only_a_why_line_is_an_error_at_its_heading(tmp_path):
    text = GOOD.replace("**Model answer:** Two is a number too.\n", "**Why interviewers ask:** Because.\n")
    assert only(diagnose(tmp_path, text), "error") == [(15, "question Q2 has no answer")]


def test_question_at_the_end_of_the_file_with_no_answer(tmp_path):
    text = GOOD.split("## Quick-fire")[0] + "### Q4. Last and empty?\n"
    diags = diagnose(tmp_path, text)
    assert (line_of(text, "### Q4."), "error", "question Q4 has no answer") in diags


def test_answer_that_is_only_a_comment_has_no_answer(tmp_path):
    text = GOOD.replace("One is a number.", "<!-- TODO: write this answer -->")
    assert only(diagnose(tmp_path, text), "error") == [(11, "question Q1 has no answer")]


def test_answer_label_with_no_question_is_an_error_at_the_label(tmp_path):
    text = GOOD.replace("## Beginner (Q1--Q2)\n\n", "## Beginner (Q1--Q2)\n\n**Model answer:** Floating.\n\n")
    assert only(diagnose(tmp_path, text), "error") == [
        (7, "answer with no question: this label is not under a question heading")]


def test_why_label_with_no_question_is_an_error_at_the_label(tmp_path):
    text = GOOD.replace("## Intermediate (Q3--Q3)\n\n", "## Intermediate (Q3--Q3)\n\n**Why interviewers ask:** Hm.\n\n")
    line = line_of(text, "Hm.")
    assert (line, "error", "answer with no question: this label is not under a question heading") in \
        diagnose(tmp_path, text)


def test_duplicate_question_number_in_one_section(tmp_path):
    text = GOOD.replace("### Q2. What is two?", "### Q1. What is two?")
    assert only(diagnose(tmp_path, text), "warning") == [
        (5, "section says Q1-Q2 but has no Q2"),
        (15, "duplicate question number Q1 (also at line 7); both are kept as separate notes")]


def test_duplicate_question_number_across_sections(tmp_path):
    text = GOOD.replace("## Intermediate (Q3--Q3)", "## Intermediate").replace("### Q3. What", "### Q2. What")
    diags = diagnose(tmp_path, text)
    assert only(diags) == [(21, "duplicate question number Q2 (also at line 15); both are kept as separate notes")]


def test_number_outside_the_section_range_and_missing_numbers(tmp_path):
    text = GOOD.replace("### Q3. What is three?", "### Q7. What is three?")
    assert only(diagnose(tmp_path, text), "warning") == [
        (19, "section says Q3-Q3 but has no Q3"),
        (21, "Q7 is outside this section's range Q3-Q3")]


@pytest.mark.parametrize("heading", ["## Beginner (Q1–Q2)", "## Beginner (Q1 - Q2)", "## Beginner (Q1—Q2)",
                                     "## Beginner (1--2)"])
def test_range_spellings_are_understood(tmp_path, heading):
    text = GOOD.replace("## Beginner (Q1--Q2)", heading).replace("### Q2. What", "### Q5. What")
    assert (15, "warning", "Q5 is outside this section's range Q1-Q2") in diagnose(tmp_path, text)


def test_a_question_without_answer_is_not_also_missing_from_the_range(tmp_path):
    text = GOOD.replace("**Model answer:** Two is a number too.\n", "")
    assert diagnose(tmp_path, text) == [(15, "error", "question Q2 has no answer")]


@pytest.mark.parametrize("row, message", [
    ("| 2 | Two plus one? |  |", "quick-fire row 2 has an empty answer cell"),
    ("| 2 |  | Three |", "quick-fire row 2 has an empty question cell"),
    ("| 2 | Two plus one? | <!-- id: abcdef123 --> |", "quick-fire row 2 has an empty answer cell"),
    ("| 2 | Two plus one? | Three | extra |", "quick-fire row has 4 cells; the header has 3"),
    ("| 2 | Two plus one? Three |", "quick-fire row has 2 cells; the header has 3"),
])
def test_quick_fire_row_problems_are_errors_at_the_row(tmp_path, row, message):
    text = GOOD.replace("| 2 | Two plus one? | Three |", row)
    assert only(diagnose(tmp_path, text), "error") == [(line_of(text, row), message)]


def test_level_section_with_no_questions_is_a_warning_at_its_heading(tmp_path):
    text = GOOD.replace("## Quick-fire", "## Advanced (Q4--Q4)\n\n## Quick-fire")
    assert only(diagnose(tmp_path, text)) == [(line_of(text, "## Advanced"), "level section 'Advanced (Q4--Q4)'"
                                                                              " has no questions")]


@pytest.mark.parametrize("heading", ["###", "### ", "### Q2.", "### Q2:", "### Question 2.", "###   ###"])
def test_question_heading_with_no_text_is_an_error_at_the_heading(tmp_path, heading):
    text = GOOD.replace("### Q2. What is two?", heading)
    assert (15, "error", "question heading has no text") in diagnose(tmp_path, text)
    assert not [d for d in diagnose(tmp_path, text) if d[1] == "error" and d[0] != 15]


@pytest.mark.parametrize("title, suggestion", [("Begginer (Q1--Q2)", "Beginner"), ("Intermedate", "Intermediate"),
                                               ("Advnced (Q1--Q2)", "Advanced"), ("Begineer", "Beginner")])
def test_misspelt_level_heading_is_a_topic_with_a_hint(tmp_path, title, suggestion):
    text = GOOD.replace("Beginner (Q1--Q2)", title)
    diags = diagnose(tmp_path, text)
    assert only(diags, "error") == []
    warnings = only(diags, "warning")
    assert len(warnings) == 1 and warnings[0][0] == 5
    assert f"'{title}' is not a level" in warnings[0][1] and f"did you mean '{suggestion}'?" in warnings[0][1]
    assert (7, "note") == only(diags, "note")[0][:1] + ("note",) and "2 questions have no level" in only(diags, "note")[0][1]


def test_topic_heading_far_from_any_level_suggests_nothing(tmp_path):
    text = GOOD.replace("Beginner (Q1--Q2)", "Trivia")
    diags = diagnose(tmp_path, text)
    assert only(diags, "error") == [] and only(diags, "warning") == []
    assert not any("did you mean" in message for _, _, message in diags)
    result = build_decks([tmp_path / "5.1-probe.md"], tmp_path / "dist", write=False, use_state=False)
    first = next(n.spec for n in result.planned if n.spec.fields[0] == "What is one?")
    assert "topic::trivia" in first.tags and not any(t.startswith("level::") for t in first.tags)


@pytest.mark.parametrize("content", [b"", b"   \n\n\t\n", b"\xef\xbb\xbf", b"\r\n\r\n", b"\xef\xbb\xbf \r\n"],
                         ids=["zero-bytes", "whitespace", "bom-only", "crlf-only", "bom-and-blank"])
def test_empty_file_is_an_error_at_line_1(tmp_path, content):
    assert diagnose(tmp_path, content) == [(1, "error", "file is empty")]


def test_file_that_is_not_utf8_names_the_byte_offset_and_line(tmp_path):
    data = GOOD.encode().replace("What is two?".encode(), b"What is t\xe9o?")
    offset = data.index(b"\xe9")
    (line, severity, message), = diagnose(tmp_path, data)
    assert (line, severity) == (15, "error")
    assert "not UTF-8" in message and "0xe9" in message and f"offset {offset}" in message


def test_latin1_file_in_crlf_names_the_line(tmp_path):
    data = GOOD.replace("\n", "\r\n").encode().replace(b"One is a number.", b"One is \xb9.")
    (line, severity, message), = diagnose(tmp_path, data)
    offset = data.index(b"\xb9")
    assert (line, severity) == (13, "error") and f"offset {offset}" in message


def test_non_utf8_offset_counts_the_bom(tmp_path):
    data = b"\xef\xbb\xbf" + GOOD.encode().replace(b"What is two?", b"What is t\xe9o?")
    offset = data.index(b"\xe9")
    (_, _, message), = diagnose(tmp_path, data)
    assert f"offset {offset}" in message


def test_non_utf8_line_counts_lone_cr_line_ends(tmp_path):
    data = GOOD.replace("\n", "\r").encode().replace(b"What is two?", b"What is t\xe9o?")
    (line, _, _), = diagnose(tmp_path, data)
    assert line == 15


def test_utf16_file_is_reported_as_not_utf8(tmp_path):
    (line, severity, message), = diagnose(tmp_path, GOOD.encode("utf-16"))
    assert (line, severity) == (1, "error") and "not UTF-8" in message and "offset 0" in message


def test_nul_bytes_are_an_error_at_their_line(tmp_path):
    data = GOOD.encode().replace(b"Three is the sum", b"Three\x00 is the sum")
    assert diagnose(tmp_path, data) == [(line_of(GOOD, "Three is the sum"), "error",
                                         "file contains NUL bytes; it is not a text lesson")]


@pytest.mark.parametrize("name, content", [
    ("5.1-notes.md", "# Shopping\n\n- eggs\n- milk\n"),
    ("5.1-notes.txt", "Things to remember\n\nBuy milk.\nCall Bob.\n"),
    ("5.1-readme.md", "# About\n\n## Intro\n\nThis course is great.\n\n## Licence\n\nMIT\n"),
], ids=["markdown-list", "plain-text", "sections-no-questions"])
def test_file_that_is_not_a_lesson_is_one_error(tmp_path, name, content):
    (line, severity, message), = diagnose(tmp_path, content, name)
    assert (line, severity) == (1, "error") and message.startswith("not an interview-question lesson")


# --- line numbers survive CRLF, lone CR, a BOM and front matter ----------------------------------

BROKEN = GOOD.replace("## Beginner (Q1--Q2)", "## Beginner") \
    .replace("One is a number.", "") \
    .replace("## Intermediate (Q3--Q3)", "## Intermedate (Q3--Q3)") \
    .replace("| 2 | Two plus one? | Three |", "| 2 | Two plus one? |  |") + "\n## Advanced\n\n###\n\ntext\n"
BROKEN_DIAGNOSTICS = [
    (11, "error", "question Q1 has no answer"),
    (19, "warning", "'Intermedate (Q3--Q3)' is not a level, so its questions are read as the topic"
                    " 'Intermedate (Q3--Q3)' with no level from it; did you mean 'Intermediate'?"),
    (21, "note", "1 question has no level (the first is here): the lesson names none for them; add 'level:'"
                 " front matter or build with --default-level"),
    (32, "error", "quick-fire row 2 has an empty answer cell"),
    (36, "error", "question heading has no text"),
]


def test_broken_lesson_reports_every_problem_in_one_run(tmp_path):
    assert diagnose(tmp_path, BROKEN) == BROKEN_DIAGNOSTICS


@pytest.mark.parametrize("encode", [
    lambda t: t.replace("\n", "\r\n").encode(),
    lambda t: b"\xef\xbb\xbf" + t.replace("\n", "\r\n").encode(),
    lambda t: b"\xef\xbb\xbf" + t.encode(),
    lambda t: t.replace("\n", "\r").encode(),
    lambda t: "".join(line + ("\r\n" if i % 2 else "\n") for i, line in enumerate(t.split("\n"))).encode(),
], ids=["crlf", "bom-crlf", "bom-lf", "lone-cr", "mixed"])
def test_line_numbers_are_those_of_the_original_file(tmp_path, encode):
    expected = diagnose(tmp_path, BROKEN, "5.1-lf.md")
    assert diagnose(tmp_path, encode(BROKEN), "5.1-encoded.md") == expected


def test_line_numbers_after_front_matter_in_a_crlf_bom_file(tmp_path):
    front = "---\nlesson: 5.2\ntitle: Front\ntags: [a, b]\n---\n"
    text = front + BROKEN
    expected = [(line + 5, severity, message) for line, severity, message in diagnose(tmp_path, BROKEN, "5.2-x.md")]
    got = diagnose(tmp_path, b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(), "5.2-y.md")
    assert got == expected


def test_front_matter_problems_name_their_line(tmp_path):
    text = "---\nlesson: 5.3\ncolour: red\n---\n" + GOOD
    assert diagnose(tmp_path, b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(), "x.md") == [
        (3, "warning", "unknown front-matter key 'colour' (known: episode, episode_title, identity, lesson, level,"
                       " tags, title)")]


def test_crlf_bom_lesson_gives_the_same_notes_and_source_lines(tmp_path):
    lf_dir, crlf_dir = tmp_path / "lf", tmp_path / "crlf"
    lf_dir.mkdir(), crlf_dir.mkdir()
    text = LESSON_MD.read_text(encoding="utf-8")
    (lf_dir / LESSON_MD.name).write_text(text, encoding="utf-8")
    (crlf_dir / LESSON_MD.name).write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    lf = build_decks([lf_dir], tmp_path / "d1", write=False, use_state=False)
    crlf = build_decks([crlf_dir], tmp_path / "d2", write=False, use_state=False)
    assert lf.diagnostics.items == [] and crlf.diagnostics.items == []
    assert [n.spec.fields for n in lf.planned] == [n.spec.fields for n in crlf.planned]
    assert [n.spec.location.line for n in crlf.planned][:3] == [line_of(text, "### Q1."), line_of(text, "### Q2."),
                                                                 line_of(text, "### Q3.")]


def test_plain_text_seed_in_crlf_bom_gives_the_same_notes(tmp_path):
    data = SEED_TXT.read_bytes()
    (tmp_path / "lf").mkdir(), (tmp_path / "crlf").mkdir()
    (tmp_path / "lf" / SEED_TXT.name).write_bytes(data)
    (tmp_path / "crlf" / SEED_TXT.name).write_bytes(b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"))
    lf = build_decks([tmp_path / "lf"], tmp_path / "d1", write=False, use_state=False)
    crlf = build_decks([tmp_path / "crlf"], tmp_path / "d2", write=False, use_state=False)
    assert [str(d) for d in lf.diagnostics.sorted()] == [str(d) for d in crlf.diagnostics.sorted()]
    assert [(n.spec.location.line, n.spec.fields[:2]) for n in lf.planned] == \
        [(n.spec.location.line, n.spec.fields[:2]) for n in crlf.planned]
    assert len(lf.planned) == 21


def test_plain_text_lesson_problem_names_its_line(tmp_path):
    text = SEED_TXT.read_text(encoding="utf-8")
    # Q2 loses its whole body: the plain-text question then has no answer.
    start = text.index("Q2. Why do you need")
    end = text.index("Q3. What is the difference")
    broken = text[:start] + text[start:end].split("\n", 1)[0] + "\n\n\n" + text[end:]
    line = line_of(broken, "Q2. Why do you need")
    crlf = b"\xef\xbb\xbf" + broken.replace("\n", "\r\n").encode()
    assert (line, "error", "question Q2 has no answer") in diagnose(tmp_path, crlf, "6.9-seed.txt")


# --- the run as a whole: sorted, totalled, exit codes ---------------------------------------------

def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def _stderr_diagnostics(stderr: str):
    lines = [line for line in stderr.splitlines() if line.strip()]
    diags = [DIAG_RE.match(line) for line in lines]
    return lines, [m for m in diags if m]


def test_problems_of_all_files_in_one_run_sorted_by_file_and_line_then_a_total(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    course = tmp_path / "course"
    _write(course, "5.1-a.md", GOOD.replace("### Q2. What is two?", "### Q7. What is two?"))
    _write(course, "5.2-b.md", BROKEN)
    _write(course / "sub", "5.3-c.md", "")
    _write(course, "5.4-d.md", GOOD)
    result = run_cli("check", "course")
    assert result.exit_code == 1
    lines, matches = _stderr_diagnostics(result.stderr)
    assert "Traceback" not in result.output + result.stderr
    assert len(matches) == len(lines) - 1, lines  # every line but the last is a diagnostic
    keys = [(m["path"], int(m["line"])) for m in matches]
    assert keys == sorted(keys)
    assert {m["path"] for m in matches} == {"course/5.1-a.md", "course/5.2-b.md", "course/sub/5.3-c.md"}
    assert ("course/sub/5.3-c.md", 1) in keys and ("course/5.1-a.md", 15) in keys
    total = TOTAL_RE.match(lines[-1])
    assert total, lines[-1]
    assert int(total[1]) == sum(m["severity"] == "error" for m in matches)
    assert int(total[2]) == sum(m["severity"] == "warning" for m in matches)


def test_total_line_counts_what_is_printed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = GOOD.replace("One is a number.", "One <script>a()</script>\n\nis <script>b()</script>")
    _write(tmp_path, "5.5-dup.md", text)
    result = run_cli("check", "5.5-dup.md")
    lines, matches = _stderr_diagnostics(result.stderr)
    total = TOTAL_RE.match(lines[-1])
    assert int(total[2]) == sum(m["severity"] == "warning" for m in matches)


def test_check_exit_codes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, "5.1-clean.md", GOOD)
    _write(tmp_path, "5.2-warn.md", GOOD.replace("### Q2. What is two?", "### Q7. What is two?"))
    _write(tmp_path, "5.3-error.md", GOOD.replace("**Model answer:** Two is a number too.\n", ""))
    clean = run_cli("check", "5.1-clean.md")
    assert clean.exit_code == 0 and clean.stdout.startswith("ok: 1 lesson, 5 notes") and clean.stderr == ""
    warn = run_cli("check", "5.2-warn.md")
    assert warn.exit_code == 0 and "5.2-warn.md:15: warning:" in warn.stderr
    assert warn.stderr.strip().splitlines()[-1] == "0 errors, 2 warnings"
    strict = run_cli("check", "--strict", "5.2-warn.md")
    assert strict.exit_code == 1 and "5.2-warn.md:15: warning:" in strict.stderr
    error = run_cli("check", "5.3-error.md")
    assert error.exit_code == 1 and "5.3-error.md:15: error: question Q2 has no answer" in error.stderr
    assert run_cli("check", "--strict", "5.1-clean.md").exit_code == 0


def test_check_and_build_report_the_same_problems(tmp_path):
    """``check`` renders less than a build; it must not find less."""
    course = tmp_path / "course"
    (course / "img").mkdir(parents=True)
    hostile = GOOD.replace("One is a number.", "One <script>x()</script> is ![gone](img/none.png) a number.\n\n"
                           "[l](javascript:alert(1)) <b onclick=x()>b</b> ![r](https://example.com/r.png)")
    _write(course, "5.1-a.md", hostile.replace("| 1 | One plus one? | Two |",
                                               "| 1 | One <iframe></iframe>? | Two ![g](img/g.png) |"))
    _write(course, "5.2-b.md", BROKEN)
    checked = build_decks([course], tmp_path / "d1", write=False, use_state=False)
    built = build_decks([course], tmp_path / "d2", use_state=False)
    assert [str(d) for d in checked.diagnostics.sorted()] == [str(d) for d in built.diagnostics.sorted()]
    assert checked.diagnostics.error_count >= 4


def test_errors_leave_that_lesson_out_and_the_others_build(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    course = tmp_path / "course"
    _write(course, "5.1-good.md", GOOD)
    _write(course, "5.2-bad.md", GOOD.replace("**Model answer:** Two is a number too.\n", "")
           .replace("Probe", "Bad"))
    _write(course, "5.3-notalesson.md", "# Notes\n\nnothing here\n")
    _write(course, "5.4-binary.md", "")
    (course / "5.4-binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    result = run_cli("build", "course", "-o", "dist", "--no-state")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert "course/5.2-bad.md:15: error: question Q2 has no answer" in result.stderr
    col = new_collection(tmp_path / "anki")
    try:
        import_apkg(col, tmp_path / "dist" / "interview-questions.apkg")
        sources = sorted({col.get_note(nid).fields[-1].rsplit(":", 1)[0] for nid in col.find_notes("")})
        assert sources == ["5.1-good.md"] and len(col.find_notes("")) == 5
    finally:
        col.close()


def test_strict_build_writes_nothing_when_there_are_warnings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "course", "5.2-warn.md", GOOD.replace("### Q2. What is two?", "### Q7. What is two?"))
    result = run_cli("build", "course", "-o", "dist", "--no-state", "--strict")
    assert result.exit_code == 1 and not (tmp_path / "dist" / "interview-questions.apkg").exists()


@pytest.mark.parametrize("args", [
    ["check", "--no-such-option"],
    ["build", "-j", "-1"],
    ["build", "-j", "many"],
    ["frobnicate"],
    ["check", "missing-folder"],
    ["build", "missing-folder", "-o", "dist"],
])
def test_usage_errors_exit_2_without_a_traceback(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    result = run_cli(*args)
    assert result.exit_code == 2, (result.exit_code, result.output, result.stderr)
    assert "Traceback" not in result.output + result.stderr and "internal error" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_output_folder_that_is_a_file_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "course", "5.1-good.md", GOOD)
    (tmp_path / "dist").write_text("not a folder")
    result = run_cli("build", "course", "-o", "dist", "--no-state")
    assert result.exit_code == 2 and "internal error" not in result.stderr and "dist" in result.stderr


@pytest.fixture(params=["check", "build"])
def failing_command(tmp_path, monkeypatch, request):
    """A command line whose rendering raises an unexpected exception (a bug, not a content problem)."""
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "course", "5.1-good.md", GOOD)

    def explode(*args, **kwargs):
        raise RuntimeError("simulated failure deep in rendering")

    monkeypatch.setattr("ankideploy.render.Renderer.block", explode)
    extra = ["-o", "dist", "--no-state"] if request.param == "build" else []
    return [request.param, "course", *extra]


def test_internal_error_is_one_line_asking_for_a_report(failing_command):
    result = run_cli(*failing_command)
    assert result.exit_code not in (0, 1, 2)
    assert isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "report" in lines[0] and "--debug" in lines[0] and "simulated failure" in lines[0]
    assert "Traceback" not in result.output + result.stderr


def test_debug_shows_the_trace_of_an_internal_error(failing_command):
    with pytest.raises(RuntimeError, match="simulated failure"):
        run_cli(*failing_command, "--debug", catch_exceptions=False)


def test_internal_error_in_a_worker_process_is_one_line_too(tmp_path):
    """With many lessons the work runs in worker processes; a crash there is still one line.

    The failure is planted by a ``sitecustomize`` module, which every Python process runs at start:
    the workers have it whether they are forked, spawned or started by a fork server."""
    import subprocess
    import sys
    for i in range(1, 13):
        _write(tmp_path / "course", f"5.{i}-l.md", GOOD.replace("Probe", f"Probe {i}"))
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import ankideploy.render\n"
        "def explode(*args, **kwargs):\n"
        "    raise RuntimeError('simulated failure in a worker')\n"
        "ankideploy.render.Renderer.block = explode\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-m", "ankideploy", "build", "course", "-o", "dist", "--no-state",
                             "--no-cache", "-j", "2"], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=300)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 3 and len(lines) == 1, lines
    assert "simulated failure in a worker" in lines[0] and "report" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr


def test_numbered_question_headings_at_other_depths_are_questions_of_their_section(tmp_path):
    text = GOOD.replace("### Q2. What is two?", "#### Q2. What is two?").replace(
        "### Q3. What is three?", "## Q3. What is three?")
    assert diagnose(tmp_path, text) == []
    result = build_decks([tmp_path / "5.1-probe.md"], tmp_path / "dist", write=False, use_state=False)
    interview = [(n.spec.fields[0], n.spec.fields[3]) for n in result.planned if n.spec.kind == "interview"]
    assert interview == [("What is one?", "Beginner"), ("What is two?", "Beginner"), ("What is three?", "Intermediate")]


def test_lesson_that_is_a_device_is_a_diagnostic_not_a_memory_blowup(tmp_path):
    import os
    import resource
    import subprocess
    import sys

    course = tmp_path / "course"
    _write(course, "5.1-good.md", GOOD)
    os.symlink("/dev/zero", course / "5.2-endless.md")

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    result = subprocess.run([sys.executable, "-m", "ankideploy", "check", str(course)], capture_output=True,
                            text=True, timeout=120, preexec_fn=limit, cwd=tmp_path)
    assert result.returncode == 1 and "internal error" not in result.stderr, result.stderr
    assert "5.2-endless.md:1: error:" in result.stderr
