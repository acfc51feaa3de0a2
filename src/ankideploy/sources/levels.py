"""Levels as authors write them: level headings by synonym, difficulty markers on
one question, and topic sections.

A level is never guessed: a heading is a level heading only when its words are a
level word and filler ("Fresher Level (0-1 years)", "Expert Level Topics"), and a
question carries a level only through a heading, a marker, front matter or the
command line. Every pattern here is anchored and bounded, so a hostile heading
costs time linear in its length.
"""
from __future__ import annotations

import difflib
import functools
import re

from ..lesson import Level

SYNONYMS = {
    Level.BEGINNER: ("beginner", "beginners", "fresher", "freshers", "junior", "juniors", "entry", "basic",
                     "basics", "easy", "novice", "elementary", "introductory"),
    Level.INTERMEDIATE: ("intermediate", "mid", "med", "medium", "experienced", "moderate"),
    Level.ADVANCED: ("advanced", "senior", "seniors", "expert", "experts", "hard", "lead", "principal"),
}
LEVEL_OF_WORD = {word: level for level, words in SYNONYMS.items() for word in words}
# Words that surround a level word in a heading without making it a topic.
FILLER = frozenset("""level levels question questions interview interviews q qa section part years year yrs yr
    experience exp for the and to of candidates candidate engineers engineer developers developer round
    topics topic concepts tier difficulty plus with in on a an s""".split())
EMOJI_LEVELS = {"\U0001F7E2": Level.BEGINNER, "\U0001F7E1": Level.INTERMEDIATE, "\U0001F7E0": Level.INTERMEDIATE,
                "\U0001F534": Level.ADVANCED}
WORD_RE = re.compile(r"[^\W\d_]+")
# "⭐⭐ What is X?" or "What is X? ⭐⭐⭐": one star beginner, two intermediate, three or more advanced
STARS_RE = re.compile(r"^\s{0,3}((?:\u2b50\ufe0f?){1,5})\s{0,3}|\s{0,3}((?:\u2b50\ufe0f?){1,5})\s{0,3}$")
_WORDS = "|".join(sorted(LEVEL_OF_WORD, key=len, reverse=True))
# "(Medium)", "[Easy]", "(Difficulty: Hard)", "[Senior level]"
BRACKET_MARKER_RE = re.compile(rf"[\[(]\s{{0,3}}(?:(?:difficulty|level)\s{{0,3}}:\s{{0,3}})?({_WORDS})"
                               rf"(?:[\s\-]{{1,3}}level)?\s{{0,3}}[\])]", re.I)
# "— Senior" at the end of a question (matched on its last characters only)
DASH_MARKER_RE = re.compile(rf"\s[|\u2014\u2013\-]{{1,2}}\s{{0,3}}({_WORDS})(?:[\s\-]{{1,3}}level)?\s{{0,3}}$", re.I)
DIFFICULTY_LABEL_RE = re.compile(rf"(?:difficulty|level)\s{{0,3}}:\s{{0,3}}({_WORDS})\b", re.I)
TAIL = 40
# A line of its own under a question: "**Difficulty:** 🟡 Medium", "Level: Senior"
DIFFICULTY_LINE_RE = re.compile(r"^[*_]{0,2}(?:difficulty|level)[*_]{0,2}\s{0,3}:[*_]{0,2}\s{0,3}", re.I)
SECTION_PREFIX_RE = re.compile(r"^(?:(?:section|part|chapter|module|topic|question)\s{0,3}(?:\d+(?:\.\d+)*)?[a-z]?\s{0,3}[:.\u2014\u2013\-]*|"
                               r"\d+(?:\.\d+)*[.):]?)\s{0,3}", re.I)
MAX_LEVEL_HEADING_WORDS = 12


def level_word(word: str) -> Level | None:
    return LEVEL_OF_WORD.get(word.lower())


def heading_level(title: str) -> Level | None:
    """The level a section heading names, or None when it names a topic (or nothing).

    Tolerates filler words and at most one other word beside the level word, which must come
    first or last ("Basic Java Questions", "Senior Engineer Questions", "Fresher Level (0-1 years)")."""
    words = [w.lower() for w in WORD_RE.findall(_strip_emoji(title)[:300])]
    if len(words) > MAX_LEVEL_HEADING_WORDS:
        return None
    words = [w for w in words if w not in FILLER]
    levels = {LEVEL_OF_WORD[w] for w in words if w in LEVEL_OF_WORD}
    if len(levels) != 1 and not (not words and _emoji_level(title)):
        return None
    if not words:
        return _emoji_level(title)
    others = [w for w in words if w not in LEVEL_OF_WORD]
    if len(others) > 1 or (others and words[0] in others and words[-1] in others):
        return None
    return levels.pop()


def nearest_level(title: str) -> str | None:
    """A level the heading is probably a misspelling of ('Intermedate'), only when it is close."""
    for word in WORD_RE.findall(title.lower()[:300]):
        if len(word) < 5 or word in LEVEL_OF_WORD:
            continue
        match = difflib.get_close_matches(word, [level.value for level in Level], n=1, cutoff=0.8)
        if match:
            return match[0].capitalize()
    return None


def _emoji_level(text: str) -> Level | None:
    found = {level for emoji, level in EMOJI_LEVELS.items() if emoji in text}
    return found.pop() if len(found) == 1 else None


def _strip_emoji(text: str) -> str:
    for emoji in EMOJI_LEVELS:
        text = text.replace(emoji, " ")
    return text


def take_marker(text: str) -> tuple[str, Level | None]:
    """See ``_take_marker``: one heading is looked at several times while a file is read, so short
    texts (all real headings) are remembered; long ones are not, to bound the memory."""
    return _remembered_marker(text) if len(text) <= MAX_REMEMBERED else _take_marker(text)


MAX_REMEMBERED = 400


@functools.lru_cache(maxsize=4096)
def _remembered_marker(text: str) -> tuple[str, Level | None]:
    return _take_marker(text)


def _take_marker(text: str) -> tuple[str, Level | None]:
    """A question's text without its difficulty marker, and the level the marker names.

    Markers: a coloured circle (🟢 🟡 🔴), a bracketed level word ('[Easy]', '(Hard)',
    '(Difficulty: Medium)'), 'Difficulty: Hard' or a trailing '— Senior'."""
    level = _emoji_level(text)
    if level:
        text = _strip_emoji(text)
    elif "\u2b50" in text and (m := STARS_RE.search(text)):
        stars = (m.group(1) or m.group(2)).count("\u2b50")
        level = (Level.BEGINNER, Level.INTERMEDIATE, Level.ADVANCED)[min(stars, 3) - 1]
        text = text[:m.start()] + " " + text[m.end():]
    if ("[" in text or "(" in text) and (m := BRACKET_MARKER_RE.search(text)):
        level = level or LEVEL_OF_WORD[m.group(1).lower()]
        text = text[:m.start()] + text[m.end():]
    elif ":" in text and (m := DIFFICULTY_LABEL_RE.search(text)):
        level = level or LEVEL_OF_WORD[m.group(1).lower()]
        text = text[:m.start()] + text[m.end():]
    else:
        start = max(0, len(text) - TAIL)
        if m := DASH_MARKER_RE.search(" " + text[start:]):
            level = level or LEVEL_OF_WORD[m.group(1).lower()]
            text = text[:start + max(0, m.start() - 1)]
    return _tidy(text), level


def _tidy(text: str) -> str:
    """Separators a removed marker leaves behind: 'What is X? —' -> 'What is X?'."""
    text = " ".join(text.split())
    return text.strip(" |\u2014\u2013-:,").strip() if text else text


def difficulty_line(text: str) -> Level | None:
    """The level on a 'Difficulty: Medium' line under a question; None for any other line."""
    stripped = text.strip()
    m = DIFFICULTY_LINE_RE.match(stripped[:80])
    if not m:
        return None
    rest = stripped[m.end():m.end() + 60]
    words = WORD_RE.findall(_strip_emoji(rest).lower())
    if words and words[0] in LEVEL_OF_WORD and len(words) <= 3:
        return LEVEL_OF_WORD[words[0]]
    return _emoji_level(rest) if not words else None


GENERIC = frozenset("""practice common top frequently asked faq faqs list all sample most important technical
    core general more other additional extra bonus""".split())


def topic_name(title: str) -> str:
    """'Section 2: Algorithms' -> 'Algorithms'; 'Kafka consumers' stays; a title of filler words
    only ('Interview Questions', 'FAQ') names no topic: ''."""
    text = " ".join(_strip_emoji(title[:300]).split())
    stripped = SECTION_PREFIX_RE.sub("", text, count=1).strip(" :.\u2014\u2013-")
    words = [w.lower() for w in WORD_RE.findall(stripped)]
    if all(w in FILLER or w in GENERIC for w in words):
        return ""
    return stripped or text


def topic_tag(title: str) -> str:
    """The tag of a topic section: 'topic::kafka_consumers'."""
    words = re.findall(r"[^\W_]+", topic_name(title).lower())
    return "topic::" + "_".join(words) if words else ""
