"""Reading lessons: find the files and read them as text (``files``), parse them into the model
(``lesson_reader``). The parser is imported when a lesson is first parsed: a build whose
lessons all come from the cache never loads it."""
from __future__ import annotations

from ..diagnostics import Diagnostics
from ..lesson import Lesson, Level
from .files import SourceFile, discover, read_text

__all__ = ["SourceFile", "discover", "is_plain_text", "read_lesson", "parse_lesson"]


def is_plain_text(path, text: str) -> bool:
    """A .txt file without Markdown headings is the plain-text rendering of a lesson."""
    from .lesson_reader import is_plain_text as plain
    return plain(path, text)


def read_lesson(file: SourceFile, diags: Diagnostics, default_level: Level | None = None) -> Lesson | None:
    text = read_text(file, diags)
    if text is None:
        return None
    return parse_lesson(text, file, diags, default_level)


def parse_lesson(text: str, file: SourceFile, diags: Diagnostics, default_level: Level | None = None) -> Lesson | None:
    """The lesson in ``text``; None when it is not a lesson (reported in ``diags``)."""
    from .lesson_reader import parse_lesson as parse
    return parse(text, file, diags, default_level)
