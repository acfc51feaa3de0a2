"""From a lesson to the notes of its deck: fields (rendered HTML), tags, deck names."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from . import identity
from .lesson import Lesson, Location, Question, QuickFire
from .render import Renderer

LEVEL_TAG = "level::{}"
QUICK_FIRE_TAG = "quick-fire"
QUICK_FIRE_DECK = "Quick-fire"


@dataclass
class NoteSpec:
    kind: str  # "interview" or "quick-fire"
    note_key: str  # the id (stamped or derived) before the GUID prefix
    stamped: bool
    fields: list[str]
    tags: list[str]
    deck: str
    label: str  # "6.9 Q3" for reports
    location: Location  # where diagnostics point
    source_file: str  # the Source field without its line: line moves alone are not edits

    @property
    def guid(self) -> str:
        return identity.guid_for(self.note_key)


@dataclass
class DeckPlan:
    names: list[str] = field(default_factory=list)
    descriptions: dict[str, str] = field(default_factory=dict)


@dataclass
class DeckOptions:
    level_subdecks: bool = False
    root: str = ""


def clean_deck_part(text: str) -> str:
    return " ".join(text.replace("::", ":").split())


def lesson_deck(lesson: Lesson, options: DeckOptions) -> str:
    parts = [clean_deck_part(options.root)] if options.root else []
    if lesson.episode:
        episode = f"Episode {lesson.episode}"
        parts.append(clean_deck_part(f"{episode} — {lesson.episode_title}" if lesson.episode_title else episode))
    parts.append(clean_deck_part(f"{lesson.lesson_id} — {lesson.title}" if lesson.title else lesson.lesson_id))
    return "::".join(parts)


def clean_tag(tag: str) -> str:
    return re.sub(r"[\s\"]+", "_", tag.strip()).strip("_")


def lesson_tags(lesson: Lesson) -> list[str]:
    tags = [f"lesson::{lesson.lesson_id}"]
    if lesson.episode:
        tags.append(f"episode::{lesson.episode}")
    return tags + [clean_tag(t) for t in lesson.tags if clean_tag(t)]


def description(lesson: Lesson, renderer: Renderer) -> str:
    parts = []
    if lesson.summary:
        parts.append(f"<p>{renderer.inline(lesson.summary, 1)}</p>")
    if lesson.how_to_use:
        items = "".join(f"<li>{renderer.inline(step, 1)}</li>" for step in lesson.how_to_use)
        parts.append(f"<p><b>How to use this material</b></p><ol>{items}</ol>")
    return "".join(parts)


def lesson_notes(lesson: Lesson, renderer: Renderer, options: DeckOptions) -> list[NoteSpec]:
    """Questions in level order (beginner first, document order within), then quick-fire rows."""
    deck = lesson_deck(lesson, options)
    episode = (f"Episode {lesson.episode}" + (f" — {lesson.episode_title}" if lesson.episode_title else "")
               if lesson.episode else "")
    lesson_name = f"{lesson.lesson_id} — {lesson.title}" if lesson.title else lesson.lesson_id
    common = lesson_tags(lesson)
    notes = []
    for question in sorted(lesson.questions, key=lambda q: q.level.rank):
        source = f"{lesson.path}:{question.location.line}"
        fields = [renderer.inline(question.text, question.location.line),
                  renderer.block(question.answer.text, question.answer.line),
                  renderer.inline(question.why, question.location.line) if question.why else "",
                  question.level.title, html.escape(lesson_name), html.escape(episode), html.escape(source)]
        key = question_key(lesson, question)
        tags = [LEVEL_TAG.format(question.level.value), *common, *(clean_tag(t) for t in question.tags)]
        notes.append(NoteSpec("interview", key, bool(question.stamp), fields, _unique(tags),
                              f"{deck}::{question.level.title}" if options.level_subdecks else deck,
                              f"{lesson.lesson_id} Q{question.number}" if question.number else lesson.lesson_id,
                              question.location, lesson.path))
    for row in lesson.quick_fire:
        source = f"{lesson.path}:{row.location.line}"
        fields = [renderer.inline(row.question, row.location.line), renderer.inline(row.answer, row.location.line),
                  html.escape(lesson_name), html.escape(episode), html.escape(source)]
        key = row_key(lesson, row)
        tags = [QUICK_FIRE_TAG, *common, *(clean_tag(t) for t in row.tags)]
        notes.append(NoteSpec("quick-fire", key, bool(row.stamp), fields, _unique(tags),
                              f"{deck}::{QUICK_FIRE_DECK}" if options.level_subdecks else deck,
                              f"{lesson.lesson_id} quick-fire {row.number}", row.location, lesson.path))
    return notes


def question_key(lesson: Lesson, question: Question) -> str:
    """The stamped id, or the one derived from the heading text (a detail block is not identity)."""
    heading = question.text.split("\n\n", 1)[0]
    return question.stamp or identity.derived_id(lesson.identity_key, "question", heading)


def row_key(lesson: Lesson, row: QuickFire) -> str:
    return row.stamp or identity.derived_id(lesson.identity_key, "quick-fire", row.question)


def _unique(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(t for t in tags if t))
