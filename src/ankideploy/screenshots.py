"""``preview --png``: a screenshot of every card side on a phone and a desktop, light and dark.

The browser is driven by Playwright (the optional extra ``png``:
``pip install 'ankideploy[png]'``) and is the system's Chromium, never a
download: ``$ANKIDEPLOY_CHROMIUM`` or the first Chromium or Chrome on the PATH.
Playwright runs in a thread of its own, so a caller with an event loop (or its
own Playwright) is not disturbed. Only local card pages are opened.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .preview_cards import PreviewCard

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
CHROMIUM_ENV = "ANKIDEPLOY_CHROMIUM"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
                  "--no-default-browser-check", "--disable-extensions", "--disable-sync", "--hide-scrollbars",
                  "--mute-audio"]
PLAYWRIGHT_MISSING = ("--png needs Playwright, which is not installed: pip install 'ankideploy[png]'"
                      " (it drives the system's Chromium; no browser is downloaded)")
SIDES = ("front", "back")
STALE_PNG_RE = re.compile(r"^\d{4,}-(?:front|back)-(?:phone|desktop)-(?:light|dark)\.png$")
TIMEOUT_MS = 60_000


class BrowserError(Exception):
    """Chromium or Playwright did not start, or did not answer."""


@dataclass(frozen=True)
class Shot:
    """One screenshot setting: a viewport, a pixel ratio and the host classes of the card page."""

    name: str
    width: int
    height: int
    scale: int
    flags: str  # "phone" and/or "dark", read by the card page's script


SHOTS = (Shot("phone-light", 360, 640, 2, "phone"), Shot("phone-dark", 360, 640, 2, "phone,dark"),
         Shot("desktop-light", 1024, 768, 1, ""), Shot("desktop-dark", 1024, 768, 1, "dark"))


def remove_earlier(folder: Path, pattern: re.Pattern) -> None:
    """Remove what an earlier preview wrote here (only files named the way the preview names them)."""
    if folder.is_dir():
        for path in folder.iterdir():
            if path.is_file() and pattern.match(path.name):
                path.unlink()


def find_chromium() -> str | None:
    """``$ANKIDEPLOY_CHROMIUM``, else the first Chromium or Chrome on the PATH."""
    explicit = os.environ.get(CHROMIUM_ENV)
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_missing() -> str:
    return (f"--png needs Chromium, which was not found (looked for {', '.join(CHROMIUM_NAMES[:3])} on the PATH"
            f" and ${CHROMIUM_ENV}); install it (Debian/Ubuntu: apt install chromium);"
            " the gallery was written without screenshots")


def take_screenshots(cards: list[PreviewCard], out_dir: Path, executable: str) -> list[Path]:
    """Every card side in every ``SHOTS`` setting, the whole page tall, as ``png/NNNN-side-setting.png``."""
    try:
        import playwright.sync_api  # noqa: F401 - only to say early that it is missing
    except ImportError as exc:
        raise BrowserError(PLAYWRIGHT_MISSING) from exc
    png_dir = out_dir / "png"
    remove_earlier(png_dir, STALE_PNG_RE)
    png_dir.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(_shoot, cards, out_dir, png_dir, executable).result()


def _shoot(cards: list[PreviewCard], out_dir: Path, png_dir: Path, executable: str) -> list[Path]:
    from playwright.sync_api import Error, sync_playwright
    written = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_FLAGS,
                                                 timeout=TIMEOUT_MS)
            try:
                pages = {shot: _page(browser, shot) for shot in SHOTS}
                for card in cards:
                    for side in SIDES:
                        url = (out_dir / "cards" / f"{card.stem}-{side}.html").resolve().as_uri()
                        for shot, page in pages.items():
                            target = png_dir / f"{card.stem}-{side}-{shot.name}.png"
                            _screenshot(page, url, shot, target)
                            written.append(target)
            finally:
                browser.close()
    except Error as exc:
        raise BrowserError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from exc
    return written


def _page(browser, shot: Shot):
    context = browser.new_context(viewport={"width": shot.width, "height": shot.height},
                                  device_scale_factor=shot.scale, is_mobile="phone" in shot.flags)
    # Card pages are local files; nothing is fetched from the network.
    context.route("**/*", lambda route: route.abort() if route.request.url.startswith(("http:", "https:"))
                  else route.continue_())
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return page


def _screenshot(page, url: str, shot: Shot, target: Path) -> None:
    """The whole page (at least one screen tall) in ``shot``'s setting, as a PNG file."""
    page.goto(url, wait_until="load")
    height = page.evaluate(f"adApply({json.dumps(shot.flags)}), adHeight()")
    height = max(int(height or 0), shot.height)
    page.screenshot(path=str(target), full_page=True, animations="disabled",
                    clip={"x": 0, "y": 0, "width": shot.width, "height": height})
