"""The static preview gallery: one page per card side, and ``index.html`` showing them all.

Pages are filled from the templates in ``preview_assets`` in one pass per page
(a value is never searched for markers). The gallery needs no server: search,
level and tag filters, light/dark and phone width run in its own script.
"""
from __future__ import annotations

import html
import re
from importlib import resources
from pathlib import Path

from .preview_cards import PreviewCard, Rendered
from .screenshots import SHOTS, SIDES, remove_earlier

LEVELS = ("Beginner", "Intermediate", "Advanced", "Quick-fire")
STALE_CARD_RE = re.compile(r"^\d{4,}-(?:front|back)\.html$|^style-\d+\.css$")
PLACEHOLDER_RE = re.compile(r"@([A-Z_]+)@")


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("preview_assets", name).read_text(encoding="utf-8")


def write_pages(rendered: Rendered, out_dir: Path) -> None:
    """One page per card side, with the note type's CSS beside them; light and desktop unless the
    URL fragment (or the gallery) says ``phone`` and/or ``dark``."""
    cards_dir = out_dir / "cards"
    remove_earlier(cards_dir, STALE_CARD_RE)
    cards_dir.mkdir(parents=True, exist_ok=True)
    for notetype_id, css in rendered.css.items():
        (cards_dir / f"style-{notetype_id}.css").write_text(css, encoding="utf-8")
    template, script = _asset("card.html"), _asset("card.js")
    for card in rendered.cards:
        for side in SIDES:
            page = _fill(template, TITLE=html.escape(f"#{card.number} {side}: {card.question[:80]}"),
                         STYLE=f"style-{card.notetype_id}.css", BODY_CLASS=f"card card{card.ord + 1}",
                         SCRIPT=script, CARD=card.front if side == "front" else card.back)
            (cards_dir / f"{card.stem}-{side}.html").write_text(page, encoding="utf-8")


def _fill(template: str, **values: str) -> str:
    """``@NAME@`` markers replaced in one pass, so a value is never searched for markers itself."""
    return PLACEHOLDER_RE.sub(lambda m: values[m.group(1)], template)


def write_gallery(cards: list[PreviewCard], out_dir: Path, screenshots: list[str]) -> Path:
    shots = set(screenshots)
    entries = "\n".join(_entry(card, shots) for card in cards)
    levels = [level for level in LEVELS if any(c.level == level for c in cards)]
    levels += sorted({c.level for c in cards} - set(levels))
    tags = sorted({tag for c in cards for tag in c.tags}, key=str.lower)
    kinds = {kind: sum(c.kind == kind for c in cards) for kind in ("interview", "quick-fire")}
    summary = f"{len(cards)} card{'s' * (len(cards) != 1)}: {kinds['interview']} interview, " \
              f"{kinds['quick-fire']} quick-fire"
    page = _fill(_asset("gallery.html"), SUMMARY=html.escape(summary), TOTAL=str(len(cards)),
                 LEVEL_OPTIONS="".join(_option(level) for level in levels),
                 TAG_OPTIONS="".join(_option(tag) for tag in tags),
                 STYLE=_asset("gallery.css"), SCRIPT=_asset("gallery.js"), ENTRIES=entries)
    index = out_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


def _option(value: str) -> str:
    return f'<option value="{html.escape(value)}">{html.escape(value)}</option>'


def _entry(card: PreviewCard, shots: set[str]) -> str:
    e = html.escape
    tags = "".join(f'<span class="g-tag">{e(tag)}</span>' for tag in card.tags)
    frames = []
    for side in SIDES:
        url = f"cards/{card.stem}-{side}.html"
        pngs = [(shot.name, f"png/{card.stem}-{side}-{shot.name}.png") for shot in SHOTS
                if f"{card.stem}-{side}-{shot.name}.png" in shots]
        links = (' <span class="g-png">PNG:' + "".join(f' <a href="{e(path)}">{e(name)}</a>' for name, path in pngs)
                 + "</span>") if pngs else ""
        frames.append(
            f'<figure class="g-side"><figcaption>{side.capitalize()}'
            f' <a class="g-open" href="{url}" data-src="{url}" target="_blank">open</a>{links}</figcaption>'
            f'<iframe class="g-frame" src="{url}" data-src="{url}" loading="lazy"'
            f' title="Card {card.number}, {side}"></iframe></figure>')
    return (f'<article class="g-card" id="card-{card.stem}" data-level="{e(card.level)}"'
            f' data-tags="{e(" ".join(card.tags))}" data-text="{e(card.search)}">\n'
            f'<div class="g-meta"><span class="g-num">#{card.number}</span>'
            f' <span class="g-level g-level-{e(card.level.replace(" ", "-"))}">{e(card.level)}</span>'
            f' <span class="g-deck">{e(card.deck.replace("::", " › "))}</span>'
            f' <span class="g-source">{e(card.source)}</span> {tags}</div>\n'
            f'<div class="g-sides">{"".join(frames)}</div>\n</article>')
