"""``ankideploy stamp``: write each question's id into its Markdown source.

The id written is the one a build already derives for the unstamped question,
so stamping changes no note; from then on the id, not the text, is identity.
Where each id goes, and how the file is rewritten byte for byte, is ``id_writer``'s.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import Diagnostics
from .id_writer import insert_ids, write_in_place
from .lesson import IdSite
from .notes import question_key, row_key
from .identity import GUID_PREFIX, STATE_FILE, State, unique_id
from .sources import discover, is_plain_text, parse_lesson
from .sources.files import course_root, read_text
from .sources.metadata import NO_LESSON_NUMBER

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
    ids = _new_ids(lesson, built, file.shown, diags)
    if ids:
        write_in_place(file.path, insert_ids(file.path.read_bytes(), ids))
    return len(ids)


def _new_ids(lesson, built: set[str], path: str, diags: Diagnostics) -> list[tuple[IdSite, str]]:
    """Ids to write, each at the place its question's shape carries it.

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
    ids = []
    for item, key, is_question in items:
        if counts[key] > 1 and key in built:
            diags.error(path, item.location.line, f"this question's text repeats another's and a learner may"
                        f" already have its note (id {key}): write that id by hand under the question it belongs"
                        " to, then stamp again")
            continue
        key = unique_id(key, taken)
        taken.add(key)
        ids.append((item.id_site or IdSite(item.location.line, "below" if is_question else "row"), key))
    return ids
