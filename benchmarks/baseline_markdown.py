#!/usr/bin/env python3
"""Baseline: the straightforward single-process script, genanki + python-markdown.

    python benchmarks/baseline_markdown.py LESSONS_DIR -o OUT.apkg

Finds the lesson files under LESSONS_DIR, splits each into its questions and
quick-fire rows with a few regular expressions, runs python-markdown on every
field (python-markdown's own fenced_code and codehilite with Pygments, tables,
sane_lists: the same HTML the real build makes; one Markdown instance, reset
between fields), and
writes the notes with genanki: one deck per lesson, the same two note types,
fields and tags as ``ankideploy build``. No sanitising, no diagnostics, no
worker processes.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import genanki
import markdown

from bench_common import deck_id, models, write_decks

BREADCRUMB_RE = re.compile(r"^Episode\s+(\d+)\s+—\s+(.*?)\s+/\s+(\d+\.\d+)\s+—\s+(.*)$")
QUESTION_RE = re.compile(r"^###\s+Q(\d+)\.\s+(.*)$")
ID_RE = re.compile(r"<!--\s*id:\s*([0-9a-f]+)\s*-->")
WHY = "**Why interviewers ask:**"
ANSWER = "**Model answer:**"
LEVELS = ("Beginner", "Intermediate", "Advanced")


class Converter:
    def __init__(self):
        self.md = markdown.Markdown(
            extensions=["fenced_code", "codehilite", "tables", "sane_lists"],
            extension_configs={"codehilite": {"css_class": "hl", "guess_lang": False, "wrapcode": True}},
            output_format="html")

    def block(self, text: str) -> str:
        return self.md.reset().convert(text)

    def inline(self, text: str) -> str:
        html = self.block(text)
        if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
            return html[3:-4]
        return html


def sections(lines: list[str]) -> list[tuple[str, list[str]]]:
    """``## `` sections (outside code fences) with their lines; the lines before the first are ''."""
    found: list[tuple[str, list[str]]] = [("", [])]
    fenced = False
    for line in lines:
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            found.append((line[3:].strip(), []))
        else:
            found[-1][1].append(line)
    return found


def questions(lines: list[str]) -> list[dict]:
    found, fenced = [], False
    for line in lines:
        if line.startswith("```"):
            fenced = not fenced
        m = None if fenced else QUESTION_RE.match(line)
        if m:
            found.append({"number": m.group(1), "text": m.group(2), "lines": []})
        elif found:
            found[-1]["lines"].append(line)
    for q in found:
        body = "\n".join(q.pop("lines"))
        q["id"] = ID_RE.search(body).group(1)
        why, _, answer = body.partition(ANSWER)
        q["why"] = why.split(WHY, 1)[1].strip() if WHY in why else ""
        q["answer"] = re.sub(r"\n-{3,}\s*$", "", answer.strip()).strip()
    return found


def quick_fire(lines: list[str]) -> list[dict]:
    rows = []
    for line in lines:
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "#":
            continue
        stamp = ID_RE.search(cells[2])
        rows.append({"number": cells[0], "question": cells[1], "answer": ID_RE.sub("", cells[2]).strip(),
                     "id": stamp.group(1) if stamp else ""})
    return rows


def lesson_notes(path: Path, source: str, md: Converter, types: dict, decks: dict) -> list[genanki.Note]:
    lines = path.read_text(encoding="utf-8").split("\n")
    crumb = next(BREADCRUMB_RE.match(line) for line in lines if BREADCRUMB_RE.match(line))
    episode, episode_title, lesson_id, title = crumb.groups()
    episode_name = f"Episode {episode} — {episode_title}"
    lesson_name = f"{lesson_id} — {title}"
    deck_text = f"{episode_name}::{lesson_name}"
    parts = sections(lines)
    summary = " ".join(line[1:].strip() for line in parts[0][1] if line.startswith(">"))
    how_to = [re.sub(r"^\d+\.\s+", "", line).strip() for title_, body in parts if title_.startswith("How to use")
              for line in body if re.match(r"^\d+\.\s", line)]
    description = f"<p>{md.inline(summary)}</p>" if summary else ""
    if how_to:
        items = "".join(f"<li>{md.inline(step)}</li>" for step in how_to)
        description += f"<p><b>How to use this material</b></p><ol>{items}</ol>"
    deck = decks.setdefault(deck_text, genanki.Deck(deck_id(deck_text), deck_text, description))
    common = [f"lesson::{lesson_id}", f"episode::{episode}"]
    notes = []
    for heading, body in parts:
        level = next((lv for lv in LEVELS if heading.startswith(lv)), None)
        if level:
            for q in questions(body):
                fields = [md.inline(q["text"]), md.block(q["answer"]), md.inline(q["why"]) if q["why"] else "",
                          level, lesson_name, episode_name, source]
                notes.append((deck, genanki.Note(types["interview"], fields, tags=[f"level::{level.lower()}",
                              *common], guid=f"ad:{q['id']}")))
        elif heading.lower().startswith("quick-fire"):
            for row in quick_fire(body):
                fields = [md.inline(row["question"]), md.inline(row["answer"]), lesson_name, episode_name, source]
                notes.append((deck, genanki.Note(types["quick-fire"], fields, tags=["quick-fire", *common],
                              guid=f"ad:{row['id']}")))
    for deck_, note in notes:
        deck_.add_note(note)
    return [note for _, note in notes]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lessons", type=Path)
    parser.add_argument("-o", "--out", type=Path, required=True)
    args = parser.parse_args(argv)
    md, types, decks = Converter(), models(), {}
    count = 0
    for path in sorted(args.lessons.rglob("*.md")):
        count += len(lesson_notes(path, path.relative_to(args.lessons).as_posix(), md, types, decks))
    return write_decks(decks, args.out, count)


if __name__ == "__main__":
    sys.exit(main())
