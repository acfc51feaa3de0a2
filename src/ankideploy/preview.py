"""``ankideploy preview``: every card of a build, rendered by Anki itself, in a static gallery.

This module only runs the steps, each a module of its own: ``preview_cards``
builds the lessons and renders every card through Anki's template engine,
``gallery`` writes a page per card side and the ``index.html`` that shows them
(no server needed), and with ``--png`` ``screenshots`` saves every side on a
phone and a desktop, light and dark, with Playwright and the system's Chromium.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import Diagnostics
from .gallery import write_gallery, write_pages
from .preview_cards import PreviewCard, PreviewError, copy_media, render_cards
from .screenshots import BrowserError, chromium_missing, find_chromium, take_screenshots

__all__ = ["PreviewError", "PreviewResult", "find_chromium", "make_preview"]


@dataclass
class PreviewResult:
    diagnostics: Diagnostics
    cards: list[PreviewCard] = field(default_factory=list)
    index: Path | None = None
    media: list[str] = field(default_factory=list)
    screenshots: list[Path] = field(default_factory=list)
    png_error: str = ""


def make_preview(paths: list[Path], out_dir: Path, png: bool = False, say_aloud: bool = True,
                 chromium: str | None = None) -> PreviewResult:
    """Build, render through Anki, write the gallery; with ``png`` also the screenshots."""
    with tempfile.TemporaryDirectory(prefix="ankideploy-preview-") as tmp:
        diagnostics, rendered = render_cards(paths, Path(tmp), say_aloud)
        result = PreviewResult(diagnostics, rendered.cards)
        if not rendered.cards:
            return result
        out_dir.mkdir(parents=True, exist_ok=True)
        result.media = copy_media(rendered.media, out_dir / "media")
    executable = None
    if png:
        executable = chromium or find_chromium()
        if executable is None:
            result.png_error = chromium_missing()
    write_pages(rendered, out_dir)
    if executable:
        try:
            result.screenshots = take_screenshots(rendered.cards, out_dir, executable)
        except BrowserError as exc:
            result.png_error = f"screenshots failed: {exc}"
    result.index = write_gallery(rendered.cards, out_dir, [p.name for p in result.screenshots])
    return result
