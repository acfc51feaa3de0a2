"""``ankideploy stamp``: write each question's id into its Markdown source.

The id written is the one a build already derives for the unstamped question,
so stamping changes no note; from then on the id, not the text, is identity.
Files are rewritten atomically with their BOM and line endings kept.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import Diagnostics
from .atomic import write_atomically
from .notes import question_key, row_key
from .sources import discover, parse_lesson
from .sources.files import read_text

ROW_END_RE = re.compile(r"\s*\|\s*$")


@dataclass
class StampResult:
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    stamped: list[tuple[str, int]] = field(default_factory=list)


def stamp_paths(paths: list[Path]) -> StampResult:
    result = StampResult()
    for file in discover(paths, result.diagnostics):
        count = _stamp_file(file, result.diagnostics)
        if count:
            result.stamped.append((file.shown, count))
    return result


def _stamp_file(file, diags: Diagnostics) -> int:
    own = Diagnostics()
    text = read_text(file, own)
    lesson = parse_lesson(text, file, own) if text is not None else None
    diags.extend(Diagnostics([d for d in own.items if d.severity == "error"]))
    if lesson is None or own.error_count:
        return 0
    if file.path.suffix.lower() == ".txt" and not re.search(r"^#{2,3}\s", text, re.M):
        diags.warning(file.shown, 1, "plain-text lessons cannot carry ids; convert the file to Markdown to stamp it")
        return 0
    raw = file.path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    newline = "\r\n" if b"\r\n" in raw else "\n"
    lines = text.split("\n")
    inserts: dict[int, str] = {}  # line number -> new text of that line, or a line to insert after it
    seen: set[str] = set()
    for question in lesson.questions:
        key = question_key(lesson, question)
        if question.stamp:
            seen.add(key)
        elif key not in seen:
            seen.add(key)
            inserts[question.location.line] = f"<!-- id: {key} -->"
    appended = {}
    for row in lesson.quick_fire:
        key = row_key(lesson, row)
        if not row.stamp and key not in seen:
            seen.add(key)
            appended[row.location.line] = key
    if not inserts and not appended:
        return 0
    out = []
    for number, line in enumerate(lines, start=1):
        if number in appended:
            line = ROW_END_RE.sub(lambda m: f" <!-- id: {appended[number]} --> |", line, count=1) \
                if ROW_END_RE.search(line) else f"{line} <!-- id: {appended[number]} -->"
        out.append(line)
        if number in inserts:
            out.append(inserts[number])
    data = newline.join(out).encode("utf-8")
    write_atomically(file.path, (b"\xef\xbb\xbf" if bom else b"") + data)
    return len(inserts) + len(appended)
