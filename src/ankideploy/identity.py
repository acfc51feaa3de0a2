"""Note identity: which note a question is, across every rebuild, forever.

The rule, in full:

* A question or quick-fire row is identified by its *id*: the ``<!-- id: ... -->``
  comment the author (or ``ankideploy stamp``) put under its heading or in its
  row. Text edits, renumbering, reordering, moving between levels or lessons:
  the id stays, so the note stays, and so does its review history.
* A row without an id gets a *derived* id: a hash of the lesson's identity key,
  the kind and the normalised question text. ``stamp`` writes exactly that
  value into the source, so stamping never changes a note's identity; but until
  it is stamped, editing the question's text makes it a new note.
* The Anki GUID is ``ad:<id>``. Note, card, deck and note type ids are hashes of
  stable names, never random, never positions.
* Modification times come from the state file: a note whose content is
  unchanged keeps its recorded time (Anki then reports it unchanged); a changed
  note gets the build time, always later than its previous one, so Anki's
  "update if newer" takes it.
* A question gone from the content is *retired*: the state file remembers it
  (lesson, label, question text, when) until it comes back under the same id,
  and then it counts as changed, so learners' copies are updated and revived.
"""
from __future__ import annotations

import hashlib
import html
import json
import os
import re
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import write_atomically

STATE_FILE = "ankideploy-state.json"
STATE_FORMAT = 1
GUID_PREFIX = "ad:"
# Fixed forever: learners' collections know the note types by these ids.
INTERVIEW_NOTETYPE_ID = 1794512603101
QUICK_FIRE_NOTETYPE_ID = 1794512603102
_ID_SPACE = 10**12  # ids land in [10**12, 2 * 10**12): Anki's millisecond-timestamp range


def normalise(text: str) -> str:
    """The question as identity sees it: no markup, case, or spacing differences."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"<!--.*?-->", "", text)
    text = html.unescape(re.sub(r"\\(.)", r"\1", text))
    text = re.sub(r"[*_`]", "", text)
    return " ".join(text.split()).casefold()


def derived_id(identity_key: str, kind: str, question_text: str) -> str:
    digest = hashlib.sha256(f"{identity_key}\x1f{kind}\x1f{normalise(question_text)}".encode())
    return digest.hexdigest()[:16]


def unique_id(wanted: str, taken: set[str]) -> str:
    """``wanted`` if free, else a stable variant of it that is."""
    candidate, n = wanted, 1
    while candidate in taken:
        n += 1
        candidate = hashlib.sha256(f"{wanted}\x1f{n}".encode()).hexdigest()[:16]
    return candidate


def guid_for(note_id_text: str) -> str:
    return GUID_PREFIX + note_id_text


def _number(*parts: str) -> int:
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return _ID_SPACE + int(digest[:15], 16) % _ID_SPACE


def note_id(guid: str) -> int:
    return _number("note", guid)


def card_id(guid: str, ordinal: int) -> int:
    return _number("card", guid, str(ordinal))


def deck_id(deck_name: str) -> int:
    """Decks are matched by name on import; the id only has to be stable and distinct."""
    return _number("deck", deck_name)


def schema_id(notetype_id: int, kind: str, name: str) -> int:
    """A note type's field or template id: fixed by its name, so every build and collection agree."""
    digest = hashlib.sha256(f"{notetype_id}\x1f{kind}\x1f{name}".encode()).hexdigest()
    return int(digest[:15], 16) - (1 << 59)  # a signed 64-bit value, as Anki's own ids are


def content_hash(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:24]


def build_time() -> int:
    """Seconds since the epoch for this build; ``SOURCE_DATE_EPOCH`` pins it."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return int(value) if value.isdigit() else int(time.time())


@dataclass
class Entry:
    hash: str
    mod: int
    lesson: str = ""
    deck: str = ""
    label: str = ""
    file: str = ""  # the lesson file, relative to the course root
    fields: list[str] = field(default_factory=list)


@dataclass
class Retired:
    """A note no longer in the content, remembered until its question comes back."""

    id: str  # the id without the GUID prefix
    lesson: str = ""
    label: str = ""
    question: str = ""  # plain text, for the changelog and learners' summaries
    file: str = ""
    deck: str = ""
    retired: int = 0  # the build time, seconds since the epoch

    @classmethod
    def from_dict(cls, data: dict) -> "Retired":
        if not isinstance(data, dict):
            raise TypeError("a retired note must be an object")
        clean = {key: data[key] for key in ("id", "lesson", "label", "question", "file", "deck") if key in data}
        if not all(isinstance(value, str) for value in clean.values()):
            raise TypeError("retired note fields must be text")
        when = data.get("retired", 0)
        if isinstance(when, bool) or not isinstance(when, int):
            raise TypeError("'retired' must be a whole number of seconds")
        return cls(**clean, retired=when)


@dataclass
class State:
    """What the previous builds produced, read from and written to the state file."""

    notes: dict[str, Entry] = field(default_factory=dict)
    notetypes: dict[str, Entry] = field(default_factory=dict)
    retired: dict[str, Retired] = field(default_factory=dict)  # GUID -> what it was

    @classmethod
    def load(cls, path: Path | None) -> "State":
        if path is None or not path.is_file():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StateError(f"{path}: cannot read the state file ({exc}); fix or remove it") from exc
        if data.get("format") != STATE_FORMAT:
            raise StateError(f"{path}: unknown state format {data.get('format')!r}")
        try:
            retired = {str(k): Retired.from_dict(v) for k, v in (data.get("retired") or {}).items()}
        except (TypeError, AttributeError) as exc:
            raise StateError(f"{path}: unreadable 'retired' section ({exc}); fix or remove it") from exc
        return cls(notes={k: Entry(**v) for k, v in data.get("notes", {}).items()},
                   notetypes={k: Entry(**v) for k, v in data.get("notetypes", {}).items()},
                   retired=retired)

    def dumps(self) -> str:
        def pack(entries):
            return {k: {name: value for name, value in vars(e).items() if value not in ("", [])}
                    for k, e in sorted(entries.items())}
        data = {"format": STATE_FORMAT, "notes": pack(self.notes), "notetypes": pack(self.notetypes)}
        if self.retired:  # absent until something is retired, so older state files stay as they are
            data["retired"] = {guid: vars(entry) for guid, entry in sorted(self.retired.items())}
        return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"

    def save(self, path: Path) -> None:
        write_atomically(path, self.dumps().encode("utf-8"))


class StateError(Exception):
    pass


NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"


def next_mod(previous: Entry | None, new_hash: str, now: int) -> tuple[str, int]:
    """(status, modification time) of a note or note type against its previous build."""
    if previous is None:
        return NEW, now
    if previous.hash == new_hash:
        return UNCHANGED, previous.mod
    return CHANGED, max(now, previous.mod + 1)


def note_fingerprint(kind: str, fields: list[str], source_file: str, tags: list[str]) -> str:
    """What counts as a change of a note: every field and tag, but the Source field (always the
    last field) only by its file, so a question whose line moved because another was inserted
    above is not changed."""
    return content_hash(kind, fields[:-1], source_file, tags)


class Planner:
    """Decides, against the previous state, each note's and note type's status and time."""

    def __init__(self, old: State, now: int, refresh: bool = False):
        # refresh: every note counts as changed (after a revert of the state file, say)
        self.old, self.now, self.refresh = old, now, refresh
        self.state = State(notes=dict(old.notes), notetypes=dict(old.notetypes), retired=dict(old.retired))

    def notetype(self, type_id: int, name: str, signature: str, fields: list[str]) -> tuple[int, list[str] | None]:
        """Its modification time, and its previous fields when the fields changed (a schema change)."""
        previous = self.old.notetypes.get(str(type_id))
        _, mod = next_mod(previous, signature, self.now)
        self.state.notetypes[str(type_id)] = Entry(signature, mod, label=name, fields=list(fields))
        if previous and previous.fields and previous.fields != list(fields):
            return mod, previous.fields
        return mod, None

    def note(self, guid: str, fingerprint: str, lesson: str, deck: str, label: str,
             file: str) -> tuple[str, int, Entry | None]:
        previous = self.old.notes.get(guid)
        status, mod = next_mod(previous, fingerprint, self.now)
        if self.refresh and status == UNCHANGED:
            status, mod = CHANGED, max(self.now, previous.mod + 1)
        gone = self.state.retired.pop(guid, None)
        if gone is not None:
            # Back under the same id: learners have it (retired), so it is a change, newer than the retirement.
            status = CHANGED
            mod = max(mod, self.now, gone.retired + 1, previous.mod + 1 if previous else 0)
        self.state.notes[guid] = Entry(fingerprint, mod, lesson, deck, label, file)
        return status, mod, previous

    def retire(self, built_files: set[str], current: set[str], existing_files: set[str] | None) -> list[tuple[str, Entry]]:
        """Notes gone from the content: those of a file just built that no longer has them, and
        (when the whole course was built, ``existing_files`` given) those of a file that is no
        more. A file that failed to build retires nothing. They move from ``notes`` to ``retired``
        (the caller fills in their question text when it can) until they come back."""
        def gone(guid: str, entry: Entry) -> bool:
            if guid in current or not entry.file:
                return False  # an entry that names no file is never guessed to be gone
            return entry.file in built_files or (existing_files is not None and entry.file not in existing_files)

        retired = [(guid, entry) for guid, entry in sorted(self.old.notes.items()) if gone(guid, entry)]
        for guid, entry in retired:
            del self.state.notes[guid]
            self.state.retired[guid] = Retired(guid.removeprefix(GUID_PREFIX), entry.lesson, entry.label, "",
                                               entry.file, entry.deck, self.now)
        return retired

    def retired_notes(self) -> list[tuple[str, Retired]]:
        """Every note retired and not come back, in this build or any before."""
        return sorted(self.state.retired.items())
