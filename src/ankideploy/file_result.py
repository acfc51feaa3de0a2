"""What processing one lesson file gives the build, and its form in the render cache.

A ``FileResult`` holds the notes with their final HTML, the deck, the description,
the images and the diagnostics of one file, and the few facts of its lesson that
the build and the manifest use (``LessonFacts``): never the parsed lesson itself,
which is large and which nothing after processing needs.

In the cache a result is stored (``to_entry``) with the SHA-256 of the file's
bytes and the number of id comments in them, each note as a row of its values,
and each note's fields apart, as the package stores them (joined with U+001F,
which no field holds, and the sort field), as texts the cache stores as they
are: they are most of a result's bytes. ``from_entry`` gives it back only
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
from .identity import ID_RE, guid_for
from .lesson import Lesson, Location
from .note_spec import FIELD_SEPARATOR, NoteSpec
from .sources.files import SourceFile

NOTE_KINDS = ("interview", "quick-fire")
FACT_FIELDS = ("lesson_id", "title", "episode", "episode_title")
RESULT_FIELDS = {"source", "ids", "lesson", "notes", "deck", "description", "media", "checked", "diagnostics"}
# A note's row in an entry; "fields" is how many fields its first text joins (its second is the sort
# field, "checksum" the sort field's: see note_spec.sorting_of).
NOTE_ROW = ("kind", "note_key", "stamped", "tags", "deck", "label", "path", "line", "source_file", "level",
            "fingerprint", "fields", "checksum")
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


def to_entry(result: FileResult, data: bytes, checked: dict[str, tuple]) -> tuple[dict | None, list[str]]:
    """The result of processing the file's bytes ``data`` as the cache stores it, and its texts (each
    note's fields joined, and its sort field); None (and no texts) when it could never be used again
    (a stamped id that is not an id comment of the file, a field holding the separator)."""
    ids = id_comments(data)
    if result.lesson is None or not {n.note_key for n in result.notes if n.stamped} <= set(ids):
        return None, []
    joined = [FIELD_SEPARATOR.join(note.fields) for note in result.notes]
    if any(text.count(FIELD_SEPARATOR) != len(note.fields) - 1 for text, note in zip(joined, result.notes)):
        return None, []
    sortings = [note.sorting() for note in result.notes]
    for note, sorting in zip(result.notes, sortings):
        note._sorting = sorting  # kept with the note, as for one served: the writer needs it too
    facts = result.lesson
    return {
        "source": source_digest(data), "ids": len(ids),  # "source" first: see RenderCache.claims
        "lesson": {**{name: getattr(facts, name) for name in FACT_FIELDS}, "skipped": facts.skipped},
        "notes": [_note_row(note, checksum) for note, (_, checksum) in zip(result.notes, sortings)],
        "deck": result.deck, "description": result.description,
        "media": {name: str(path) for name, path in result.media.items()},
        "checked": {path: list(stat) for path, stat in checked.items()},
        "diagnostics": [[d.path, d.line, d.severity, d.message] for d in result.diagnostics],
    }, [text for fields, (sort_text, _) in zip(joined, sortings) for text in (fields, sort_text)]


def _note_row(note: NoteSpec, checksum: int) -> list:
    return [note.kind, note.note_key, note.stamped, note.tags, note.deck, note.label, note.location.path,
            note.location.line, note.source_file, note.level, note.fingerprint, len(note.fields), checksum]


def from_entry(stored, texts: list[str], file: SourceFile, data: bytes, digest: str) -> FileResult | None:
    """The stored result (with its texts), when it is for exactly ``data`` (whose SHA-256 is ``digest``)
    and holds up against it; else None."""
    if not (type(stored) is dict and stored.keys() == RESULT_FIELDS and stored["source"] == digest):
        return None
    facts, notes = _facts(stored["lesson"]), _notes(stored["notes"], texts)
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


def _notes(rows, texts: list[str]) -> list[NoteSpec] | None:
    """The notes of the stored rows, each with its two texts (its fields joined, its sort field); None
    unless every row is well formed and has texts holding as many fields as it says."""
    if not (type(rows) is list and 2 * len(rows) == len(texts)):
        return None
    notes = []
    for row, joined, sort_text in zip(rows, texts[::2], texts[1::2]):
        if not (type(row) is list and len(row) == len(NOTE_ROW)):
            return None
        kind, key, stamped, tags, deck, label, path, line, source_file, level, fingerprint, count, checksum = row
        fields = joined.split(FIELD_SEPARATOR)
        if not (kind in NOTE_KINDS and key and _texts((key, deck, label, path, source_file, level, fingerprint))
                and type(stamped) is bool and type(line) is int and line >= 1 and type(tags) is list
                and _texts(tags) and type(count) is int and count == len(fields)
                and type(checksum) is int and 0 <= checksum < 1 << 32):
            return None
        note = NoteSpec(kind, key, stamped, fields, tags, deck, label, Location(path, line), source_file, level)
        # Made from the same fields and tags when they were stored. (The GUID, set here, also skips
        # the lock cached_property takes on first use.)
        note.fingerprint, note.guid, note._sorting = fingerprint, guid_for(key), (sort_text, checksum)
        notes.append(note)
    return notes


def _texts(values) -> bool:
    """Whether every value is a string (one pass in C, where ``all`` would call back per value)."""
    return set(map(type, values)) <= {str}
