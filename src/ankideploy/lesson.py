"""The lesson model: what a reader produces and every later stage consumes.

Readers fill these classes from Markdown or plain text; nothing here knows
about HTML, Anki or files on disk beyond the source location of each part.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Level(enum.Enum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"

    @property
    def title(self) -> str:
        return self.value.capitalize()

    @property
    def rank(self) -> int:
        return list(Level).index(self)


@dataclass(frozen=True)
class Location:
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class IdSite:
    """Where ``stamp`` writes an item's id: ``below`` its heading line, at the ``end`` of its
    question line (a bold line, a ``Q:`` line, a bullet), inside its ``summary``, or in its table
    ``row``."""

    line: int
    how: str


@dataclass
class Skipped:
    """Text that looks like a question or an answer but became no card, and why."""

    line: int
    what: str
    why: str


@dataclass
class Block:
    """A run of Markdown source with the line its first line came from."""

    text: str
    line: int


@dataclass
class Question:
    number: str  # as written ("1", "3a"); "" when the heading has none
    text: str  # the question heading, inline Markdown
    level: Level | None  # None: the lesson states no level for it, and none is guessed
    answer: Block
    why: Block | None = None
    detail: Block | None = None  # Markdown between the heading and the labels (a snippet, say)
    location: Location = None  # type: ignore[assignment]
    stamp: str = ""  # the author's stable id comment, if any
    tags: list[str] = field(default_factory=list)
    level_from: str = ""  # "heading", "marker", "front matter", "default" or "" (no level)
    topic: str = ""  # the topic section it stands in, as written
    shape: str = "heading"  # heading, bold, q-a, list, details
    id_site: IdSite | None = None


@dataclass
class QuickFire:
    number: str
    question: str  # inline Markdown
    answer: str  # inline Markdown
    location: Location = None  # type: ignore[assignment]
    stamp: str = ""
    tags: list[str] = field(default_factory=list)
    shape: str = "table"  # table, bullet, q-a, heading, bold
    id_site: IdSite | None = None


@dataclass
class Lesson:
    path: str
    lesson_id: str  # "6.9"
    title: str  # "Final Production Deployment"
    episode: str  # "6"
    episode_title: str  # "Scaling Reliability Microservices Web3", may be ""
    summary: Block | None = None
    how_to_use: list[Block] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    quick_fire: list[QuickFire] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)  # lesson-wide author tags
    identity_key: str = ""  # what derived ids hash; the lesson id unless overridden
    skipped: list[Skipped] = field(default_factory=list)  # suspicious text that became no card

