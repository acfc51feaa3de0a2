"""Images a card points at: checked, named by their content, and listed for the package.

An image is accepted by what it is, not by what it is called: its first bytes
must be those of a PNG, JPEG, GIF, WebP or AVIF file. Anything else (an HTML
page, an SVG that could hold a script, a file renamed to ``.png``) is refused
at its line. Files are hashed in chunks, never read whole, so a large one costs
no memory. Only paths inside the course folder are followed.

It avoids any decoding of the image itself: that is Anki's job, on the
learner's machine.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .diagnostics import Diagnostics

MAX_MEDIA_BYTES = 5 * 1024 * 1024  # above this, a warning: large media slow down syncing to phones
CHUNK = 1024 * 1024
# Image type -> (the name ending it gets, the endings it may keep).
IMAGE_TYPES = {
    "png": (".png", {".png"}),
    "jpeg": (".jpg", {".jpg", ".jpeg", ".jpe", ".jfif"}),
    "gif": (".gif", {".gif"}),
    "webp": (".webp", {".webp"}),
    "avif": (".avif", {".avif"}),
}


@dataclass
class Media:
    """Files a lesson's cards point at, by the name they get in the package."""

    files: dict[str, Path] = field(default_factory=dict)
    # Every image path looked at, with what was there: a cached result is only valid while these hold.
    checked: dict[str, tuple] = field(default_factory=dict)


def file_stat(path: Path) -> tuple:
    try:
        st = path.stat()
    except (OSError, ValueError):
        return (False, 0, 0)
    return (True, st.st_size, st.st_mtime_ns)


def image_type(head: bytes) -> str | None:
    """The image type that the first bytes of a file announce, if it is one we bundle."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and _avif_brand(head):
        return "avif"
    return None


def _avif_brand(head: bytes) -> bool:
    """An ISO-BMFF 'ftyp' box whose major or compatible brands name AVIF."""
    size = int.from_bytes(head[:4], "big")
    box = head[8:min(max(size, 16), len(head))]
    brands = [box[i:i + 4] for i in range(0, len(box) - 3, 4)]
    return any(brand in (b"avif", b"avis") for brand in brands)


@dataclass
class Bundler:
    """Bundles the images of one lesson file, reporting against that file."""

    path: str  # the lesson file, as diagnostics name it
    lesson_dir: Path
    root: Path
    diags: Diagnostics
    media: Media

    def bundle(self, src: str, line: int) -> str | None:
        """The name the image gets in the package, or None (reported) when it cannot be bundled."""
        try:
            return self._bundle(src, line)
        except (OSError, ValueError) as exc:  # a NUL byte, a name too long for the file system, ...
            self.diags.error(self.path, line, f"image {src} cannot be read: {getattr(exc, 'strerror', None) or exc}")
            return None

    def _bundle(self, src: str, line: int) -> str | None:
        relative = unquote(urlsplit(src).path)
        candidate = Path(relative)
        if candidate.is_absolute() or urlsplit(src).scheme:
            self.diags.error(self.path, line, f"image path {src} must be relative to the lesson")
            return None
        target = (self.lesson_dir / candidate).resolve()
        self.media.checked[str(target)] = file_stat(target)
        if not target.is_relative_to(self.root):
            self.diags.error(self.path, line, f"image {src} is outside the content folder; refused")
            return None
        if not target.is_file():
            self.diags.error(self.path, line, f"image {src} not found")
            return None
        kind, digest, size = _read(target)
        if kind is None:
            self.diags.error(self.path, line, f"{src} is not an image (PNG, JPEG, GIF, WebP or AVIF by its"
                             " content); not bundled")
            return None
        if size > MAX_MEDIA_BYTES:
            self.diags.warning(self.path, line, f"image {src} is {size / 1e6:.1f} MB;"
                               " large media slow down syncing to phones")
        ending, kept = IMAGE_TYPES[kind]
        name = digest[:20] + (target.suffix.lower() if target.suffix.lower() in kept else ending)
        self.media.files[name] = target
        return name


def _read(target: Path) -> tuple[str | None, str, int]:
    """(image type, SHA-256 of the content, size), reading the file in chunks."""
    digest, size = hashlib.sha256(), 0
    with open(target, "rb") as handle:
        head = handle.read(64)
        kind = image_type(head)
        if kind is None:
            return None, "", 0
        digest.update(head)
        size = len(head)
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return kind, digest.hexdigest(), size
