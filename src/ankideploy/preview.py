"""``ankideploy preview``: every card of a build, rendered by Anki itself, in a static gallery.

The lessons are built into a temporary package (no state file is read or
written), the package is imported into a temporary Anki collection, and each
card is rendered with ``card.render_output()``: the same template engine the
apps use. Every card side becomes a small page of its own (``cards/``); the
gallery (``index.html``) shows them in iframes and needs no server. With
``--png`` a headless Chromium, driven over its DevTools pipe, saves a
screenshot of every side on a phone and a desktop, light and dark.

The ``anki`` package is only needed here (and in the tests); it is imported
lazily so the rest of the tool works without it.
"""
from __future__ import annotations

import base64
import html
import json
import os
import re
import select
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .diagnostics import Diagnostics

ANKI_MISSING = "preview needs the anki package, which is not installed: pip install anki"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
CHROMIUM_ENV = "ANKIDEPLOY_CHROMIUM"
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-sync",
                  "--hide-scrollbars", "--mute-audio", "--remote-debugging-pipe")
LEVELS = ("Beginner", "Intermediate", "Advanced", "Quick-fire")
SIDES = ("front", "back")


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
STALE_CARD_RE = re.compile(r"^\d{4,}-(?:front|back)\.html$|^style-\d+\.css$")
STALE_PNG_RE = re.compile(r"^\d{4,}-(?:front|back)-(?:phone|desktop)-(?:light|dark)\.png$")
TAG_RE = re.compile(r"<[^>]*>")
SPACE_RE = re.compile(r"\s+")
PLACEHOLDER_RE = re.compile(r"@([A-Z_]+)@")


class PreviewError(Exception):
    """A problem the user can fix (no anki package, nothing to show); one line."""


class BrowserError(Exception):
    """Chromium did not start or did not answer."""


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


# --- Rendering through Anki ---------------------------------------------------------------------

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


# --- Pages and gallery --------------------------------------------------------------------------

def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("preview_assets", name).read_text(encoding="utf-8")


def _clean(folder: Path, pattern: re.Pattern) -> None:
    """Remove what an earlier preview wrote here (only files named the way this module names them)."""
    if folder.is_dir():
        for path in folder.iterdir():
            if path.is_file() and pattern.match(path.name):
                path.unlink()


def write_pages(rendered: Rendered, out_dir: Path) -> None:
    """One page per card side, with the note type's CSS beside them; light and desktop unless the
    URL fragment (or the gallery) says ``phone`` and/or ``dark``."""
    cards_dir = out_dir / "cards"
    _clean(cards_dir, STALE_CARD_RE)
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


# --- Screenshots --------------------------------------------------------------------------------

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
    png_dir = out_dir / "png"
    _clean(png_dir, STALE_PNG_RE)
    png_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with Chromium(executable) as browser:
        page = browser.new_page()
        for card in cards:
            for side in SIDES:
                page.goto((out_dir / "cards" / f"{card.stem}-{side}.html").resolve().as_uri())
                for shot in SHOTS:
                    target = png_dir / f"{card.stem}-{side}-{shot.name}.png"
                    page.screenshot(target, shot)
                    written.append(target)
    return written


class Chromium:
    """A headless Chromium driven through the DevTools protocol over ``--remote-debugging-pipe``
    (it reads commands on fd 3 and answers on fd 4, each message ending in a NUL byte)."""

    def __init__(self, executable: str, timeout: float = 60.0):
        try:
            import fcntl
        except ImportError as exc:  # Windows: no descriptor passing by number
            raise BrowserError("screenshots need a POSIX system (Linux or macOS)") from exc
        self.timeout = timeout
        self.profile = Path(tempfile.mkdtemp(prefix="ankideploy-chromium-"))
        self._id = 0
        self._buffer = bytearray()
        self._events: list[dict] = []
        self.pid = 0
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        # Copies above the descriptors the child needs, so the dup2 to 3 and 4 cannot overwrite them.
        child_in = fcntl.fcntl(to_child_r, fcntl.F_DUPFD_CLOEXEC, 10)
        child_out = fcntl.fcntl(from_child_w, fcntl.F_DUPFD_CLOEXEC, 10)
        log = str(self.profile / "chromium.log")
        actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 1, log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                   (os.POSIX_SPAWN_DUP2, 1, 2),
                   (os.POSIX_SPAWN_DUP2, child_in, 3),
                   (os.POSIX_SPAWN_DUP2, child_out, 4)]
        argv = [executable, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "about:blank"]
        try:
            self.pid = os.posix_spawn(executable, argv, os.environ, file_actions=actions, setpgroup=0)
        except OSError as exc:
            shutil.rmtree(self.profile, ignore_errors=True)
            raise BrowserError(f"cannot start {executable}: {exc.strerror or exc}") from exc
        finally:
            for fd in (to_child_r, from_child_w, child_in, child_out):
                os.close(fd)
        self._out, self._in = to_child_w, from_child_r

    def __enter__(self) -> "Chromium":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._id += 1
        message = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._out, data):]
        except OSError as exc:
            raise BrowserError(f"Chromium stopped ({exc.strerror}){self._log_tail()}") from exc
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read(deadline, method)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message', reply['error'])}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def wait_event(self, method: str, session: str | None = None) -> dict:
        deadline = time.monotonic() + self.timeout
        while True:
            for event in self._events:
                if event.get("method") == method and event.get("sessionId") == session:
                    self._events.remove(event)
                    return event
            self._events.append(self._read(deadline, method))

    def drop_events(self, method: str, session: str | None = None) -> None:
        self._events = [e for e in self._events if not (e.get("method") == method and e.get("sessionId") == session)]

    def _read(self, deadline: float, waiting_for: str) -> dict:
        while True:
            end = self._buffer.find(b"\0")
            if end >= 0:
                raw = bytes(self._buffer[:end])
                del self._buffer[:end + 1]
                return json.loads(raw)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrowserError(f"no answer to {waiting_for} within {self.timeout:.0f} s")
            ready, _, _ = select.select([self._in], [], [], remaining)
            if ready:
                chunk = os.read(self._in, 1 << 20)
                if not chunk:
                    raise BrowserError(f"Chromium exited{self._log_tail()}")
                self._buffer += chunk

    def _log_tail(self) -> str:
        try:
            lines = (self.profile / "chromium.log").read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        lines = [line for line in lines if line.strip()]
        return f": {lines[-1][:300]}" if lines else ""

    def new_page(self) -> "Page":
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        page.call("Page.enable")
        return page

    def close(self) -> None:
        if self.pid:
            try:
                self.call("Browser.close")
            except (BrowserError, OSError):
                pass
            if not self._wait(5.0):
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self._wait(5.0)
            self.pid = 0
        for fd in (self._out, self._in):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)

    def _wait(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                return True
            if pid:
                return True
            time.sleep(0.05)
        return False


class Page:
    def __init__(self, browser: Chromium, session: str):
        self.browser, self.session = browser, session

    def call(self, method: str, params: dict | None = None) -> dict:
        return self.browser.call(method, params, self.session)

    def goto(self, url: str) -> None:
        self.browser.drop_events("Page.loadEventFired", self.session)
        result = self.call("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise BrowserError(f"cannot open {url}: {result['errorText']}")
        self.browser.wait_event("Page.loadEventFired", self.session)

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise BrowserError(f"script failed: {details.get('exception', {}).get('description') or details}")
        return result.get("result", {}).get("value")

    def screenshot(self, target: Path, shot: Shot) -> None:
        """The whole page (at least one screen tall) in ``shot``'s setting, as a PNG file."""
        self.call("Emulation.setDeviceMetricsOverride", {"width": shot.width, "height": shot.height,
                                                         "deviceScaleFactor": shot.scale,
                                                         "mobile": "phone" in shot.flags})
        height = self.evaluate(f"adApply({json.dumps(shot.flags)}), adHeight()")
        height = max(int(height or 0), shot.height)
        data = self.call("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": shot.width, "height": height, "scale": 1}})["data"]
        target.write_bytes(base64.b64decode(data))
