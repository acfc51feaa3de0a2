"""What a course release says about itself.

* The *manifest*: a small JSON media file inside every package
  (``_ankideploy-<course>-<version>.json``; Anki keeps media files whose name starts with
  an underscore and never shows them). It names the course and version, every GUID the
  package holds, every retired GUID with its question, and this version's changelog.
  Its name changes with every version: Anki's importer keeps an existing media file of
  the same name, so a fixed name would leave learners with the first version's manifest.
* ``course.json`` beside the packages: name, version, each package's file name, size and
  sha256, and the changelog. This is the file learners subscribe to.
* The changelog section of each lesson deck's description, for learners without the
  add-on (AnkiDroid, AnkiMobile), with a search that finds the retired notes.

Everything here is a function of the content and the state file, never of the clock:
the version is the time of the newest change the state records, so rebuilding the same
content with the same state (a CI run after a local build, say) gives the same bytes.
It avoids: the network, Anki itself, and guessing a retired question's text it cannot
read (the label stands in for it).
"""
from __future__ import annotations

import hashlib
import html
import json
import re
import sqlite3
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from . import identity
from .atomic import write_atomically

COURSE_FILE = "course.json"
MANIFEST_PREFIX = "_ankideploy-"
MANIFEST_FORMAT = 1
RETIRED_TAG = "ankideploy::retired"  # what the add-on tags retired notes with
SLUG_RE = re.compile(r"[^a-z0-9]+")
TAG_RE = re.compile(r"<[^>]*>")
LISTED = 25  # questions listed per kind in a deck description; the rest are counted
MAX_PREVIOUS_COLLECTION = 256 * 1024 * 1024  # never unpack more than this from an old package


@dataclass
class Change:
    guid: str
    lesson: str
    label: str
    question: str

    def to_json(self) -> dict:
        return {"guid": self.guid, "lesson": self.lesson, "label": self.label, "question": self.question}


@dataclass
class Changelog:
    new: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    retired: list[Change] = field(default_factory=list)

    def to_json(self) -> dict:
        return {kind: [c.to_json() for c in getattr(self, kind)] for kind in ("new", "changed", "retired")}

    def counts(self) -> dict[str, int]:
        return {kind: len(getattr(self, kind)) for kind in ("new", "changed", "retired")}


@dataclass
class Release:
    """One version of a course: what every package's manifest and course.json say."""

    name: str
    version: str  # the --release label, or the time of the newest change (UTC, ISO 8601)
    time: int  # seconds since the epoch of the newest change
    changelog: Changelog
    retired: list[tuple[str, identity.Retired]]  # every retired note of the course, by GUID
    lessons: frozenset[str] = frozenset()  # the lessons this build holds
    _index: dict | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def date(self) -> str:
        return time.strftime("%Y-%m-%d", time.gmtime(self.time))

    @property
    def label(self) -> str:
        """How learners see the version: the release label, or the date."""
        return self.version if self.version != _iso(self.time) else self.date

    def by_lesson(self) -> dict[str, dict[str, list]]:
        """lesson -> new / changed / retired Changes and retired_all (GUID, Retired) pairs; built once,
        so describing each of many lessons stays linear."""
        if self._index is None:
            index: dict[str, dict[str, list]] = {}
            for kind in ("new", "changed", "retired"):
                for change in getattr(self.changelog, kind):
                    index.setdefault(change.lesson, {}).setdefault(kind, []).append(change)
            for guid, entry in self.retired:
                index.setdefault(entry.lesson, {}).setdefault("retired_all", []).append((guid, entry))
            self._index = index
        return self._index

    def manifest_name(self, package_stem: str = "") -> str:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self.time))
        parts = [slug(self.name) or "course", stamp]
        if self.version != _iso(self.time):
            parts.insert(1, slug(self.version) or "release")
        if package_stem:
            parts.append(slug(package_stem) or "package")
        return MANIFEST_PREFIX + "-".join(parts) + ".json"

    def manifest(self, guids: list[str]) -> bytes:
        data = {
            "format": MANIFEST_FORMAT,
            "course": self.name,
            "version": self.version,
            "label": self.label,
            "time": self.time,
            "guids": sorted(guids),
            "retired": [{"guid": guid, "lesson": r.lesson, "label": r.label, "question": r.question,
                         "since": r.retired} for guid, r in self.retired],
            "changelog": self.changelog.to_json(),
        }
        return _json_bytes(data)


def slug(text: str) -> str:
    return SLUG_RE.sub("-", text.lower()).strip("-")[:60].strip("-")


def plain(field_html: str) -> str:
    """A field's text without markup, on one line: what a changelog shows of a question."""
    return " ".join(html.unescape(TAG_RE.sub(" ", field_html)).split())


def _iso(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _json_bytes(data: dict) -> bytes:
    # Compact: json's C encoder only runs without indent, and a first build lists every note as new.
    return (json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")


def course_name(lessons: list, root_deck: str, package_name: str) -> str:
    """The root deck, else the one lesson's title, else the one episode's name, else the package name."""
    if root_deck.strip():
        return root_deck.strip()
    if len(lessons) == 1 and lessons[0].title:
        return lessons[0].title
    episodes = {(lesson.episode, lesson.episode_title) for lesson in lessons}
    if len(episodes) == 1:
        episode, title = episodes.pop()
        if title:
            return title
        if episode:
            return f"Episode {episode}"
    return package_name


def make_release(name: str, label: str, notes: list, state: identity.State, statuses: dict[str, str],
                 notetype_mods: list[int]) -> Release:
    """The version is the newest change; its changelog is every note changed at that time.

    ``notes`` are the planned PackageNotes, ``state`` the state after this build, ``statuses`` the
    status of each GUID in this build. A rebuild from a state that already holds the change (a CI
    run after a local build) sees such notes unchanged: the state alone cannot tell new from
    changed, so there a note counts as new only when its whole lesson is new (a first build)."""
    retired = sorted(state.retired.items())
    newest = max([n.mod for n in notes] + [r.retired for _, r in retired] + list(notetype_mods) + [0])
    log = Changelog()
    lesson_of = {n.spec.guid: state.notes[n.spec.guid].lesson for n in notes if n.spec.guid in state.notes}
    old_lessons = {lesson_of.get(n.spec.guid) for n in notes if n.mod != newest}
    for note in notes:
        if note.mod != newest:
            continue
        status = statuses.get(note.spec.guid)
        is_new = status == identity.NEW or (status == identity.UNCHANGED
                                            and lesson_of.get(note.spec.guid) not in old_lessons)
        change = Change(note.spec.guid, lesson_of.get(note.spec.guid, ""), note.spec.label,
                        plain(note.spec.fields[0]))
        (log.new if is_new else log.changed).append(change)
    log.retired = [Change(guid, r.lesson, r.label, r.question or r.label) for guid, r in retired
                   if r.retired == newest]
    return Release(name, label.strip() or _iso(newest), newest, log, retired, frozenset(lesson_of.values()))


def description_section(release: Release, lesson_id: str, deck_note_count: int, orphans: bool) -> str:
    """The changelog of this version for one lesson deck, and how to find its retired notes.

    ``orphans``: also the retired notes of lessons not in this package (deleted lessons)."""
    index = release.by_lesson()
    keys = [lesson_id] + (sorted(k for k in index if k not in release.lessons) if orphans else [])
    new, changed, retired_now, retired_all = [], [], [], []
    for key in keys:
        kinds = index.get(key, {})
        new += kinds.get("new", [])
        changed += kinds.get("changed", [])
        retired_now += kinds.get("retired", [])
        retired_all += kinds.get("retired_all", [])
    parts = []
    if new and not changed and not retired_now and len(new) == deck_note_count:
        parts.append(f"<p><b>{html.escape(release.name)} {html.escape(release.label)}</b>:"
                     f" {len(new)} question{'s' * (len(new) != 1)}.</p>")
    elif new or changed or retired_now:
        parts.append(f"<p><b>What changed in {html.escape(release.name)} {html.escape(release.label)}</b></p>")
        for title, items in (("New", new), ("Changed", changed), ("Retired", retired_now)):
            if items:
                parts.append(f"<p>{title}:</p>{_list(items)}")
    if retired_all:
        search = "nid:" + ",".join(str(identity.note_id(guid)) for guid, _ in retired_all)
        count = len(retired_all)
        parts.append(f"<p>{count} retired question{'s' * (count != 1)} of this course no longer"
                     f" {'is' if count == 1 else 'are'} part of it but stay{'s' * (count == 1)} in your collection"
                     " with their history. To find them, paste this search into the Browse window:"
                     f" <code>{search}</code> (the \"Say it aloud\" add-on tags them"
                     f" <code>{RETIRED_TAG}</code>)</p>")
    return "".join(parts)


def _list(items: list[Change]) -> str:
    shown = "".join(f"<li>{html.escape(c.label)}" + (f": {html.escape(_short(c.question))}" if c.question != c.label
                                                     else "") + "</li>" for c in items[:LISTED])
    more = f"<li>and {len(items) - LISTED} more</li>" if len(items) > LISTED else ""
    return f"<ul>{shown}{more}</ul>"


def _short(text: str, limit: int = 140) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def course_json(release: Release, packages: list[tuple[Path, str]], out_dir: Path) -> bytes:
    """course.json: what a subscription reads. ``packages``: (path, manifest name) pairs."""
    entries = []
    for path, manifest_name in packages:
        data = path.read_bytes()
        entries.append({"file": path.relative_to(out_dir).as_posix(), "size": len(data),
                        "sha256": hashlib.sha256(data).hexdigest(), "manifest": manifest_name})
    return _json_bytes({
        "format": MANIFEST_FORMAT,
        "name": release.name,
        "version": release.version,
        "label": release.label,
        "time": release.time,
        "packages": entries,
        "changelog": release.changelog.to_json(),
    })


def write_course_json(release: Release, packages: list[tuple[Path, str]], out_dir: Path) -> Path:
    target = out_dir / COURSE_FILE
    write_atomically(target, course_json(release, packages, out_dir))
    return target


def questions_from_packages(folder: Path, guids: set[str]) -> dict[str, str]:
    """The question text of ``guids`` as the previous build's packages in ``folder`` hold it.

    A retired question is gone from the content, and the state file keeps no text: the
    package it was last built into does. Anything unreadable is skipped (the label stands in)."""
    found: dict[str, str] = {}
    if not guids or not folder.is_dir():
        return found
    for package in sorted(folder.glob("*.apkg")):
        try:
            found.update(_questions_in(package, guids - set(found)))
        except (OSError, zipfile.BadZipFile, sqlite3.Error, ValueError, KeyError):
            continue
        if len(found) == len(guids):
            break
    return found


def _questions_in(package: Path, guids: set[str]) -> dict[str, str]:
    if not guids:
        return {}
    with zipfile.ZipFile(package) as archive:
        name = next((n for n in ("collection.anki21", "collection.anki2") if n in archive.namelist()), None)
        if name is None or archive.getinfo(name).file_size > MAX_PREVIOUS_COLLECTION:
            return {}
        with tempfile.TemporaryDirectory() as tmp:
            db_path = Path(tmp) / "collection.db"
            db_path.write_bytes(archive.read(name))
            db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
            try:
                rows = db.execute("SELECT guid, flds FROM notes").fetchall()
            finally:
                db.close()
    return {guid: plain(str(flds).split("\x1f")[0]) for guid, flds in rows if guid in guids}
