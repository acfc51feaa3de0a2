"""Writing .apkg files: deterministic bytes, written atomically.

genanki supplies the collection schema, the note type JSON and the deck JSON;
the rows are written here in one transaction into a database of our own (a
temporary file beside the package, removed whatever happens), and the deck and
note type JSON is written once per package rather than once per deck.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import zipfile
from pathlib import Path

import genanki
from genanki.apkg_col import APKG_COL
from genanki.apkg_schema import APKG_SCHEMA

from . import identity
from .atomic import open_temporary
from .note_spec import FIELD_SEPARATOR, PackageNote
from .notetypes import NoteType

ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _model(notetype: NoteType) -> genanki.Model:
    return genanki.Model(
        notetype.id, notetype.name,
        fields=[{"name": name} for name in notetype.fields],
        templates=[{"name": notetype.template, "qfmt": notetype.front, "afmt": notetype.back}],
        css=notetype.css)


def _model_json(notetype: NoteType, mod: int) -> dict:
    """genanki's note type JSON, plus stable field and template ids (Anki matches on them when
    merging note types; without them it would invent random ones in each collection)."""
    data = _model(notetype).to_json(mod, None)
    for field in data["flds"]:
        field["id"] = identity.schema_id(notetype.id, "field", field["name"])
    for template in data["tmpls"]:
        template["id"] = identity.schema_id(notetype.id, "template", template["name"])
    return data


def _all_deck_names(names: list[str]) -> list[str]:
    """The decks and every parent of them, parents first."""
    found: dict[str, None] = {}
    for name in names:
        parts = name.split("::")
        for depth in range(1, len(parts) + 1):
            found["::".join(parts[:depth])] = None
    return sorted(found)


def write_collection(db_path: Path, notes: list[PackageNote], notetypes: dict[str, NoteType],
                     notetype_mods: dict[str, int], descriptions: dict[str, str]) -> None:
    stamp = max([n.mod for n in notes] + list(notetype_mods.values()) + [0])
    db = sqlite3.connect(db_path)
    try:
        # A temporary file that is thrown away on any failure needs no journal.
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.executescript(APKG_SCHEMA)
        db.executescript(APKG_COL)
        decks = {name: identity.deck_id(name) for name in _all_deck_names([n.spec.deck for n in notes])}
        models = {str(notetypes[kind].id): _model_json(notetypes[kind], notetype_mods[kind])
                  for kind in sorted({n.spec.kind for n in notes})}
        with db:
            db.execute("UPDATE col SET crt = ?, mod = ?, decks = ?, models = ?",
                       (stamp, stamp * 1000, json.dumps(_decks_json(db, decks, descriptions, stamp), sort_keys=True),
                        json.dumps(models, sort_keys=True)))
            db.executemany("INSERT INTO notes VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                           (_note_row(n, notetypes) for n in notes))
            db.executemany("INSERT INTO cards VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                           (_card_row(n, decks) for n in notes))
    finally:
        db.close()


def _decks_json(db, decks: dict[str, int], descriptions: dict[str, str], stamp: int) -> dict:
    deck_json = {"1": json.loads(db.execute("SELECT decks FROM col").fetchone()[0])["1"]}
    for name, did in decks.items():
        entry = genanki.Deck(did, name, descriptions.get(name, "")).to_json()
        entry.update(mod=stamp, newToday=[0, 0], revToday=[0, 0], lrnToday=[0, 0], timeToday=[0, 0])
        deck_json[str(did)] = entry
    return deck_json


def _note_row(note: PackageNote, notetypes: dict[str, NoteType]) -> tuple:
    spec = note.spec
    sort_text, checksum = spec.sorting()
    return (identity.note_id(spec.guid), spec.guid, notetypes[spec.kind].id, note.mod, -1,
            f" {' '.join(spec.tags)} ", FIELD_SEPARATOR.join(spec.fields), sort_text, checksum, 0, "")


def _card_row(note: PackageNote, decks: dict[str, int]) -> tuple:
    spec = note.spec
    return (identity.card_id(spec.guid, 0), identity.note_id(spec.guid), decks[spec.deck], 0, note.mod, -1,
            0, 0, note.position, 0, 0, 0, 0, 0, 0, 0, 0, "")


def write_package(target: Path, notes: list[PackageNote], notetypes: dict[str, NoteType],
                  notetype_mods: dict[str, int], descriptions: dict[str, str], media: dict[str, Path],
                  extra_media: dict[str, bytes] | None = None) -> None:
    """Write the package beside ``target`` and move it into place only when complete.

    ``extra_media``: media files given as bytes (the course manifest)."""
    extra_media = extra_media or {}
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, db_tmp = open_temporary(target, ".db.tmp")
    os.close(fd)
    fd, tmp = open_temporary(target)
    try:
        write_collection(Path(db_tmp), notes, notetypes, notetype_mods, descriptions)
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
            _add_file(zf, "collection.anki2", Path(db_tmp))
            names = sorted(set(media) | set(extra_media))
            _add(zf, "media", json.dumps({str(i): name for i, name in enumerate(names)}).encode())
            for i, name in enumerate(names):
                if name in extra_media:
                    _add(zf, str(i), extra_media[name])
                else:
                    _add_file(zf, str(i), media[name])
        with open(tmp, "rb+") as done:
            os.fsync(done.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        Path(db_tmp).unlink(missing_ok=True)


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.create_system = 3
    return info


def _add_file(zf: zipfile.ZipFile, name: str, path: Path) -> None:
    with open(path, "rb") as source, zf.open(_info(name), "w") as target:
        shutil.copyfileobj(source, target, 1 << 20)


def _add(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    zf.writestr(_info(name), data)
