"""Course updates inside the collection: reading a course's manifest, importing a package
with Anki's own importer, and handling retired notes; plus the one-line summary.

A manifest (``_ankideploy-<course>-<version>.json``, a media file of every course
package) names the GUIDs the package holds and the GUIDs the author retired. Applying
it: the learner's notes with a retired GUID get the tag ``ankideploy::retired`` and,
by default, their cards are suspended; a retired note that came back is un-tagged and
un-suspended. Nothing is ever deleted.

This module never imports aqt (the Qt layer is updates_gui.py) and takes the collection
as an argument, so the tests drive it with the real ``anki`` backend. Everything read
from a manifest or the media folder is treated as hostile: bounded and validated.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

MANIFEST_NAME_RE = re.compile(r"^_ankideploy-[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.json$")
GUID_RE = re.compile(r"^[\x21-\x7e]{1,100}$")  # what Anki's GUIDs are: short, printable, no spaces
RETIRED_TAG = "ankideploy::retired"
POLICIES = ("suspend", "tag", "ignore")
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_GUIDS = 200_000
# collection config: course name -> {"time", "version"} of the newest manifest applied
APPLIED_KEY = "ankideploy_applied"
# collection config: GUIDs this add-on retired. An import that updates a revived note replaces its
# tags, so the tag alone cannot say which suspended cards were ours to un-suspend.
RETIRED_KEY = "ankideploy_retired"
_CHUNK = 500  # ids per SQL query


class UpdateError(Exception):
    """A problem the learner is told about in one line; the collection was not changed."""


@dataclass(frozen=True)
class Manifest:
    course: str
    version: str
    label: str
    time: int
    guids: frozenset[str]
    retired: dict[str, str]  # GUID -> question text
    changelog: dict[str, list[str]] = field(default_factory=dict)  # "new" / "changed" / "retired" -> GUIDs


@dataclass
class Outcome:
    """What an update did to this learner's collection."""

    course: str
    label: str
    policy: str
    new: list[int] = field(default_factory=list)  # note ids
    changed: list[int] = field(default_factory=list)
    retired: list[int] = field(default_factory=list)  # newly retired here
    revived: list[int] = field(default_factory=list)

    @property
    def note_ids(self) -> list[int]:
        return sorted(set(self.new + self.changed + self.retired + self.revived))

    def search(self) -> str:
        """A Browse search for exactly the notes this update touched."""
        return "nid:" + ",".join(map(str, self.note_ids)) if self.note_ids else ""


def parse_manifest(raw: bytes, default_course: str = "") -> Manifest:
    """A manifest, validated; ``default_course`` names it when it names no course itself."""
    if len(raw) > MAX_MANIFEST_BYTES:
        raise UpdateError("the course manifest is too large")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise UpdateError("the course manifest is not valid JSON") from None
    if not isinstance(data, dict):
        raise UpdateError("the course manifest is not a JSON object")
    course, version = data.get("course", ""), data.get("version")
    when = data.get("time", 0)
    if not isinstance(course, str) or len(course) > 200:
        raise UpdateError("the course manifest has an invalid course name")
    if not isinstance(version, str) or not version.strip() or len(version) > 100:
        raise UpdateError("the course manifest has no version")
    if isinstance(when, bool) or not isinstance(when, int) or when < 0:
        raise UpdateError("the course manifest has no valid time")
    label = data.get("label") if isinstance(data.get("label"), str) and data["label"].strip() else version
    guids = data.get("guids", [])
    retired = data.get("retired")
    if not isinstance(guids, list) or not isinstance(retired, list) or len(guids) + len(retired) > MAX_GUIDS:
        raise UpdateError("the course manifest's note lists are missing or too long")
    if not all(isinstance(g, str) and GUID_RE.match(g) for g in guids):
        raise UpdateError("the course manifest lists an invalid note id")
    retired_map: dict[str, str] = {}
    for item in retired:
        guid = item.get("guid") if isinstance(item, dict) else None
        if not isinstance(guid, str) or not GUID_RE.match(guid):
            raise UpdateError("the course manifest lists an invalid retired note")
        question = item.get("question")
        retired_map[guid] = question[:500] if isinstance(question, str) else ""
    changelog: dict[str, list[str]] = {}
    raw_log = data.get("changelog")
    for kind in ("new", "changed", "retired"):
        items = raw_log.get(kind) if isinstance(raw_log, dict) else None
        changelog[kind] = [i["guid"] for i in items if isinstance(i, dict) and isinstance(i.get("guid"), str)
                           and GUID_RE.match(i["guid"])] if isinstance(items, list) else []
    return Manifest(course.strip() or default_course[:200], version.strip(), label.strip()[:100], when, frozenset(guids) - set(retired_map),
                    retired_map, changelog)


# in the collection ------------------------------------------------------------------------


def _note_ids(col: Any, guids: set[str] | frozenset[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    ordered = sorted(guids)
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start:start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for nid, guid in col.db.all(f"SELECT id, guid FROM notes WHERE guid IN ({marks})", *chunk):
            found[guid] = nid
    return found


def _tagged(col: Any, nids: list[int]) -> set[int]:
    """Those of ``nids`` that carry the retired tag."""
    tagged = set(col.find_notes(f'"tag:{RETIRED_TAG}"')) if nids else set()
    return tagged & set(nids)


def apply_manifest(col: Any, manifest: Manifest, policy: str, outcome: Outcome) -> Outcome:
    """Retire and revive as the manifest says; ``outcome`` collects the note ids touched."""
    policy = policy if policy in POLICIES else "suspend"
    outcome.policy = policy
    retired = list(_note_ids(col, set(manifest.retired)).values())
    if policy != "ignore" and retired:
        already = _tagged(col, retired)
        fresh = sorted(set(retired) - already)
        if fresh:
            col.tags.bulk_add(fresh, RETIRED_TAG)
            if policy == "suspend":
                col.sched.suspend_cards([cid for nid in fresh for cid in col.card_ids_of_note(nid)])
        outcome.retired = fresh
    ours = col.get_config(RETIRED_KEY, [])
    ours = {g for g in ours if isinstance(g, str)} if isinstance(ours, list) else set()
    present = _note_ids(col, manifest.guids)
    back_guids = {g for g in present if g in ours}
    back = sorted({present[g] for g in back_guids} | _tagged(col, list(present.values())))
    ours = (ours - back_guids) | (set(_note_ids(col, set(manifest.retired))) if policy != "ignore" else set())
    col.set_config(RETIRED_KEY, sorted(ours))
    if back:
        col.tags.bulk_remove(back, RETIRED_TAG)  # where the import left it
        col.sched.unsuspend_cards([cid for nid in back for cid in col.card_ids_of_note(nid)])
        outcome.revived = back
    applied = col.get_config(APPLIED_KEY, {})
    applied = applied if isinstance(applied, dict) else {}
    if is_newer(manifest, applied.get(manifest.course)):
        applied[manifest.course] = {"time": manifest.time, "version": manifest.version}
        col.set_config(APPLIED_KEY, applied)
    return outcome


def is_newer(manifest: Manifest, seen: Any) -> bool:
    """Newer than what was applied: a later time, or (for a manifest without one) another version."""
    seen = seen if isinstance(seen, dict) else {}
    time_seen = seen.get("time") if isinstance(seen.get("time"), int) else 0
    if manifest.time or time_seen:
        return manifest.time > time_seen
    return manifest.version != seen.get("version")


def import_and_apply(col: Any, packages: list[tuple[str, Manifest]], policy: str) -> tuple[Outcome, Any]:
    """Import each package with the options a learner uses by hand, then apply its manifest.

    One undo step for all of it. If anything fails after the first import, the steps already
    made are undone, so the collection is as it was. Returns the outcome and the OpChanges."""
    from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    first = packages[0][1]
    outcome = Outcome(first.course, first.label, policy)
    start = col.add_custom_undo_entry(f"Course update: {first.course}")
    try:
        for path, manifest in packages:
            options = ImportAnkiPackageOptions(merge_notetypes=False, with_scheduling=False,
                                               with_deck_configs=False)  # update notes / note types: if newer
            log = col.import_anki_package(ImportAnkiPackageRequest(package_path=path, options=options)).log
            outcome.new += [n.id.nid for n in log.new]
            outcome.changed += [n.id.nid for n in log.updated]
            apply_manifest(col, manifest, policy, outcome)
        changes = col.merge_undo_entries(start)
    except Exception:
        _roll_back(col, start)
        raise
    return outcome, changes


def _roll_back(col: Any, start: int) -> None:
    try:
        col.merge_undo_entries(start)
        col.undo()
    except Exception:  # nothing to undo: the failure came before any change
        pass


# manifests that arrived by hand (File -> Import) ----------------------------------------------


def manifest_names(media_dir: str) -> set[str]:
    try:
        with os.scandir(media_dir) as entries:
            return {e.name for e in entries if e.name.startswith("_ankideploy-") and MANIFEST_NAME_RE.match(e.name)}
    except OSError:
        return set()


def pending_manifests(media_dir: str, applied: Any, limit: int = 2000) -> list[Manifest]:
    """The newest manifest of each course in the media folder that is newer than the one applied."""
    applied = applied if isinstance(applied, dict) else {}
    newest: dict[str, Manifest] = {}
    for name in sorted(manifest_names(media_dir))[-limit:]:
        path = os.path.join(media_dir, name)
        try:
            if os.path.getsize(path) > MAX_MANIFEST_BYTES:
                continue
            with open(path, "rb") as handle:
                manifest = parse_manifest(handle.read(), default_course=name)
        except (OSError, UpdateError):
            continue
        if not is_newer(manifest, applied.get(manifest.course)):
            continue
        if manifest.course not in newest or manifest.time > newest[manifest.course].time:
            newest[manifest.course] = manifest
    return [newest[name] for name in sorted(newest)]


def apply_pending(col: Any, policy: str) -> list[Outcome]:
    """After an import by hand: apply every newer manifest the media folder now holds."""
    outcomes = []
    for manifest in pending_manifests(col.media.dir(), col.get_config(APPLIED_KEY, {})):
        outcome = Outcome(manifest.course, manifest.label, policy)
        ids = _note_ids(col, set(manifest.changelog.get("new", [])) | set(manifest.changelog.get("changed", [])))
        outcome.changed = sorted(ids[g] for g in manifest.changelog.get("changed", []) if g in ids)
        outcome.new = sorted(ids[g] for g in manifest.changelog.get("new", []) if g in ids)
        outcomes.append(apply_manifest(col, manifest, policy, outcome))
    return outcomes


# what the learner reads ------------------------------------------------------------------------


def summary(outcome: Outcome) -> str:
    """'Final Production Deployment 2026-12-01: 2 questions changed, 1 new, 1 retired (suspended)'."""
    parts = [f"{len(outcome.changed)} question{'s' * (len(outcome.changed) != 1)} changed",
             f"{len(outcome.new)} new"]
    if outcome.retired or outcome.policy != "ignore":
        how = {"suspend": " (suspended)", "tag": " (tagged)"}.get(outcome.policy, "")
        parts.append(f"{len(outcome.retired)} retired{how if outcome.retired else ''}")
    if outcome.revived:
        parts.append(f"{len(outcome.revived)} back from retirement")
    return f"{outcome.course} {outcome.label}: " + ", ".join(parts)
