"""A note as the build plans and packages it, and the options that name its deck: plain data.

Kept apart from ``notes`` (which renders) so that what only plans and packages
notes, such as a rebuild served from the cache, never imports the renderer.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property

from . import identity
from .lesson import Location

FIELD_SEPARATOR = "\x1f"  # how Anki joins a note's fields (no field holds it: lessons cannot)
TAG_RE = re.compile(r"<[^>]*>")


@dataclass
class NoteSpec:
    kind: str  # "interview" or "quick-fire"
    note_key: str  # the id (stamped or derived) before the GUID prefix
    stamped: bool
    fields: list[str]
    tags: list[str]
    deck: str
    label: str  # "6.9 Q3" for reports
    location: Location  # where diagnostics point
    source_file: str  # the Source field without its line: line moves alone are not edits
    level: str  # "beginner", "intermediate", "advanced" or "quick-fire"

    @cached_property
    def guid(self) -> str:
        return identity.guid_for(self.note_key)  # asked for many times per note by every build

    # (sort field, checksum): see ``sorting``. Set when the note is saved to or served from the cache.
    _sorting: tuple[str, int] | None = field(default=None, init=False, repr=False, compare=False)

    def sorting(self) -> tuple[str, int]:
        """The note's sort field and its checksum (see ``sorting_of``): as set when the note was saved
        to or served from the cache, else made now and not kept (the joined work of a whole course
        would only take memory)."""
        return self._sorting or sorting_of(self.fields[0])

    @cached_property
    def fingerprint(self) -> str:
        """What counts as a change of the note. Kept once made (a worker makes it while saving the
        note to the cache) and given by the cache with the note: hashing every field of a course
        again costs a rebuild more than reading it."""
        return identity.note_fingerprint(self.kind, self.fields, self.source_file, self.tags)


def sorting_of(first_field: str) -> tuple[str, int]:
    """What a package stores as a note's sort field (its first field without tags; entities and
    image names are not treated as Anki's own stripping treats them) and as that text's checksum
    (the first 8 hex digits of its SHA-1, as a number)."""
    sort_text = TAG_RE.sub("", first_field).strip()
    return sort_text, int(hashlib.sha1(sort_text.encode("utf-8")).hexdigest()[:8], 16)


@dataclass
class PackageNote:
    """A note as a package holds it: its modification time and new-card order settled."""

    spec: NoteSpec
    mod: int
    position: int  # new-card order in the package


@dataclass
class DeckOptions:
    level_subdecks: bool = False
    root: str = ""
    topic_subdecks: bool = False
