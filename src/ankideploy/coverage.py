"""What ``check --coverage`` prints: per question, which of definition, example and pitfall
its model answer covers and how each was found, with a total per lesson.

It reads the "Check yourself" block of each built note (``answer_parts.coverage_of``), so
the table always says what learners' cards point at. A Markdown table, so the README can
hold it as printed. Nothing here decides what a passage is; that is ``answer_parts``.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

from pathlib import Path

from .answer_parts import PARTS, TITLES, Found, coverage_of
from .diagnostics import ERROR, Diagnostics
from .notes import DeckOptions

TAG_RE = re.compile(r"<[^>]*>")
MAX_QUESTION_CHARS = 60


@dataclass
class QuestionCoverage:
    label: str  # "6.9 Q3"
    question: str  # plain text, shortened
    path: str
    line: int
    parts: dict[str, Found | None]


@dataclass
class LessonCoverage:
    lesson_id: str
    path: str  # as diagnostics show it
    questions: list[QuestionCoverage]


def lesson_coverage(paths: list[Path], default_level: str = "") -> list[LessonCoverage]:
    """Every lesson that builds, rendered as a build renders it (``check`` alone skips rendering),
    in lesson order. Problems are not collected here: ``check`` reports them."""
    from .build import Settings, process_file
    from .sources import discover
    from .sources.files import course_root

    lessons = []
    for file in discover(paths, Diagnostics(), course_root(paths)):
        result = process_file(file, Settings(DeckOptions(), validate_only=False, default_level=default_level))
        if result.lesson is None or any(d.severity == ERROR for d in result.diagnostics):
            continue
        questions = [QuestionCoverage(note.label, _plain(note.fields[0]), str(note.location.path),
                                      note.location.line, coverage_of(note.fields[1]))
                     for note in result.notes if note.kind == "interview"]
        lessons.append(LessonCoverage(result.lesson.lesson_id, file.shown, questions))
    lessons.sort(key=lambda lesson: (_natural(lesson.lesson_id), lesson.path))
    return lessons


def _natural(text: str) -> tuple:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", text))


def _plain(question_html: str) -> str:
    text = " ".join(html.unescape(TAG_RE.sub(" ", question_html)).split())
    if len(text) <= MAX_QUESTION_CHARS:
        return text
    cut = text[:MAX_QUESTION_CHARS - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,;:") + "…"


def _cell(found: Found | None) -> str:
    if found is None:
        return "missing"
    return f'label "{found.detail}"' if found.how == "label" else f"rule: {found.detail}"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|")


def lesson_table(lesson: LessonCoverage) -> str:
    questions, count = lesson.questions, len(lesson.questions)
    lines = [f"lesson {lesson.lesson_id} ({lesson.path}): {count} question{'s' * (count != 1)}", "",
             "| question | " + " | ".join(TITLES[p].lower() for p in PARTS) + " |",
             "|---|" + "---|" * len(PARTS)]
    for q in questions:
        number = q.label.rsplit(" ", 1)[-1] if " " in q.label else ""
        lines.append(f"| {_escape((number + ' ' + q.question).strip())} | "
                     + " | ".join(_escape(_cell(q.parts[p])) for p in PARTS) + " |")
    totals = [sum(q.parts[p] is not None for q in questions) for p in PARTS]
    complete = sum(all(q.parts[p] is not None for p in PARTS) for q in questions)
    lines.append(f"| **total: {complete} of {count} complete** | "
                 + " | ".join(f"**{t} of {count}**" for t in totals) + " |")
    return "\n".join(lines)


def coverage_report(lessons: list[LessonCoverage]) -> str:
    return "\n\n".join(lesson_table(lesson) for lesson in lessons) or "no lessons to report"


def warn_missing(lessons: list[LessonCoverage], diags: Diagnostics) -> None:
    """--strict: each part a model answer lacks is a warning at its question."""
    for lesson in lessons:
        for q in lesson.questions:
            for part in PARTS:
                if q.parts[part] is None:
                    diags.warning(q.path, q.line, f"{q.label}: the model answer has no {part} to point at"
                                  f" (label a passage '**{TITLES[part]}:**', or add one)")
