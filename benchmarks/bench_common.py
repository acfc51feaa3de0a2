"""What the baseline scripts and the runner share: the two note types as genanki
models, deck ids, reading back what a package holds, and telling whether two
packages hold the same notes."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
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


def export_notes(apkg: Path, media_dir: Path) -> dict:
    """Everything the floor baselines need to write the same package again: note types (with
    their modification times), decks (with descriptions), every note's rendered HTML fields,
    tags, deck, modification time and new-card position, and the media files (written into
    ``media_dir`` under their names in the package)."""
    import zipfile

    db = open_collection(apkg)
    try:
        col_models = json.loads(db.execute("SELECT models FROM col").fetchone()[0])
        col_decks = json.loads(db.execute("SELECT decks FROM col").fetchone()[0])
        models_out = {
            mid: {"name": m["name"], "mod": m.get("mod", 0), "fields": [f["name"] for f in m["flds"]],
                  "css": m.get("css", ""),
                  "templates": [{"name": t["name"], "qfmt": t["qfmt"], "afmt": t["afmt"]} for t in m["tmpls"]]}
            for mid, m in col_models.items()}
        decks_out = {did: {"name": d["name"], "desc": d.get("desc", "")}
                     for did, d in col_decks.items() if did != "1"}
        notes = [{"model": str(mid), "deck": str(did), "guid": guid, "fields": flds.split("\x1f"),
                  "tags": tags.split(), "mod": mod}
                 for mid, did, guid, flds, tags, mod in db.execute(
                     "SELECT n.mid, c.did, n.guid, n.flds, n.tags, n.mod FROM notes n JOIN cards c ON c.nid = n.id"
                     " ORDER BY c.due, n.id")]
    finally:
        db.close()
    media_dir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(apkg) as zf:
        names = json.loads(zf.read("media"))
        for number, name in names.items():
            (media_dir / Path(name).name).write_bytes(zf.read(number))
    return {"models": models_out, "decks": decks_out, "notes": notes, "media_dir": str(media_dir),
            "media": sorted(Path(name).name for name in names.values())}


# ---------------------------------------------------------------- do two packages hold the same notes?

# Tags whose start or end separates words: a space is put there, so "<p>a</p><p>b</p>" reads "a b".
BLOCK_TAGS = {"address", "article", "blockquote", "br", "caption", "dd", "details", "div", "dl", "dt",
              "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "ol", "p", "pre",
              "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"}
SPACE_RE = re.compile(r"\s+")


class _TextContent(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in BLOCK_TAGS:
            self.parts.append(" ")
        elif tag == "img":
            # An image counts by its description: its file name is each tool's own business.
            self.parts.append(f" [image: {dict(attrs).get('alt') or ''}] ")

    def handle_endtag(self, tag):
        if tag in BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data):
        self.parts.append(data)


def field_text(html_text: str) -> str:
    """What a reader sees of a field: its text content (entities decoded, images as their alt
    text, a space where a block starts or ends, runs of white space as one space).

    Markup is left out on purpose: tools highlight code with different spans, sanitisers add
    ``rel`` to links, and image file names differ, none of which changes what the card says.
    A missing, extra or reworded word, a dropped code line or image is still a difference."""
    parser = _TextContent()
    parser.feed(html_text)
    parser.close()
    return SPACE_RE.sub(" ", "".join(parser.parts)).strip()


@dataclass(frozen=True)
class NoteView:
    notetype: str
    deck: str
    tags: tuple[str, ...]
    fields: tuple[str, ...]  # field_text of each field


def note_views(apkg: Path) -> dict[str, NoteView]:
    """Every note of a package by GUID: note type name, deck name, sorted tags, field texts."""
    db = open_collection(apkg)
    try:
        models_json = json.loads(db.execute("SELECT models FROM col").fetchone()[0])
        decks_json = json.loads(db.execute("SELECT decks FROM col").fetchone()[0])
        found = {}
        for guid, mid, did, tags, flds in db.execute(
                "SELECT n.guid, n.mid, c.did, n.tags, n.flds FROM notes n JOIN cards c ON c.nid = n.id"):
            found[guid] = NoteView(models_json[str(mid)]["name"], decks_json[str(did)]["name"],
                                   tuple(sorted(tags.split())), tuple(field_text(f) for f in flds.split("\x1f")))
        return found
    finally:
        db.close()


def media_names(apkg: Path) -> list[str]:
    import zipfile
    with zipfile.ZipFile(apkg) as zf:
        # Names with a leading underscore are Anki's files that no card shows (the course manifest).
        return [name for name in json.loads(zf.read("media")).values() if not name.startswith("_")]


def note_differences(expected: dict[str, NoteView], found: dict[str, NoteView], limit: int = 5) -> list[str]:
    """How ``found`` differs from ``expected``: missing and extra GUIDs, then notes whose note type,
    deck, tags or field text differ (at most ``limit`` lines of each kind); [] when they agree."""
    problems = []
    missing = sorted(expected.keys() - found.keys())
    extra = sorted(found.keys() - expected.keys())
    if missing:
        problems.append(f"{len(missing)} notes missing, e.g. {', '.join(missing[:limit])}")
    if extra:
        problems.append(f"{len(extra)} notes not expected, e.g. {', '.join(extra[:limit])}")
    changed = [guid for guid in sorted(expected.keys() & found.keys()) if expected[guid] != found[guid]]
    for guid in changed[:limit]:
        want, got = expected[guid], found[guid]
        for what in ("notetype", "deck", "tags"):
            if getattr(want, what) != getattr(got, what):
                problems.append(f"{guid}: {what} {getattr(got, what)!r}, expected {getattr(want, what)!r}")
        if len(want.fields) != len(got.fields):
            problems.append(f"{guid}: {len(got.fields)} fields, expected {len(want.fields)}")
        for number, (a, b) in enumerate(zip(want.fields, got.fields), 1):
            if a != b:
                at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
                problems.append(f"{guid}: field {number} differs at character {at}:"
                                f" {b[max(0, at - 30):at + 30]!r}, expected {a[max(0, at - 30):at + 30]!r}")
    if len(changed) > limit:
        problems.append(f"... and {len(changed) - limit} more notes differ")
    return problems


def edit_one_answer(path: Path) -> bool:
    """Change the text of the first model answer in ``path``, as an author would; False if it has none."""
    text = path.read_text(encoding="utf-8")
    marker = "**Model answer:**\n\n"
    if marker not in text:
        return False
    path.write_text(text.replace(marker, marker + "This sentence was added to measure a rebuild. ", 1),
                    encoding="utf-8")
    return True


def write_decks(decks: dict, out: Path, notes: int, media: list[str] = ()) -> int:
    """Write the decks (and media files) as one package with genanki, as the straightforward scripts do."""
    import genanki
    out.parent.mkdir(parents=True, exist_ok=True)
    genanki.Package(list(decks.values()), media_files=list(media)).write_to_file(out)
    print(f"wrote {notes} notes in {len(decks)} decks to {out}")
    return 0
