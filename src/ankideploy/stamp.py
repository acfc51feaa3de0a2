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
from .identity import GUID_PREFIX, STATE_FILE, State, unique_id
from .sources import discover, is_plain_text, parse_lesson
from .sources.files import course_root, read_text
from .sources.metadata import NO_LESSON_NUMBER

ROW_END_RE = re.compile(r"\s*\|\s*$")


@dataclass
class StampResult:
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    stamped: list[tuple[str, int]] = field(default_factory=list)


def stamp_paths(paths: list[Path]) -> StampResult:
    result = StampResult()
    root = course_root(paths)
    built = {guid[len(GUID_PREFIX):] for guid in State.load(root / STATE_FILE).notes}
    for file in discover(paths, result.diagnostics, root):
        count = _stamp_file(file, result.diagnostics, built)
        if count:
            result.stamped.append((file.shown, count))
    return result


def _stamp_file(file, diags: Diagnostics, built: set[str]) -> int:
    own = Diagnostics()
    text = read_text(file, own)
    lesson = parse_lesson(text, file, own) if text is not None else None
    diags.extend(Diagnostics([d for d in own.items if d.severity == "error"]))
    if lesson is None or own.error_count:
        return 0
    if is_plain_text(file.path, text):
        diags.warning(file.shown, 1, "plain-text lessons cannot carry ids; convert the file to Markdown to stamp it")
        return 0
    if any(d.message.startswith(NO_LESSON_NUMBER) for d in own.items):
        # Ids derived from a guessed lesson number would differ from the course build's.
        diags.error(file.shown, 1, f"{NO_LESSON_NUMBER}: not stamped; stamp the course folder, or add 'lesson:'"
                    " front matter")
        return 0
    under_headings, in_rows = _new_ids(lesson, built, file.shown, diags)
    if under_headings or in_rows:
        _rewrite(file, text, under_headings, in_rows)
    return len(under_headings) + len(in_rows)


def _new_ids(lesson, built: set[str], path: str, diags: Diagnostics) -> tuple[dict[int, str], dict[int, str]]:
    """Ids to write, by line: under question headings, and into quick-fire rows.

    Questions whose text repeats another's would share a derived id. If no build has used that id
    yet, each gets one of its own; if one has, only the author knows which question the learners'
    note belongs to, so none of them is stamped and both places are reported."""
    taken = {question_key(lesson, q) for q in lesson.questions if q.stamp}
    taken |= {row_key(lesson, r) for r in lesson.quick_fire if r.stamp}
    items = [(q, question_key(lesson, q), True) for q in lesson.questions if not q.stamp]
    items += [(r, row_key(lesson, r), False) for r in lesson.quick_fire if not r.stamp]
    counts: dict[str, int] = {}
    for _, key, _ in items:
        counts[key] = counts.get(key, 0) + 1
    under_headings, in_rows = {}, {}
    for item, key, is_question in items:
        if counts[key] > 1 and key in built:
            diags.error(path, item.location.line, f"this question's text repeats another's and a learner may"
                        f" already have its note (id {key}): write that id by hand under the question it belongs"
                        " to, then stamp again")
            continue
        key = unique_id(key, taken)
        taken.add(key)
        (under_headings if is_question else in_rows)[item.location.line] = key
    return under_headings, in_rows


def _rewrite(file, text: str, under_headings: dict[int, str], in_rows: dict[int, str]) -> None:
    """The file with the ids added, its BOM and line endings kept, replaced atomically."""
    raw = file.path.read_bytes()
    newline = "\r\n" if b"\r\n" in raw else "\n"
    out = []
    for number, line in enumerate(text.split("\n"), start=1):
        if number in in_rows:
            comment = f"<!-- id: {in_rows[number]} -->"
            line = ROW_END_RE.sub(f" {comment} |", line, count=1) if ROW_END_RE.search(line) else f"{line} {comment}"
        out.append(line)
        if number in under_headings:
            out.append(f"<!-- id: {under_headings[number]} -->")
    bom = b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b""
    write_atomically(file.path, bom + newline.join(out).encode("utf-8"))
