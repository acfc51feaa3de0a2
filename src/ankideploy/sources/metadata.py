"""Which lesson and episode a file is: front matter first, then the breadcrumb
line, then the file and folder names, then the H1 for the title."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from ..diagnostics import Diagnostics
from ..lesson import Level
from .labels import split_tags
from .levels import level_word
from .structure import DASHES, safe_tags

BREADCRUMB_RE = re.compile(
    rf"^\[?\s*Episode\s+(\d+)\s*(?:[{DASHES}:]+\s*([^\]/]*?))?\s*\]?(?:\([^)]*\))?\s*/\s*"
    rf"\[?\s*(\d+(?:\.\d+)+[a-z]?)\s*(?:[{DASHES}:]+\s*([^\]]*?))?\s*\]?(?:\([^)]*\))?\s*$", re.I)
LESSON_ID_RE = re.compile(r"(?<![\d.])(\d+\.\d+(?:\.\d+)?[a-z]?)(?![\d])")
EPISODE_DIR_RE = re.compile(r"^(?:episode|ep|module|chapter)?[\s_\-]*0*(\d+)(?:[\s_\-.]+(.*))?$", re.I)
H1_PREFIX_RE = re.compile(r"^\s*interview\s+questions?\s*[:\u2014\u2013-]\s*", re.I)
NO_LESSON_NUMBER = "no lesson number"
MAX_BREADCRUMB = 400  # characters; a real breadcrumb line is far shorter
EMPHASIS_RE = re.compile(r"(\*\*|__|`)(.{1,300}?)\1")  # "# 🐳 **Docker**": the title is the words
def is_breadcrumb(text: str) -> bool:
    """'Episode 6 — Title / 6.9 — Title': a short line (the pattern backtracks on a long one)."""
    stripped = text.strip()
    return len(stripped) <= MAX_BREADCRUMB and "/" in stripped and bool(BREADCRUMB_RE.match(stripped))


# Keys static-site generators put in front matter: they mean nothing here and are no mistake.
SITE_KEYS = frozenset("""layout date categories category permalink author authors description published draft weight
    slug excerpt comments toc sidebar image keywords summary lang hide nav_order parent has_children last_modified_at
    redirect_from sitemap""".split())
FRONT_KEYS = {"lesson", "title", "episode", "episode_title", "tags", "identity", "level"}


@dataclass
class Meta:
    lesson_id: str = ""
    title: str = ""
    episode: str = ""
    episode_title: str = ""
    tags: list[str] = field(default_factory=list)
    identity: str = ""
    level: Level | None = None


def parse_front_matter(lines: list[str], path: str, diags: Diagnostics) -> tuple[dict, int]:
    """The front-matter mapping and how many lines it took (0 when there is none)."""
    if not lines or lines[0].strip() != "---":
        return {}, 0
    for end in range(1, min(len(lines), 60)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        return {}, 0
    block = "\n".join(lines[1:end])
    if not re.search(r"^\w[\w\s-]*:", block, re.M):
        return {}, 0  # a rule, not front matter
    import yaml  # here: most lessons have no front matter, and the import costs every process time
    try:
        # Every value as written: "lesson: 6.10" must not become the number 6.1.
        data = yaml.load(block, Loader=yaml.BaseLoader) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        diags.error(path, 2 + (mark.line if mark else 0), f"front matter is not valid YAML: {exc.problem if hasattr(exc, 'problem') else exc}")
        return {}, end + 1
    if not isinstance(data, dict):
        diags.error(path, 2, "front matter must be 'key: value' lines")
        return {}, end + 1
    where = {}
    for key in data:
        line = next((i + 1 for i in range(1, end) if re.match(rf"\s*['\"]?{re.escape(str(key))}['\"]?\s*:",
                                                               lines[i])), 2)
        where[str(key)] = line
        if str(key) not in FRONT_KEYS and str(key) not in SITE_KEYS:
            diags.warning(path, line, f"unknown front-matter key '{key}' (known: {', '.join(sorted(FRONT_KEYS))})")
    return {**data, "__lines__": where}, end + 1


def front_line(front: dict, key: str) -> int:
    """The line a front-matter key stands on (recorded while parsing), else the first."""
    return front.get("__lines__", {}).get(key, 2) if isinstance(front.get("__lines__"), dict) else 2


def derive(source: str, front: dict, breadcrumb: str | None, h1: str | None,
           path: str, diags: Diagnostics) -> Meta:
    meta = Meta()
    _from_names(meta, source)
    if breadcrumb and (m := BREADCRUMB_RE.match(breadcrumb.strip())):
        meta.episode, meta.lesson_id = m.group(1), m.group(3)
        meta.episode_title = (m.group(2) or meta.episode_title).strip()
        meta.title = (m.group(4) or "").strip()
    if h1:
        meta.title = H1_PREFIX_RE.sub("", EMPHASIS_RE.sub(r"\2", h1)).strip() or meta.title
    for key in ("lesson", "title", "episode", "episode_title", "identity"):
        if front.get(key) not in (None, ""):
            setattr(meta, "lesson_id" if key == "lesson" else key, str(front[key]).strip())
    tags = front.get("tags") or []
    # A YAML list holds one tag per item (spaces become "_" later); a string is split like a tags comment.
    meta.tags = [str(t) for t in tags] if isinstance(tags, list) else split_tags(str(tags))
    meta.tags = safe_tags(meta.tags, front_line(front, "tags"), path, diags)
    if front.get("level") not in (None, ""):
        meta.level = level_word(str(front["level"]).strip())
        if meta.level is None:
            diags.warning(path, front_line(front, "level"), f"front matter 'level: {front['level']}' is not a level"
                          " (beginner, intermediate, advanced, or a word for one such as junior or senior); ignored")
    if not meta.lesson_id:
        meta.lesson_id = PurePosixPath(source).stem
        diags.warning(path, 1, f"{NO_LESSON_NUMBER} (like 6.9) in the file name, breadcrumb or front matter;"
                      f" using '{meta.lesson_id}' (add 'lesson: 6.9' front matter)")
    if not meta.episode and re.match(r"\d+\.", meta.lesson_id):
        meta.episode = meta.lesson_id.split(".")[0]
    if not meta.title:
        meta.title = _title_from_slug(LESSON_ID_RE.sub("", PurePosixPath(source).stem))
    return meta


def _from_names(meta: Meta, source: str) -> None:
    """Lesson id from the nearest name that has one; episode from a numbered folder."""
    parts = PurePosixPath(source).parts
    names = [PurePosixPath(parts[-1]).stem, *reversed(parts[:-1])]
    for name in names:
        if m := LESSON_ID_RE.search(name):
            meta.lesson_id = m.group(1)
            break
    for folder in reversed(parts[:-1]):
        if LESSON_ID_RE.search(folder):
            continue
        if m := EPISODE_DIR_RE.match(folder):
            meta.episode = m.group(1)
            meta.episode_title = _title_from_slug(m.group(2) or "")
            break


def _title_from_slug(slug: str) -> str:
    words = [w for w in re.split(r"[\s_\-]+", slug) if w]
    return " ".join(w if w[:1].isupper() else w.capitalize() for w in words)
