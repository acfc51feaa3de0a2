"""Every card of a build, rendered by Anki itself: the data a preview shows.

The lessons are built into a temporary package (no state file is read or written),
the package is imported into a temporary Anki collection, and each card is
rendered with ``card.render_output()``: the same template engine the apps use.
The ``anki`` package is only needed here; it is imported lazily so the rest of
the tool works without it.
"""
from __future__ import annotations

import html
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import Diagnostics

ANKI_MISSING = "preview needs the anki package, which is not installed: pip install anki"
TAG_RE = re.compile(r"<[^>]*>")
SPACE_RE = re.compile(r"\s+")


class PreviewError(Exception):
    """A problem the user can fix (no anki package, nothing to show); one line."""


@dataclass
class PreviewCard:
    number: int
    card_id: int
    kind: str  # "interview" or "quick-fire"
    ord: int
    deck: str
    level: str
    tags: list[str]
    source: str
    question: str  # plain text, for titles
    search: str  # lower-case plain text of everything shown, for the gallery's search
    front: str
    back: str
    notetype_id: int

    @property
    def stem(self) -> str:
        return f"{self.number:04d}"


@dataclass
class Rendered:
    cards: list[PreviewCard] = field(default_factory=list)
    css: dict[int, str] = field(default_factory=dict)  # note type id -> CSS
    media: dict[str, Path] = field(default_factory=dict)  # name -> file in the temporary collection


def _anki():
    try:
        from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
    except ImportError as exc:
        raise PreviewError(ANKI_MISSING) from exc
    return Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest


def render_cards(paths: list[Path], work: Path, say_aloud: bool = True) -> tuple[Diagnostics, Rendered]:
    """Every card of the build of ``paths``, rendered by Anki's template engine, in build order.

    ``work`` is a scratch folder; the media of the returned cards point into it.
    """
    Collection, ImportOptions, ImportRequest = _anki()
    from .build import BuildOptions, build

    result = build(paths, BuildOptions(out_dir=work / "dist", use_state=False, say_aloud=say_aloud))
    rendered = Rendered()
    if not result.packages:
        return result.diagnostics, rendered
    (work / "anki").mkdir()
    col = Collection(str(work / "anki" / "collection.anki2"))
    try:
        for package in result.packages:
            col.import_anki_package(ImportRequest(package_path=str(package), options=ImportOptions()))
        media_dir = Path(col.media.dir())
        cards = [col.get_card(cid) for cid in col.find_cards("")]
        cards.sort(key=lambda c: (c.due, c.id))
        for number, card in enumerate(cards, 1):
            rendered.cards.append(_preview_card(col, card, number, rendered, media_dir))
    finally:
        col.close()
    return result.diagnostics, rendered


def _preview_card(col, card, number: int, rendered: Rendered, media_dir: Path) -> PreviewCard:
    note = card.note()
    notetype = note.note_type()
    output = card.render_output()
    front = col.media.escape_media_filenames(output.question_text)
    back = col.media.escape_media_filenames(output.answer_text)
    rendered.css.setdefault(notetype["id"], output.css)
    for name in col.media.files_in_str(notetype["id"], output.question_text + output.answer_text):
        if _safe_media_name(name) and (media_dir / name).is_file():
            rendered.media[name] = media_dir / name
    names = [f["name"] for f in notetype["flds"]]
    values = dict(zip(names, note.fields))
    kind = "interview" if "Level" in values else "quick-fire"
    level = values.get("Level", "") if kind == "interview" else "Quick-fire"
    source = _plain(values.get("Source", ""))
    deck = col.decks.name(card.did)
    search = " ".join([_plain(" ".join(note.fields)), " ".join(note.tags), deck, level]).lower()
    return PreviewCard(number, card.id, kind, card.ord, deck, level, list(note.tags), source,
                       _plain(values.get("Question", note.fields[0])), search, front, back, notetype["id"])


def _plain(text: str) -> str:
    return SPACE_RE.sub(" ", html.unescape(TAG_RE.sub(" ", text))).strip()


def _safe_media_name(name: str) -> bool:
    return bool(name) and "/" not in name and "\\" not in name and not name.startswith(".")


def copy_media(media: dict[str, Path], target: Path) -> list[str]:
    if not media:
        return []
    target.mkdir(parents=True, exist_ok=True)
    for name, path in sorted(media.items()):
        shutil.copyfile(path, target / name)
    return sorted(media)
