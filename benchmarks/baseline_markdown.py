#!/usr/bin/env python3
"""Baseline: the straightforward single-process script, genanki + python-markdown.

    python benchmarks/baseline_markdown.py LESSONS_DIR -o OUT.apkg

Finds the lesson files under LESSONS_DIR, splits each into its questions and
quick-fire rows with a few regular expressions, runs python-markdown on every
field (python-markdown's own fenced_code and codehilite with Pygments, tables,
sane_lists: the same HTML the real build makes; one Markdown instance, reset
between fields), and
writes the notes with genanki: one deck per lesson, the same two note types,
fields and tags as ``ankideploy build``, and the images the answers show
(copied once each under a name unique in the package). No sanitising, no
diagnostics, no render cache.

With ``-j N`` (N > 1) the lessons are read and rendered in N worker processes
(``multiprocessing.Pool``, four lessons a task) and the main process writes the
package: the same work spread over the same number of cores as ``ankideploy
build -j N``.
"""
from __future__ import annotations

import argparse
import multiprocessing
import re
import shutil
import sys
import tempfile
from pathlib import Path

import genanki
import markdown

from bench_common import deck_id, models, write_decks
# The cards' "Check yourself" block is part of the notes the build writes; the baseline makes the
# same notes, so it runs the same (pure, dependency-free) passage finder on each answer.
from ankideploy.answer_parts import with_check_yourself

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


def sections(lines: list[str]) -> list[tuple[str, list[tuple[int, str]]]]:
    """``## `` sections (outside code fences) with their numbered lines; the lines before the first are ''."""
    found: list[tuple[str, list[tuple[int, str]]]] = [("", [])]
    fenced = False
    for number, line in enumerate(lines, 1):
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("## "):
            found.append((line[3:].strip(), []))
        else:
            found[-1][1].append((number, line))
    return found


def questions(lines: list[tuple[int, str]]) -> list[dict]:
    found, fenced = [], False
    for number, line in lines:
        if line.startswith("```"):
            fenced = not fenced
        m = None if fenced else QUESTION_RE.match(line)
        if m:
            found.append({"number": m.group(1), "text": m.group(2), "line": number, "lines": []})
        elif found:
            found[-1]["lines"].append(line)
    for q in found:
        body = "\n".join(q.pop("lines"))
        q["id"] = ID_RE.search(body).group(1)
        why, _, answer = body.partition(ANSWER)
        q["why"] = why.split(WHY, 1)[1].strip() if WHY in why else ""
        q["answer"] = re.sub(r"\n-{3,}\s*$", "", answer.strip()).strip()
    return found


def quick_fire(lines: list[tuple[int, str]]) -> list[dict]:
    rows = []
    for number, line in lines:
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "#":
            continue
        stamp = ID_RE.search(cells[2])
        rows.append({"number": cells[0], "question": cells[1], "answer": ID_RE.sub("", cells[2]).strip(),
                     "id": stamp.group(1) if stamp else "", "line": number})
    return rows


IMG_SRC_RE = re.compile(r'(<img\b[^>]*\bsrc=")([^"]+)(")')


class Media:
    """Images the fields point at, each copied once into a folder under a name unique in the package."""

    def __init__(self, root: Path, folder: Path):
        self.root, self.folder = root, folder
        self.files: dict[Path, str] = {}

    def rewrite(self, html: str, lesson_dir: Path) -> str:
        def one(m: re.Match) -> str:
            path = (lesson_dir / m.group(2)).resolve()
            if path not in self.files:
                name = path.relative_to(self.root).as_posix().replace("/", "-")
                shutil.copyfile(path, self.folder / name)
                self.files[path] = name
            return m.group(1) + self.files[path] + m.group(3)
        return IMG_SRC_RE.sub(one, html) if "<img" in html else html


def lesson_data(path: Path, source: str, md: Converter) -> dict:
    """One lesson's deck and notes as plain data (picklable, for the parallel variant)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    crumb = next(BREADCRUMB_RE.match(line) for line in lines if BREADCRUMB_RE.match(line))
    episode, episode_title, lesson_id, title = crumb.groups()
    episode_name = f"Episode {episode} — {episode_title}"
    lesson_name = f"{lesson_id} — {title}"
    parts = sections(lines)
    summary = " ".join(line[1:].strip() for _, line in parts[0][1] if line.startswith(">"))
    how_to = [re.sub(r"^\d+\.\s+", "", line).strip() for title_, body in parts if title_.startswith("How to use")
              for _, line in body if re.match(r"^\d+\.\s", line)]
    description = f"<p>{md.inline(summary)}</p>" if summary else ""
    if how_to:
        items = "".join(f"<li>{md.inline(step)}</li>" for step in how_to)
        description += f"<p><b>How to use this material</b></p><ol>{items}</ol>"
    common = [f"lesson::{lesson_id}", f"episode::{episode}"]
    notes = []
    for heading, body in parts:
        level = next((lv for lv in LEVELS if heading.startswith(lv)), None)
        if level:
            for q in questions(body):
                fields = [md.inline(q["text"]), with_check_yourself(md.block(q["answer"])),
                          md.inline(q["why"]) if q["why"] else "",
                          level, lesson_name, episode_name, f"{source}:{q['line']}"]
                notes.append(("interview", fields, [f"level::{level.lower()}", *common], f"ad:{q['id']}"))
        elif heading.lower().startswith("quick-fire"):
            for row in quick_fire(body):
                fields = [md.inline(row["question"]), md.inline(row["answer"]), lesson_name, episode_name,
                          f"{source}:{row['line']}"]
                notes.append(("quick-fire", fields, ["quick-fire", *common], f"ad:{row['id']}"))
    return {"deck": f"{episode_name}::{lesson_name}", "description": description, "notes": notes,
            "dir": str(path.parent)}


_WORKER_MD: Converter | None = None


def _lesson_in_worker(args: tuple[Path, str]) -> dict:
    global _WORKER_MD
    if _WORKER_MD is None:
        _WORKER_MD = Converter()
    return lesson_data(*args, _WORKER_MD)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lessons", type=Path)
    parser.add_argument("-o", "--out", type=Path, required=True)
    parser.add_argument("-j", "--jobs", type=int, default=1, help="worker processes (default 1: none)")
    args = parser.parse_args(argv)
    work = [(path, path.relative_to(args.lessons).as_posix()) for path in sorted(args.lessons.rglob("*.md"))]
    if args.jobs > 1:
        with multiprocessing.Pool(args.jobs) as pool:
            lessons = pool.map(_lesson_in_worker, work, chunksize=4)
    else:
        md = Converter()
        lessons = [lesson_data(path, source, md) for path, source in work]
    types, decks, count = models(), {}, 0
    with tempfile.TemporaryDirectory() as folder:
        media = Media(args.lessons.resolve(), Path(folder))
        for lesson in lessons:
            deck = decks.setdefault(lesson["deck"], genanki.Deck(deck_id(lesson["deck"]), lesson["deck"],
                                                                 lesson["description"]))
            for kind, fields, tags, guid in lesson["notes"]:
                fields = [media.rewrite(f, Path(lesson["dir"])) for f in fields]
                deck.add_note(genanki.Note(types[kind], fields, tags=tags, guid=guid))
                count += 1
        return write_decks(decks, args.out, count, [str(Path(folder) / n) for n in media.files.values()])


if __name__ == "__main__":
    sys.exit(main())
