"""From a lesson to the notes of its deck: fields (rendered HTML), tags, deck names."""
from __future__ import annotations

import html
import re
from dataclasses import dataclass

from . import identity
from .answer_parts import with_check_yourself
from .lesson import Lesson, Level, Question, QuickFire
from .note_spec import DeckOptions, NoteSpec  # here too: callers import them from this module
from .render import Renderer
from .sources.levels import topic_name, topic_tag

LEVEL_TAG = "level::{}"
QUICK_FIRE_TAG = "quick-fire"
QUICK_FIRE_DECK = "Quick-fire"
NO_LEVEL = "no-level"


def clean_deck_part(text: str) -> str:
    return " ".join(text.replace("::", ":").split())


def episode_name(lesson: Lesson) -> str:
    if not lesson.episode:
        return ""
    episode = f"Episode {lesson.episode}"
    return f"{episode} — {lesson.episode_title}" if lesson.episode_title else episode


def lesson_name(lesson: Lesson) -> str:
    return f"{lesson.lesson_id} — {lesson.title}" if lesson.title else lesson.lesson_id


def lesson_deck(lesson: Lesson, options: DeckOptions) -> str:
    parts = [options.root, episode_name(lesson), lesson_name(lesson)]
    return "::".join(clean_deck_part(part) for part in parts if part)


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
        parts.append(f"<p>{renderer.inline(lesson.summary.text, lesson.summary.line)}</p>")
    if lesson.how_to_use:
        items = "".join(f"<li>{renderer.inline(step.text, step.line)}</li>" for step in lesson.how_to_use)
        parts.append(f"<p><b>How to use this material</b></p><ol>{items}</ol>")
    return "".join(parts)


@dataclass
class _LessonContext:
    """What every note of one lesson shares."""

    lesson: Lesson
    renderer: Renderer
    options: DeckOptions
    deck: str
    names: list[str]  # the Lesson and Episode fields
    tags: list[str]

    def source(self, line: int) -> str:
        return html.escape(f"{self.lesson.path}:{line}")

    def subdeck(self, name: str, topic: str = "") -> str:
        deck = self.deck
        if topic and self.options.topic_subdecks:
            deck = f"{deck}::{clean_deck_part(topic_name(topic))}"
        return f"{deck}::{name}" if self.options.level_subdecks and name else deck


def lesson_notes(lesson: Lesson, renderer: Renderer, options: DeckOptions) -> list[NoteSpec]:
    """Questions in level order (beginner first, document order within), then quick-fire rows."""
    context = _LessonContext(lesson, renderer, options, lesson_deck(lesson, options),
                             [html.escape(lesson_name(lesson)), html.escape(episode_name(lesson))],
                             lesson_tags(lesson))
    questions = sorted(lesson.questions, key=lambda q: q.level.rank if q.level else len(Level))
    return [_question_note(context, q) for q in questions] + [_row_note(context, r) for r in lesson.quick_fire]


def _question_note(context: _LessonContext, question: Question) -> NoteSpec:
    render, line = context.renderer, question.location.line
    text = render.inline(question.text, line)
    if question.detail:
        text += render.block(question.detail.text, question.detail.line)
    why = render.inline(question.why.text, question.why.line) if question.why else ""
    level = question.level
    answer = render.block(question.answer.text, question.answer.line)
    if not render.validate_only:  # checking only looks for problems: nothing to point at
        answer = with_check_yourself(answer)
    fields = [text, answer, why,
              level.title if level else "",
              *context.names, context.source(line)]
    tags = [LEVEL_TAG.format(level.value) if level else "", topic_tag(question.topic) if question.topic else "",
            *context.tags, *map(clean_tag, question.tags)]
    label = f"{context.lesson.lesson_id} Q{question.number}" if question.number else \
        f"{context.lesson.lesson_id} line {line}"
    return NoteSpec("interview", question_key(context.lesson, question), bool(question.stamp), fields,
                    _unique(tags), context.subdeck(level.title if level else "", question.topic), label,
                    question.location, context.lesson.path, level.value if level else NO_LEVEL)


def _row_note(context: _LessonContext, row: QuickFire) -> NoteSpec:
    render, line = context.renderer, row.location.line
    fields = [render.inline(row.question, line), render.inline(row.answer, line), *context.names,
              context.source(line)]
    tags = [QUICK_FIRE_TAG, *context.tags, *map(clean_tag, row.tags)]
    return NoteSpec("quick-fire", row_key(context.lesson, row), bool(row.stamp), fields, _unique(tags),
                    context.subdeck(QUICK_FIRE_DECK), f"{context.lesson.lesson_id} quick-fire {row.number}",
                    row.location, context.lesson.path, QUICK_FIRE_TAG)


def question_key(lesson: Lesson, question: Question) -> str:
    """The stamped id, or the one derived from the heading text (a detail block is not identity)."""
    return question.stamp or identity.derived_id(lesson.identity_key, "question", question.text)


def row_key(lesson: Lesson, row: QuickFire) -> str:
    return row.stamp or identity.derived_id(lesson.identity_key, "quick-fire", row.question)


def _unique(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(t for t in tags if t))
