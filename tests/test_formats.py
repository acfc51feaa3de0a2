"""The format variations real authors produce, checked in a real Anki collection."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from conftest import answer_of, build_decks, import_apkg, new_collection

VARIANT = """---
tags: [networking, "http basics"]
---
# Interview Questions: HTTP Basics

> What every web developer should know.

## Beginner (Q1–Q2)

### Q1: What does HTTP stand for?
<!-- tags: acronyms -->

**Why interviewers ask**: Warm-up.

**Answer:** HyperText Transfer Protocol.

### 2. What is a status code?

Answer:

A three-digit number:

- 2xx success
  - 200 OK
  - 204 No Content
- 4xx client errors

| code | meaning |
|------|---------|
| 404 | Not found |

![diagram](img/flow.png)

<kbd>Ctrl</kbd>+<kbd>C</kbd> and <b>bold</b>.

```bash
curl -I https://example.com
```

## Intermediate (Q3–Q3)

### Q3. Explain keep-alive.

**Model answer:** Reuses the TCP connection for several requests.

## Quick-fire

| Question | One-line answer |
|---|---|
| Default HTTPS port? | 443 |
| Is `a\\|b` a pipe? | Yes |
"""


def tiny_png() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) \
        + chunk(b"IEND", b"")


@pytest.fixture
def variant(tmp_path):
    folder = tmp_path / "course" / "episode-2-basics"
    (folder / "img").mkdir(parents=True)
    (folder / "img" / "flow.png").write_bytes(tiny_png())
    lesson = folder / "2.3-variants.md"
    lesson.write_bytes(b"\xef\xbb\xbf" + VARIANT.replace("\n", "\r\n").encode("utf-8"))
    result = build_decks([tmp_path / "course"], tmp_path / "dist", use_state=False)
    col = new_collection(tmp_path / "anki")
    import_apkg(col, result.packages[0])
    notes = {col.get_note(n)["Question"]: col.get_note(n) for n in col.find_notes("")}
    yield result, col, notes
    col.close()


def test_variant_lesson_builds_without_complaint(variant):
    result, _, notes = variant
    assert result.diagnostics.items == []
    assert len(notes) == 5


def test_metadata_from_folder_names_and_h1(variant):
    _, col, notes = variant
    note = notes["What does HTTP stand for?"]
    assert note["Lesson"] == "2.3 — HTTP Basics" and note["Episode"] == "Episode 2 — Basics"
    assert {"lesson::2.3", "episode::2", "level::beginner", "networking", "http_basics", "acronyms"} <= set(note.tags)
    assert "Episode 2 — Basics::2.3 — HTTP Basics" in {d.name for d in col.decks.all_names_and_ids()}


def test_label_variants_and_missing_why(variant):
    _, _, notes = variant
    q1 = notes["What does HTTP stand for?"]
    assert q1["Why Interviewers Ask"] == "Warm-up." and "HyperText Transfer Protocol" in q1["Model Answer"]
    q2 = notes["What is a status code?"]
    assert q2["Why Interviewers Ask"] == ""
    assert q2["Level"] == "Beginner"
    assert notes["Explain keep-alive."]["Level"] == "Intermediate"


def test_source_lines_count_crlf_and_bom_right(variant):
    _, _, notes = variant
    assert notes["What does HTTP stand for?"]["Source"] == "episode-2-basics/2.3-variants.md:10"
    assert notes["Explain keep-alive."]["Source"] == "episode-2-basics/2.3-variants.md:42"


def test_rich_answer_keeps_nested_lists_tables_code_images_and_safe_html(variant):
    _, col, notes = variant
    answer = notes["What is a status code?"]["Model Answer"]
    assert "<li>2xx success<ul>" in answer.replace("\n", "")  # nested, not flattened
    assert "<table>" in answer and "<td>404</td>" in answer
    # the curl block is the answer's only code block, so it is its example: it carries the part's id
    assert '<div class="hl ad-say-target" id="ad-say-example"><pre>' in answer and "curl" in answer
    assert "<kbd>Ctrl</kbd>" in answer and "<b>bold</b>" in answer
    media = Path(col.media.dir())
    [name] = [p.name for p in media.iterdir() if not p.name.startswith("_ankideploy-")]  # not the course manifest
    assert f'src="{name}"' in answer and name.endswith(".png")


def test_quick_fire_table_without_number_column(variant):
    _, _, notes = variant
    assert notes["Default HTTPS port?"]["Answer"] == "443"
    assert notes["Is <code>a|b</code> a pipe?"]["Answer"] == "Yes"
    assert "quick-fire" in notes["Default HTTPS port?"].tags


def test_front_matter_overrides_names(tmp_path):
    lesson = tmp_path / "misc" / "notes.md"
    lesson.parent.mkdir()
    lesson.write_text("---\nlesson: '7.1'\ntitle: Caching\nepisode: 7\nepisode_title: Performance\n---\n"
                      "## Beginner\n\n### Q1. What is a cache?\n\n**Model answer:** A fast copy.\n", encoding="utf-8")
    result = build_decks([lesson], tmp_path / "dist", use_state=False)
    assert result.diagnostics.items == []
    note = result.planned[0].spec
    assert note.deck == "Episode 7 — Performance::7.1 — Caching"
    assert "lesson::7.1" in note.tags and "episode::7" in note.tags


def test_plain_text_heading_and_breadcrumb_variants(tmp_path):
    text = ("Episode 3 — Data / 3.2 — Indexes\n\nInterview Questions: Indexes\n\nBeginner (Q1–Q1)\n\n"
            "Q1: What is an index?\n\nWhy interviewers ask: Basics.\n\nAnswer:\n\nA sorted structure.\n\n"
            "  1. Faster reads\n  2. Slower writes\n\nQuick-fire\n\nQuestionOne-line answer\nB-tree?Balanced tree\n")
    lesson = tmp_path / "lesson.txt"
    lesson.write_text(text, encoding="utf-8")
    result = build_decks([lesson], tmp_path / "dist", use_state=False)
    assert result.diagnostics.items == []
    question, row = (n.spec for n in result.planned)
    assert question.deck == "Episode 3 — Data::3.2 — Indexes"
    assert answer_of(question.fields[1]) == "<p>A sorted structure.</p>\n<ol>\n<li>Faster reads</li>\n<li>Slower writes</li>\n</ol>"
    assert row.fields[:2] == ["B-tree?", "Balanced tree"]
