"""Lessons in the shapes real authors write (tests/data/shapes/), each with its cards written
out by hand, built and imported into a real Anki collection and compared card by card:
question text, answer start and end, why, level and where it came from, topic, source line;
and every planted suspicious block reported at its line, nothing else lost."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import answer_of

SHAPES = Path(__file__).resolve().parent / "data" / "shapes"
LESSONS = sorted(p for p in SHAPES.glob("*.md") if p.name != "README.md")
LEVEL_TITLES = {"beginner": "Beginner", "intermediate": "Intermediate", "advanced": "Advanced", "": ""}


def plain(html_text: str) -> str:
    """A field as the learner reads it: text only, whitespace collapsed."""
    return " ".join(BeautifulSoup(html_text, "html.parser").get_text(" ").split())


def squash(text: str) -> str:
    """Text compared without the spaces that element boundaries add or remove."""
    return re.sub(r"\s+", "", text)


def topic_tag(title: str) -> str:
    """The topic tag a section title should give, written out independently of the code."""
    title = re.sub(r"^(section|part)\s*\d+\s*[:.\-\u2014\u2013]\s*", "", title.strip(), flags=re.I)
    return "topic::" + "_".join(re.findall(r"[^\W_]+", title.lower()))


@pytest.fixture(scope="module")
def imported(shapes_course):
    """Every shape lesson built as one course and imported into one real collection."""
    return shapes_course


def _notes_of(notes, lesson: Path):
    return [n for n in notes if n["Source"].rsplit(":", 1)[0].split("/")[-1] == lesson.name]


def _line(note) -> int:
    return int(note["Source"].rsplit(":", 1)[1])


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_card_of_the_lesson_is_read_as_a_person_reads_it(imported, lesson):
    result, notes = imported
    expected = json.loads(lesson.with_suffix(".expected.json").read_text(encoding="utf-8"))
    mine = {_line(n): n for n in _notes_of(notes, lesson)}
    assert sorted(mine) == sorted(card["line"] for card in expected["cards"]), lesson.name
    for card in expected["cards"]:
        note = mine[card["line"]]
        where = f"{lesson.name}:{card['line']}"
        kind = "interview" if "Level" in note.keys() else "quick-fire"
        assert kind == card["kind"], where
        question_field = note["Question"]
        answer_field = answer_of(note["Model Answer"]) if kind == "interview" else note["Answer"]
        assert plain(question_field).startswith(card["question"]) or \
            squash(plain(question_field)).startswith(squash(card["question"])), (where, plain(question_field))
        answer = plain(answer_field)
        assert squash(answer).startswith(squash(card["answer_start"])), (where, answer[:120])
        assert squash(answer).endswith(squash(card["answer_end"])), (where, answer[-120:])
        if kind == "interview":
            assert note["Level"] == LEVEL_TITLES[card["level"]], where
            level_tags = [t for t in note.tags if t.startswith("level::")]
            assert level_tags == ([f"level::{card['level']}"] if card["level"] else []), where
            if card.get("why_start"):
                why = plain(note["Why Interviewers Ask"])
                assert squash(why).startswith(squash(card["why_start"])), (where, why)
            topic_tags = [t for t in note.tags if t.startswith("topic::")]
            assert topic_tags == ([topic_tag(card["topic"])] if card.get("topic") else []), where


def _diagnostics_of(result, lesson: Path):
    return [d for d in result.diagnostics.items if Path(d.path).name == lesson.name]


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_suspicious_blocks_are_reported_at_their_lines_and_nothing_fails(imported, lesson):
    result, _ = imported
    expected = json.loads(lesson.with_suffix(".expected.json").read_text(encoding="utf-8"))
    diags = _diagnostics_of(result, lesson)
    assert [str(d) for d in diags if d.severity == "error"] == []
    warned = sorted({d.line for d in diags if d.severity == "warning"})
    assert warned == sorted(w["line"] for w in expected.get("warnings", [])), [str(d) for d in diags]


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_level_source_is_what_the_lesson_states(lesson):
    """Where each level came from (heading, marker, front matter, or nothing): what --explain shows."""
    from ankideploy.diagnostics import Diagnostics
    from ankideploy.sources import SourceFile, read_lesson

    expected = json.loads(lesson.with_suffix(".expected.json").read_text(encoding="utf-8"))
    parsed = read_lesson(SourceFile(lesson, lesson.name, lesson.name, SHAPES), Diagnostics())
    got = {q.location.line: (q.level.value if q.level else "", q.level_from) for q in parsed.questions}
    want = {c["line"]: (c["level"], c["level_from"]) for c in expected["cards"] if c["kind"] == "interview"}
    assert got == want
