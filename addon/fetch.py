"""Fetching a course update: ``course.json``, then each package, checked before Anki sees it.

HTTPS only (plain HTTP just for this computer: localhost, 127.0.0.1, ::1), redirects
included; every read has a time-out and a size limit; a package must have exactly the
size and sha256 that ``course.json`` announces, and must be a sane zip (a bounded number
of plain entries, bounded unpacked size, intact CRCs, a collection and one manifest).
Nothing here touches the collection or imports aqt or anki: it runs in a background
thread and reports problems as ``UpdateError`` with one line for the learner.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass, field

from .course import MANIFEST_NAME_RE, Manifest, UpdateError, parse_manifest

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
TIMEOUT_SECONDS = 30  # for any one network wait
COURSE_JSON_SECONDS = 60  # for all of course.json
PACKAGE_SECONDS = 15 * 60  # for all of one package
MAX_RATIO = 200  # an entry that unpacks to more than this many times its packed size (and > 16 MB) is a bomb
MAX_COURSE_JSON = 1024 * 1024
MAX_PACKAGE_BYTES = 1024 * 1024 * 1024
MAX_UNPACKED_BYTES = 4 * 1024 * 1024 * 1024
MAX_ENTRIES = 20_000
MAX_MEDIA_MAP = 16 * 1024 * 1024
MAX_PACKAGES = 500
_BLOCK = 1 << 16


@dataclass
class PackageInfo:
    url: str
    file: str
    size: int
    sha256: str


@dataclass
class CourseInfo:
    name: str
    version: str
    time: int
    packages: list[PackageInfo] = field(default_factory=list)


@dataclass
class Download:
    info: CourseInfo
    packages: list[tuple[str, Manifest]]  # (local path, its manifest), in course.json's order


def check_url(url: str) -> str:
    """The URL if it may be fetched: https anywhere, http only on this computer."""
    parts = urllib.parse.urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host:
        return url.strip()
    if parts.scheme == "http" and host in LOCAL_HOSTS:
        return url.strip()
    if parts.scheme == "http":
        raise UpdateError(f"{url} is not HTTPS (plain HTTP is allowed only for localhost)")
    raise UpdateError(f"{url!r} is not an https:// address")


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: N802 - urllib's name
        check_url(newurl)  # a redirect to plain HTTP elsewhere is refused like the URL itself
        return super().redirect_request(req, fp, code, msg, headers, newurl)


# The learner's proxy settings apply, except on this computer.
_OPENER = urllib.request.build_opener(_CheckedRedirects)
_LOCAL_OPENER = urllib.request.build_opener(_CheckedRedirects, urllib.request.ProxyHandler({}))


def _open(url: str):
    request = urllib.request.Request(check_url(url), headers={"User-Agent": "ankideploy-course-updates/1"})
    local = (urllib.parse.urlsplit(url).hostname or "").lower() in LOCAL_HOSTS
    try:
        return (_LOCAL_OPENER if local else _OPENER).open(request, timeout=TIMEOUT_SECONDS)
    except urllib.error.HTTPError as exc:
        raise UpdateError(f"{_short(url)} answered HTTP {exc.code} ({exc.reason})") from None
    except (urllib.error.URLError, socket.timeout, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UpdateError(f"could not reach {urllib.parse.urlsplit(url).netloc} ({reason})") from None


def _short(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.netloc}{parts.path}"


def read_limited(url: str, limit: int, seconds: float = COURSE_JSON_SECONDS) -> bytes:
    chunks: list[bytes] = []
    with _open(url) as response:
        for chunk in _chunks(response, url, limit, seconds):
            chunks.append(chunk)
    return b"".join(chunks)


def _chunks(response, url: str, limit: int, seconds: float):
    """The body in blocks, never more than ``limit`` bytes nor longer than ``seconds`` in all."""
    deadline, total = time.monotonic() + seconds, 0
    while True:
        try:
            chunk = response.read(_BLOCK)
        except (OSError, socket.timeout) as exc:
            raise UpdateError(f"the download of {_short(url)} broke off ({exc})") from None
        if not chunk:
            return
        total += len(chunk)
        if total > limit:
            raise UpdateError(f"{_short(url)} is larger than announced ({limit} bytes)")
        if time.monotonic() > deadline:
            raise UpdateError(f"the download of {_short(url)} took more than {int(seconds)} seconds")
        yield chunk


def parse_course(raw: bytes, url: str) -> CourseInfo:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise UpdateError(f"{_short(url)} is not a course file (not JSON)") from None
    if not isinstance(data, dict):
        raise UpdateError(f"{_short(url)} is not a course file")
    name, version, when = data.get("name"), data.get("version"), data.get("time", 0)
    packages = data.get("packages")
    if not isinstance(name, str) or not name.strip() or not isinstance(version, str) or not version.strip():
        raise UpdateError(f"{_short(url)} has no course name or version")
    if isinstance(when, bool) or not isinstance(when, int):
        when = 0
    if not isinstance(packages, list) or not 0 < len(packages) <= MAX_PACKAGES:
        raise UpdateError(f"{_short(url)} lists no packages")
    info = CourseInfo(name.strip()[:200], version.strip()[:100], when)
    for item in packages:
        file = item.get("file") if isinstance(item, dict) else None
        size = item.get("size") if isinstance(item, dict) else None
        digest = item.get("sha256") if isinstance(item, dict) else None
        if (not isinstance(file, str) or not file or isinstance(size, bool) or not isinstance(size, int)
                or not 0 < size <= MAX_PACKAGE_BYTES or not isinstance(digest, str) or len(digest) != 64
                or any(c not in "0123456789abcdef" for c in digest.lower())):
            raise UpdateError(f"{_short(url)} describes a package badly")
        package_url = urllib.parse.urljoin(url, urllib.parse.quote(file, safe="/"))
        check_url(package_url)
        info.packages.append(PackageInfo(package_url, file, size, digest.lower()))
    return info


def fetch_course(url: str) -> CourseInfo:
    return parse_course(read_limited(url, MAX_COURSE_JSON), url)


def download_package(package: PackageInfo, folder: str) -> str:
    """Download to ``folder``; the file is kept only with the announced size and sha256."""
    name = f"package-{package.sha256[:16]}.apkg"
    target = os.path.join(folder, name)
    digest, total = hashlib.sha256(), 0
    try:
        with _open(package.url) as response, open(target, "wb") as out:
            for chunk in _chunks(response, package.url, package.size, PACKAGE_SECONDS):
                total += len(chunk)
                digest.update(chunk)
                out.write(chunk)
        if total != package.size:
            raise UpdateError(f"{package.file} is incomplete: {total} of {package.size} bytes arrived")
        if digest.hexdigest() != package.sha256:
            raise UpdateError(f"{package.file} does not match its sha256 in course.json")
    except BaseException:
        try:
            os.remove(target)
        except OSError:
            pass
        raise
    return target


def check_package(path: str, default_course: str = "") -> Manifest:
    """A zip Anki can safely read, holding a collection and exactly one course manifest; the manifest."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if not infos or len(infos) > MAX_ENTRIES:
                raise UpdateError("the package has no entries or far too many")
            if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
                raise UpdateError("the package unpacks to more than 4 GB")
            for info in infos:
                if info.file_size > 16 * 1024 * 1024 and info.file_size > MAX_RATIO * max(1, info.compress_size):
                    raise UpdateError(f"the package holds an entry that unpacks suspiciously large ({info.filename[:60]!r})")
                if "/" in info.filename or "\\" in info.filename or info.filename in (".", "..") \
                        or info.flag_bits & 0x1:
                    raise UpdateError(f"the package holds an unexpected entry {info.filename[:60]!r}")
            names = {i.filename for i in infos}
            if not names & {"collection.anki2", "collection.anki21", "collection.anki21b"}:
                raise UpdateError("the package holds no Anki collection")
            if "media" not in names or archive.getinfo("media").file_size > MAX_MEDIA_MAP:
                raise UpdateError("the package has no usable media list")
            broken = archive.testzip()
            if broken is not None:
                raise UpdateError(f"the package is damaged ({broken} fails its checksum)")
            media = _media_map(archive.read("media"))
            manifests = [(key, name) for key, name in media.items() if MANIFEST_NAME_RE.match(name)]
            if len(manifests) != 1:
                raise UpdateError("the package is not an ankideploy course package (no single manifest)")
            key = manifests[0][0]
            if key not in names:
                raise UpdateError("the package's manifest is missing")
            if archive.getinfo(key).file_size > 16 * 1024 * 1024:
                raise UpdateError("the package's manifest is too large")
            return parse_manifest(archive.read(key), default_course or media[key])
    except zipfile.BadZipFile:
        raise UpdateError("the package is not a valid zip file (damaged or incomplete)") from None
    except (OSError, EOFError, RuntimeError, NotImplementedError, ValueError) as exc:
        if isinstance(exc, UpdateError):
            raise
        raise UpdateError(f"the package cannot be read ({exc})") from None


def _media_map(raw: bytes) -> dict[str, str]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise UpdateError("the package's media list is not JSON (a newer Anki format?)") from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise UpdateError("the package's media list is malformed")
    return data


def download_update(url: str, folder: str, applied_time: int, applied_version: str = "") -> Download | None:
    """None when the course is not newer than the version applied; else every package, checked."""
    info = fetch_course(url)
    if (info.time and info.time <= applied_time) or (not info.time and info.version == applied_version):
        return None
    packages: list[tuple[str, Manifest]] = []
    paths: list[str] = []
    try:
        for package in info.packages:
            paths.append(download_package(package, folder))
            packages.append((paths[-1], check_package(paths[-1], default_course=info.name)))
        if any(m.course != packages[0][1].course for _, m in packages):
            raise UpdateError("the course's packages name different courses")
    except BaseException:
        remove(paths)
        raise
    return Download(info, packages)


def remove(paths: list[str]) -> None:
    for path in paths:
        try:
            os.remove(path)
        except OSError:
            pass
