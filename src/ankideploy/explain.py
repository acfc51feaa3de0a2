"""``check --explain``: a lesson as the tool read it, for its author to check at a glance.

Every card with its line, kind, shape, level and where the level came from (a heading, a
marker on the question, front matter, the command line's default, or nowhere), then every
block that looks like part of a card but was skipped, with the reason.
"""
from __future__ import annotations

from .lesson import Lesson
from .sources.structure import short

LEVEL_FROM = {"heading": "from its section heading", "marker": "from a marker on the question",
              "front matter": "from front matter 'level:'", "default": "from --default-level"}
WIDTH = 70


def explain(lesson: Lesson, shown: str) -> str:
    """The reading of one lesson as plain text, cards in document order."""
    lines = [f"{shown}: lesson {lesson.lesson_id} \u2014 {lesson.title}"]
    items = [(q.location.line, _question(q)) for q in lesson.questions]
    items += [(r.location.line, _row(r)) for r in lesson.quick_fire]
    items += [(s.line, f"skipped: {s.what}: {s.why}") for s in lesson.skipped]
    for line, text in sorted(items):
        lines.append(f"  {line:>5}  {text}")
    interview, rows = len(lesson.questions), len(lesson.quick_fire)
    unlevelled = sum(q.level is None for q in lesson.questions)
    summary = f"  {interview + rows} cards: {interview} questions, {rows} quick-fire rows"
    if unlevelled:
        summary += f"; {unlevelled} without a level"
    if lesson.skipped:
        summary += f"; {len(lesson.skipped)} skipped block{'s' * (len(lesson.skipped) != 1)}"
    lines.append(summary)
    return "\n".join(lines)


def _question(question) -> str:
    if question.level:
        level = f"{question.level.value} ({LEVEL_FROM.get(question.level_from, question.level_from)})"
    else:
        level = "no level (the lesson states none)"
    topic = f", topic '{question.topic}'" if question.topic else ""
    number = f"Q{question.number} " if question.number else ""
    return f"question ({question.shape}) {number}{short(question.text, WIDTH)!r}: {level}{topic}"


def _row(row) -> str:
    return f"quick-fire ({row.shape}) {short(row.question, WIDTH)!r} \u2192 {short(row.answer, 30)!r}"
