"""What the baseline scripts and the runner share: the two note types as genanki
models, deck ids, and reading back what a package holds."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOTETYPES = REPO / "src" / "ankideploy" / "notetypes"
# The ids the real build gives its note types (ankideploy.identity), so the packages are alike.
MODEL_IDS = {"interview": 1794512603101, "quick-fire": 1794512603102}


def models() -> dict:
    """The interview and quick-fire note types, from the templates the real build uses."""
    import genanki

    spec = json.loads((NOTETYPES / "notetypes.json").read_text(encoding="utf-8"))
    css = (NOTETYPES / "cards.css").read_text(encoding="utf-8")
    found = {}
    for kind, entry in spec.items():
        found[kind] = genanki.Model(
            MODEL_IDS[kind], entry["name"], fields=[{"name": name} for name in entry["fields"]],
            templates=[{"name": entry["template"],
                        "qfmt": (NOTETYPES / entry["front"]).read_text(encoding="utf-8"),
                        "afmt": (NOTETYPES / entry["back"]).read_text(encoding="utf-8")}],
            css=css)
    return found


def deck_id(name: str) -> int:
    return 10**12 + int(hashlib.sha256(f"deck\x1f{name}".encode()).hexdigest()[:15], 16) % 10**12


def open_collection(apkg: Path):
    """The package's collection as an in-memory SQLite database."""
    import sqlite3
    import zipfile

    with zipfile.ZipFile(apkg) as zf:
        data = zf.read("collection.anki2")
    db = sqlite3.connect(":memory:")
    db.deserialize(data)
    return db


def summarise(apkg: Path) -> dict:
    """Notes, the decks that hold cards, and the note types used, as counts."""
    db = open_collection(apkg)
    try:
        return {
            "notes": db.execute("SELECT count(*) FROM notes").fetchone()[0],
            "decks": db.execute("SELECT count(DISTINCT did) FROM cards").fetchone()[0],
            "notetypes": db.execute("SELECT count(DISTINCT mid) FROM notes").fetchone()[0],
        }
    finally:
        db.close()


def export_notes(apkg: Path) -> dict:
    """Everything the floor baseline needs to write the same package again: note types,
    decks (with descriptions) and every note's rendered HTML fields, tags and deck."""
    db = open_collection(apkg)
    try:
        col_models = json.loads(db.execute("SELECT models FROM col").fetchone()[0])
        col_decks = json.loads(db.execute("SELECT decks FROM col").fetchone()[0])
        models_out = {
            mid: {"name": m["name"], "fields": [f["name"] for f in m["flds"]], "css": m.get("css", ""),
                  "templates": [{"name": t["name"], "qfmt": t["qfmt"], "afmt": t["afmt"]} for t in m["tmpls"]]}
            for mid, m in col_models.items()}
        decks_out = {did: {"name": d["name"], "desc": d.get("desc", "")}
                     for did, d in col_decks.items() if did != "1"}
        notes = [{"model": str(mid), "deck": str(did), "guid": guid, "fields": flds.split("\x1f"),
                  "tags": tags.split()}
                 for mid, did, guid, flds, tags in db.execute(
                     "SELECT n.mid, c.did, n.guid, n.flds, n.tags FROM notes n JOIN cards c ON c.nid = n.id"
                     " ORDER BY c.due, n.id")]
        return {"models": models_out, "decks": decks_out, "notes": notes}
    finally:
        db.close()


def edit_one_answer(path: Path) -> bool:
    """Change the text of the first model answer in ``path``, as an author would; False if it has none."""
    text = path.read_text(encoding="utf-8")
    marker = "**Model answer:**\n\n"
    if marker not in text:
        return False
    path.write_text(text.replace(marker, marker + "This sentence was added to measure a rebuild. ", 1),
                    encoding="utf-8")
    return True


def write_decks(decks: dict, out: Path, notes: int) -> int:
    """Write the decks as one package with genanki, as the straightforward scripts do."""
    import genanki
    out.parent.mkdir(parents=True, exist_ok=True)
    genanki.Package(list(decks.values())).write_to_file(out)
    print(f"wrote {notes} notes in {len(decks)} decks to {out}")
    return 0
