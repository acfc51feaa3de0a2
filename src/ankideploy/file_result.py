"""What processing one lesson file gives the build, and its form in the render cache.

A ``FileResult`` holds the notes with their final HTML, the deck, the description,
the images and the diagnostics of one file, and the few facts of its lesson that
the build and the manifest use (``LessonFacts``): never the parsed lesson itself,
which is large and which nothing after processing needs.

In the cache a result is stored (``to_entry``) with the SHA-256 of the file's
bytes and the number of id comments in them. ``from_entry`` gives it back only
when the file still hashes the same, every value has its type, every image it
looked at is unchanged and inside the course folder, and, since ids and GUIDs
are never taken from the cache on trust, every stamped id in it is an id comment
of the file and the file holds as many id comments as when the result was made.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .cache import still_as_checked, valid_file_diagnostic, valid_media
from .diagnostics import Diagnostic
from .lesson import Lesson, Location
from .note_spec import NoteSpec
from .sources.files import SourceFile
from .sources.labels import ID_RE

NOTE_KINDS = ("interview", "quick-fire")
FACT_FIELDS = ("lesson_id", "title", "episode", "episode_title")
NOTE_TEXT_FIELDS = ("note_key", "deck", "label", "source_file", "level", "fingerprint")
RESULT_FIELDS = {"source", "ids", "lesson", "notes", "deck", "description", "media", "checked", "diagnostics"}
NOTE_FIELDS = {"kind", "stamped", "fields", "tags", "path", "line", *NOTE_TEXT_FIELDS}
# The id comments of the file's bytes (ids are ASCII): no need to decode the file to count them.
ID_BYTES_RE = re.compile(ID_RE.pattern.encode("ascii"))


@dataclass(frozen=True)
class LessonFacts:
    """What the build, the manifest and the report use of a lesson."""

    lesson_id: str
    title: str
    episode: str
    episode_title: str
    skipped: int  # blocks that looked like questions or answers but became no card

    @classmethod
    def of(cls, lesson: Lesson) -> "LessonFacts":
        return cls(lesson.lesson_id, lesson.title, lesson.episode, lesson.episode_title, len(lesson.skipped))


@dataclass
class FileResult:
    file: SourceFile
    lesson: LessonFacts | None  # None: the file is not a lesson (its diagnostics say why)
    notes: list[NoteSpec]
    deck: str
    description: str
    media: dict[str, Path]
    diagnostics: list[Diagnostic]


def source_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def id_comments(data: bytes) -> list[str]:
    return [found.decode("ascii") for found in ID_BYTES_RE.findall(data)]


def to_entry(result: FileResult, data: bytes, checked: dict[str, tuple]) -> dict | None:
    """The result of processing the file's bytes ``data`` as the cache stores it; None when it could
    never be used again (a stamped id that is not an id comment of the file)."""
    ids = id_comments(data)
    if result.lesson is None or not {n.note_key for n in result.notes if n.stamped} <= set(ids):
        return None
    facts = result.lesson
    return {
        "source": source_digest(data), "ids": len(ids),  # "source" first: see RenderCache.claims
        "lesson": {**{name: getattr(facts, name) for name in FACT_FIELDS}, "skipped": facts.skipped},
        "notes": [_note_json(note) for note in result.notes],
        "deck": result.deck, "description": result.description,
        "media": {name: str(path) for name, path in result.media.items()},
        "checked": {path: list(stat) for path, stat in checked.items()},
        "diagnostics": [[d.path, d.line, d.severity, d.message] for d in result.diagnostics],
    }


def _note_json(note: NoteSpec) -> dict:
    return {"kind": note.kind, "note_key": note.note_key, "stamped": note.stamped, "fields": note.fields,
            "tags": note.tags, "deck": note.deck, "label": note.label, "path": note.location.path,
            "line": note.location.line, "source_file": note.source_file, "level": note.level,
            "fingerprint": note.fingerprint}


def from_entry(stored, file: SourceFile, data: bytes) -> FileResult | None:
    """The stored result, when it is for exactly ``data`` and holds up against it; else None."""
    if not (type(stored) is dict and stored.keys() == RESULT_FIELDS and stored["source"] == source_digest(data)):
        return None
    facts, notes = _facts(stored["lesson"]), _notes(stored["notes"])
    if facts is None or notes is None or not _texts((stored["deck"], stored["description"])):
        return None
    media, checked, diagnostics = stored["media"], stored["checked"], stored["diagnostics"]
    if not (type(diagnostics) is list and all(valid_file_diagnostic(d) for d in diagnostics)):
        return None
    if not (still_as_checked(checked) and valid_media(media, checked, file.root)):
        return None
    if not _ids_hold(stored["ids"], notes, data):
        return None
    return FileResult(file, facts, notes, stored["deck"], stored["description"],
                      {name: Path(path) for name, path in media.items()},
                      [Diagnostic(*d) for d in diagnostics])


def _ids_hold(count, notes: list[NoteSpec], data: bytes) -> bool:
    """Every stamped id is an id comment of the file, which has as many of them as it had."""
    ids = id_comments(data)
    return type(count) is int and len(ids) == count and {n.note_key for n in notes if n.stamped} <= set(ids)


def _facts(stored) -> LessonFacts | None:
    if not (type(stored) is dict and stored.keys() == {*FACT_FIELDS, "skipped"}):
        return None
    skipped = stored["skipped"]
    if not (_texts(stored[name] for name in FACT_FIELDS) and type(skipped) is int and skipped >= 0):
        return None
    return LessonFacts(*(stored[name] for name in FACT_FIELDS), skipped)


def _notes(stored) -> list[NoteSpec] | None:
    if type(stored) is not list:
        return None
    notes = [_note(item) for item in stored]
    return None if None in notes else notes


def _note(stored) -> NoteSpec | None:
    if not (type(stored) is dict and stored.keys() == NOTE_FIELDS and stored["kind"] in NOTE_KINDS):
        return None
    key, line, fields, tags = stored["note_key"], stored["line"], stored["fields"], stored["tags"]
    if not (key and _texts([stored[name] for name in NOTE_TEXT_FIELDS] + [stored["path"]])
            and type(stored["stamped"]) is bool and type(line) is int and line >= 1
            and type(fields) is list and _texts(fields) and type(tags) is list and _texts(tags)):
        return None
    note = NoteSpec(stored["kind"], key, stored["stamped"], fields, tags, stored["deck"], stored["label"],
                    Location(stored["path"], line), stored["source_file"], stored["level"])
    note.fingerprint = stored["fingerprint"]  # made from the same fields and tags when they were stored
    return note


def _texts(values) -> bool:
    """Whether every value is a string (one pass in C, where ``all`` would call back per value)."""
    return set(map(type, values)) <= {str}
