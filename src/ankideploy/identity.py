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
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path

from .atomic import write_atomically

STATE_FILE = "ankideploy-state.json"
STATE_FORMAT = 1
GUID_PREFIX = "ad:"
# An id comment, as authors and `stamp` write them under a question or in a quick-fire row.
ID_RE = re.compile(r"<!--[ \t]{0,8}(?i:id)[ \t]{0,8}:[ \t]{0,8}([A-Za-z0-9][A-Za-z0-9_.\-]{2,63})[ \t]{0,8}-->")
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
        """The state in ``path`` (empty when there is none), every value checked: a bad state file
        is a ``StateError`` naming the file and the key, never a guess."""
        if path is None or not path.is_file():
            return cls()
        try:
            if path.stat().st_size > MAX_STATE_BYTES:
                raise StateError(f"{path}: the state file is larger than {MAX_STATE_BYTES // 2**20} MB;"
                                 " fix or remove it")
            data = json.loads(path.read_bytes().decode("utf-8"), parse_constant=_no_constant)
        except StateError:
            raise
        except (OSError, ValueError, RecursionError) as exc:
            raise StateError(f"{path}: cannot read the state file ({exc}); fix or remove it") from exc
        return cls._from_json(data, path)

    @classmethod
    def _from_json(cls, data, path: Path) -> "State":
        where = _Where(path)
        where.check(isinstance(data, dict), "", "must be a JSON object")
        where.check(set(data) <= STATE_KEYS, "", f"unknown key '{next(iter(set(data) - STATE_KEYS), '')}'"
                    f" (expected {', '.join(sorted(STATE_KEYS))})")
        where.check("format" in data, "format", "is missing")
        where.check(type(data["format"]) is int and data["format"] == STATE_FORMAT, "format",
                    f"unknown state format {data['format']!r} (this version reads format {STATE_FORMAT})")
        state = cls(notes=_entries(data.get("notes", {}), "notes", where),
                    notetypes=_entries(data.get("notetypes", {}), "notetypes", where))
        state.retired = {guid: Retired.from_dict(entry)
                         for guid, entry in _retired(data.get("retired", {}), where).items()}
        return state

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


LOCK_TIMEOUT = 600  # seconds another build may hold the state file before this one gives up


@contextmanager
def state_lock(path: Path | None, on_wait=lambda message: None):
    """Holds the lock of the state file at ``path`` for a read-modify-write, so two builds of one
    course that run at the same time take turns instead of one losing the other's notes.

    On POSIX the lock is ``flock`` on the folder that holds the state file: no lock file is left
    in the course, and the kernel releases it when a build dies. Elsewhere it is a hidden
    ``.ankideploy-state.json.lock`` beside the state file (``filelock``). A folder that cannot be
    opened cannot hold the state either: then there is no lock, and saving the state is reported."""
    if path is None:
        yield
        return
    if os.name != "posix":
        yield from _file_lock(path, on_wait)
        return
    import fcntl
    try:
        fd = os.open(path.parent if str(path.parent) else ".", os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        _flock(fd, path, fcntl, on_wait)
        yield
    finally:
        os.close(fd)  # closing the folder releases the lock


def _flock(fd: int, path: Path, fcntl, on_wait) -> None:
    deadline, waiting = time.monotonic() + LOCK_TIMEOUT, False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if not waiting:
                on_wait(f"waiting for another build that uses {path} ...")
                waiting = True
            if time.monotonic() > deadline:
                raise StateError(f"{path}: another build has held the lock of its folder for {LOCK_TIMEOUT} s")
            time.sleep(0.05)


def _file_lock(path: Path, on_wait):
    from filelock import FileLock, Timeout
    lock = FileLock(path.with_name(f".{path.name}.lock"))
    try:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            on_wait(f"waiting for another build that uses {path} ...")
            lock.acquire(timeout=LOCK_TIMEOUT)
    except Timeout:
        raise StateError(f"{path}: another build has held its lock for {LOCK_TIMEOUT} s; if none is running,"
                         f" delete {lock.lock_file}") from None
    except OSError:
        yield
        return
    try:
        yield
    finally:
        lock.release()


class StateError(Exception):
    """The state file cannot be used as it is: one line naming the file and the key."""


STATE_KEYS = {"format", "notes", "notetypes", "retired"}
MAX_STATE_BYTES = 256 * 2**20
MAX_MOD = 253_402_300_799  # 9999-12-31: any later time is not a time a build could have written
ENTRY_TEXT_FIELDS = ("hash", "lesson", "deck", "label", "file")
RETIRED_FIELDS = {"id": str, "lesson": str, "label": str, "question": str, "file": str, "deck": str, "retired": int}


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


class _Where:
    """Raises a ``StateError`` located at a key of the state file."""

    def __init__(self, path: Path):
        self.path = path

    def check(self, ok: bool, key: str, problem: str) -> None:
        if not ok:
            at = f" at {key}" if key else ""
            raise StateError(f"{self.path}: invalid state file{at}: {problem}; fix or remove it")


def _key(*parts: str) -> str:
    return parts[0] + "".join(f"[{json.dumps(p, ensure_ascii=True)}]" for p in parts[1:])


def _entries(data, name: str, where: _Where) -> dict[str, Entry]:
    where.check(isinstance(data, dict), name, f"must be an object, not {_kind(data)}")
    entries = {}
    for guid, value in data.items():
        at = _key(name, guid)
        where.check(bool(guid), at, "an empty key")
        where.check(isinstance(value, dict), at, f"must be an object, not {_kind(value)}")
        unknown = set(value) - {f.name for f in fields(Entry)}
        where.check(not unknown, at, f"unknown key '{next(iter(unknown), '')}'")
        for needed in ("hash", "mod"):
            where.check(needed in value, _key(name, guid, needed), "is missing")
        mod = value["mod"]
        where.check(type(mod) is int and 0 <= mod <= MAX_MOD, _key(name, guid, "mod"),
                    f"must be a whole number of seconds between 0 and {MAX_MOD}, not {_shown(mod)}")
        for text in ENTRY_TEXT_FIELDS:
            where.check(isinstance(value.get(text, ""), str), _key(name, guid, text),
                        f"must be a string, not {_kind(value.get(text))}")
        names = value.get("fields", [])
        where.check(isinstance(names, list) and all(isinstance(n, str) for n in names), _key(name, guid, "fields"),
                    "must be a list of strings")
        entries[guid] = Entry(**value)
    return entries


def _retired(data, where: _Where) -> dict[str, dict]:
    where.check(isinstance(data, dict), "retired", f"must be an object, not {_kind(data)}")
    for guid, value in data.items():
        at = _key("retired", guid)
        where.check(guid.startswith(GUID_PREFIX) and len(guid) > len(GUID_PREFIX), at,
                    f"a retired note is named by its GUID ('{GUID_PREFIX}<id>')")
        where.check(isinstance(value, dict), at, f"must be an object, not {_kind(value)}")
        unknown = set(value) - set(RETIRED_FIELDS)
        where.check(not unknown, at, f"unknown key '{next(iter(unknown), '')}'")
        for name, kind in RETIRED_FIELDS.items():
            if name in value:
                ok = type(value[name]) is kind and (kind is str or 0 <= value[name] <= MAX_MOD)
                expected = "a string" if kind is str else f"a whole number of seconds between 0 and {MAX_MOD}"
                where.check(ok, _key("retired", guid, name), f"must be {expected}, not {_shown(value[name])}")
    return dict(data)


def _kind(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def _shown(value) -> str:
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 40 else text[:37] + "..."


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
