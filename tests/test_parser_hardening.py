"""The parser's share of hardening: tags carry no markup, an id comment that is found but
not used is an error when it is the question's only id, and the label and heading patterns
take time linear in the line (a long run of spaces or punctuation cannot stall a build)."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import build_decks

HEAD = '---\nlesson: "8.2"\ntitle: Hard\ntags: [deploy, "<img src=x onerror=alert(1)>"]\n---\n# Hard\n\n## Beginner\n\n'


def build(tmp_path: Path, body: str, **options):
    lesson = tmp_path / "course" / "8.2-hard.md"
    lesson.parent.mkdir(parents=True, exist_ok=True)
    lesson.write_text(HEAD + body, encoding="utf-8")
    result = build_decks([lesson.parent], tmp_path / "dist", use_state=False, **options)
    return result, [(d.line, d.severity, d.message) for d in result.diagnostics.sorted()]


def test_tags_keep_only_a_safe_alphabet_and_every_removal_is_reported(tmp_path):
    body = "### Q1. What?\n<!-- tags: docker <svg/onload=alert(1)> k8s::pods -->\n\n**Model answer:** This.\n"
    result, problems = build(tmp_path, body)
    tags = result.planned[0].spec.tags
    assert "docker" in tags and "k8s::pods" in tags and "svgonloadalert1" in tags and "deploy" in tags
    assert all(set(tag) <= set("abcdefghijklmnopqrstuvwxyz0123456789_-:.") for tag in tags), tags
    warnings = [(line, message) for line, severity, message in problems if severity == "warning"]
    assert (4, "tag '<img src=x onerror=alert(1)>': removed '<=()>'; tags may hold letters, digits, '_', '-', ':'"
               " and '.' only") in warnings
    assert any(line == 11 and "tag '<svg/onload=alert(1)>'" in message for line, message in warnings)


def test_an_unused_id_comment_is_an_error_when_it_is_the_questions_only_id(tmp_path):
    body = "### Q1. What?\n\n**Model answer:** This.\n\n<!-- id: 0123456789abcdef -->\n"
    result, problems = build(tmp_path, body)
    assert (14, "error", "this id comment is not used, and the question has no other id: a derived id would make a"
                         " new note and lose its history; put the id right under the question") in problems
    assert result.packages == []  # nothing built that would lose the learner's note


def test_an_unused_id_comment_beside_the_real_one_is_a_warning(tmp_path):
    body = ("### Q1. What?\n<!-- id: aaaaaaaaaaaaaaaa -->\n\n**Model answer:** This.\n\n"
            "<!-- id: 0123456789abcdef -->\n")
    result, problems = build(tmp_path, body)
    problems = [p for p in problems if p[0] != 4]  # the front matter's tag
    assert [p[:2] for p in problems] == [(15, "warning")] and "id comment inside the answer" in problems[0][2]
    assert result.planned[0].spec.guid == "ad:aaaaaaaaaaaaaaaa"


def test_stamp_does_not_make_an_unused_id_permanent(tmp_path):
    from ankideploy.stamp import stamp_paths
    body = "### Q1. What?\n\n**Model answer:** This.\n\n<!-- id: 0123456789abcdef -->\n"
    build(tmp_path, body)
    lesson = tmp_path / "course" / "8.2-hard.md"
    before = lesson.read_bytes()
    result = stamp_paths([lesson])
    assert result.diagnostics.error_count and result.stamped == [] and lesson.read_bytes() == before


def _parse_seconds(text: str) -> float:
    from ankideploy.diagnostics import Diagnostics
    from ankideploy.sources import SourceFile, parse_lesson

    path = Path("/nonexistent/8.3-long.md")
    start = time.process_time()
    parse_lesson(text, SourceFile(path, path.name, path.name, path.parent), Diagnostics())
    return time.process_time() - start


@pytest.mark.parametrize("make", [
    lambda n: "# T\n\n## Beginner\n\n### Q1. What?\n" + " " * n + "\n\n**Model answer:** x\n",
    lambda n: "# T\n\n## Beginner\n\n### Q1. " + " " * n + "?\n\nAnswer\n",
    lambda n: "# T\n\n## Beginner\n\n### Q1. " + "\t" * n + "x\n\nAnswer\n",
    lambda n: "# T\n\n## Beginner\n\n" + "<details>\n" * (n // 10),
    lambda n: "# T\n\n## Rapid fire\n\n- **" + "*" * n + "\n",
], ids=["spaces-before-labels", "spaces-in-heading", "tabs-in-heading", "unclosed-details", "stars-in-bullet"])
def test_hostile_lines_parse_in_time_linear_in_their_length(make):
    """A ratio, not a deadline: four times the input may take at most about four times as long."""
    small, large = 40_000, 160_000
    base = min(_parse_seconds(make(small)) for _ in range(3))
    big = min(_parse_seconds(make(large)) for _ in range(3))
    assert big < max(6 * base, 0.05), (base, big)


def test_a_lesson_of_too_many_quick_fire_rows_is_refused_at_the_first_row_past_the_limit(tmp_path):
    from ankideploy.sources.quick_fire import MAX_ROWS
    rows = "".join(f"| Row {i}? | Answer {i} |\n" for i in range(MAX_ROWS + 5))
    body = "### Q1. What?\n\n**Model answer:** This.\n\n## Quick-fire\n\n| Question | Answer |\n|---|---|\n" + rows
    result, problems = build(tmp_path, body)
    errors = [(line, message) for line, severity, message in problems if severity == "error"]
    first_row = 9 + 9  # the header lines, the question, then the table's two lines
    assert errors == [(first_row + MAX_ROWS, f"more than {MAX_ROWS:,} quick-fire rows in one lesson: split it into"
                                             " several lessons (rows from here on are not read)")]
    assert result.packages == []


def test_an_answer_of_thousands_of_paragraphs_is_shown_as_text_not_formatted_in_quadratic_time(tmp_path):
    from ankideploy.render import MAX_BLOCKS
    body = "### Q1. What?\n\n**Model answer:**\n\n" + "".join(f"- item {i}\n\n" for i in range(MAX_BLOCKS + 10))
    result, problems = build(tmp_path, body)
    assert (14, "warning", f"an answer of {MAX_BLOCKS + 9} paragraphs is too long to format; shown as plain text") \
        in problems
    assert result.packages and "<ul>" not in result.planned[0].spec.fields[1]
