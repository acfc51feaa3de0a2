"""Reading lessons: find the files, read them as text, parse them into the model."""
from __future__ import annotations

import re

from ..diagnostics import Diagnostics
from ..lesson import Lesson
from . import markdown_reader, text_reader
from .files import SourceFile, discover, read_text
from .metadata import derive, is_breadcrumb, parse_front_matter
from .structure import classify, collect, meaningful, summary_of

__all__ = ["SourceFile", "discover", "is_plain_text", "read_lesson", "parse_lesson"]

ATX_QUESTION_RE = re.compile(r"^\s{0,3}#{2,3}\s", re.M)


def is_plain_text(path, text: str) -> bool:
    """A .txt file without Markdown headings is the plain-text rendering of a lesson."""
    return path.suffix.lower() == ".txt" and not ATX_QUESTION_RE.search(text)


def read_lesson(file: SourceFile, diags: Diagnostics) -> Lesson | None:
    text = read_text(file, diags)
    if text is None:
        return None
    return parse_lesson(text, file, diags)


def parse_lesson(text: str, file: SourceFile, diags: Diagnostics) -> Lesson | None:
    """The lesson in ``text``; None when it is not a lesson (reported in ``diags``)."""
    path = file.shown
    raw_lines = text.split("\n")
    front, skip = parse_front_matter(raw_lines, path, diags)
    lines = [(i + 1, line) for i, line in enumerate(raw_lines)][skip:]
    plain = is_plain_text(file.path, text)
    reader, dialect = (text_reader, text_reader.TextDialect()) if plain else \
        (markdown_reader, markdown_reader.MarkdownDialect())
    parsed = reader.split_structure(lines)
    if not any(s.questions or classify(s.heading.text) == "quick-fire" for s in parsed.sections):
        diags.error(path, 1, "not an interview-question lesson: no '### Q1.' questions under"
                    " Beginner/Intermediate/Advanced headings and no quick-fire table")
        return None
    breadcrumb = next((t for _, t in meaningful(parsed.preamble) if is_breadcrumb(t)), None)
    if breadcrumb is None and parsed.h1 and is_breadcrumb(parsed.h1.text):
        breadcrumb = parsed.h1.text
    meta = derive(file.source, front, breadcrumb, parsed.h1.text if parsed.h1 else None, path, diags)
    stray = [(n, t) for n, t in meaningful(parsed.preamble) if not is_breadcrumb(t)]
    if stray:
        diags.warning(path, stray[0][0], "text before the lesson's '#' title is not part of any card")
    questions, quick_fire, how_to = collect(parsed, dialect, path, diags)
    return Lesson(path=file.source, lesson_id=meta.lesson_id, title=meta.title, episode=meta.episode,
                  episode_title=meta.episode_title, summary=summary_of(_intro(parsed, plain)),
                  how_to_use=how_to, questions=questions, quick_fire=quick_fire, tags=meta.tags,
                  identity_key=meta.identity or meta.lesson_id)


def _intro(parsed, plain: bool):
    if not plain:
        return parsed.intro
    return [(n, text_reader.escape(t)) for n, t in parsed.intro]
