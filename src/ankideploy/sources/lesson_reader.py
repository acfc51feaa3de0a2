"""One lesson's text parsed into the model: front matter, the reading of its shape
(Markdown or plain text), metadata, questions and quick-fire rows."""
from __future__ import annotations

import re

from ..diagnostics import Diagnostics
from ..lesson import Lesson, Level
from .markdown_reader import MarkdownDialect
from .text_reader import TextDialect, escape
from .files import SourceFile
from .metadata import derive, is_breadcrumb, parse_front_matter
from .structure import LevelDefault, collect, meaningful, summary_of

ATX_QUESTION_RE = re.compile(r"^\s{0,3}#{2,3}\s", re.M)


def is_plain_text(path, text: str) -> bool:
    """A .txt file without Markdown headings is the plain-text rendering of a lesson."""
    return path.suffix.lower() == ".txt" and not ATX_QUESTION_RE.search(text)


def parse_lesson(text: str, file: SourceFile, diags: Diagnostics, default_level: Level | None = None) -> Lesson | None:
    """The lesson in ``text``; None when it is not a lesson (reported in ``diags``)."""
    path = file.shown
    raw_lines = text.split("\n")
    front, skip = parse_front_matter(raw_lines, path, diags)
    lines = [(i + 1, line) for i, line in enumerate(raw_lines)][skip:]
    plain = is_plain_text(file.path, text)
    dialect = TextDialect() if plain else MarkdownDialect()
    parsed = dialect.read(lines)
    breadcrumb = next((t for _, t in meaningful(parsed.preamble) if is_breadcrumb(t)), None)
    if breadcrumb is None and parsed.h1 and is_breadcrumb(parsed.h1.text):
        breadcrumb = parsed.h1.text
    own = Diagnostics()  # kept only if the file turns out to be a lesson
    meta = derive(file.source, front, breadcrumb, parsed.h1.text if parsed.h1 else None, path, own)
    stray = [(n, t) for n, t in meaningful(parsed.preamble) if not is_breadcrumb(t)]
    if stray:
        own.warning(path, stray[0][0], "text before the lesson's '#' title is not part of any card")
    questions, quick_fire, how_to, skipped = collect(parsed, dialect, path, own, _default(meta, default_level))
    if not questions and not quick_fire and not any(s.kind == "quick-fire" for s in parsed.sections) \
            and not own.error_count:
        hint = f" (line {skipped[0].line} looks like one: {skipped[0].what})" if skipped else ""
        diags.error(path, 1, "not an interview-question lesson: no questions (headings like '### Q1. ...?', bold"
                    " question lines, 'Q:'/'A:' pairs, numbered items, <details> blocks) and no quick-fire"
                    f" section{hint}")
        return None
    diags.extend(own)
    return Lesson(path=file.source, lesson_id=meta.lesson_id, title=meta.title, episode=meta.episode,
                  episode_title=meta.episode_title, summary=summary_of(_intro(parsed, plain)),
                  how_to_use=how_to, questions=questions, quick_fire=quick_fire, tags=meta.tags,
                  identity_key=meta.identity or meta.lesson_id, skipped=skipped)


def _default(meta, default_level: Level | None) -> LevelDefault:
    """Front matter's 'level:' before the command line's --default-level; a level is never guessed."""
    if meta.level:
        return LevelDefault(meta.level, "front matter")
    return LevelDefault(default_level, "default") if default_level else LevelDefault()


def _intro(parsed, plain: bool):
    if not plain:
        return parsed.intro
    return [(n, escape(t)) for n, t in parsed.intro]
