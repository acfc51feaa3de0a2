"""The render cache never returns stale HTML."""
from __future__ import annotations

from conftest import build_decks
from test_formats import tiny_png

LESSON = """## Beginner (Q1--Q1)

### Q1. What is shown?

**Model answer:** {answer}

![diagram](img/a.png)
"""


def make(tmp_path, answer="A picture."):
    course = tmp_path / "course"
    (course / "img").mkdir(parents=True, exist_ok=True)
    (course / "1.1-pictures.md").write_text(LESSON.format(answer=answer), encoding="utf-8")
    return course


def build(tmp_path, course, name, **options):
    return build_decks([course], tmp_path / name, use_state=False, cache_dir=tmp_path / "cache", **options)


def answer_of(result) -> str:
    return result.planned[0].spec.fields[1]


def test_edited_lesson_is_rendered_again(tmp_path):
    course = make(tmp_path)
    (course / "img" / "a.png").write_bytes(tiny_png())
    first = build(tmp_path, course, "a")
    assert "A picture." in answer_of(first)
    make(tmp_path, answer="A *new* picture.")
    assert "A <em>new</em> picture." in answer_of(build(tmp_path, course, "b"))


def test_changed_image_invalidates_the_entry(tmp_path):
    course = make(tmp_path)
    image = course / "img" / "a.png"
    image.write_bytes(tiny_png())
    first = answer_of(build(tmp_path, course, "a"))
    image.write_bytes(tiny_png() + b"trailing bytes make another image")
    second = build(tmp_path, course, "b")
    assert answer_of(second) != first
    [name] = [n for n in answer_of(second).split('"') if n.endswith(".png")]
    assert name not in first


def test_image_that_appears_later_clears_the_error(tmp_path):
    course = make(tmp_path)
    missing = build(tmp_path, course, "a")
    assert [d.message for d in missing.diagnostics.items] == ["image img/a.png not found"]
    (course / "img" / "a.png").write_bytes(tiny_png())
    assert build(tmp_path, course, "b").diagnostics.items == []


def test_renderer_version_is_part_of_the_key(tmp_path, monkeypatch):
    course = make(tmp_path)
    (course / "img" / "a.png").write_bytes(tiny_png())
    build(tmp_path, course, "a")
    from ankideploy import render
    calls = []
    original = render.Renderer.block
    monkeypatch.setattr(render.Renderer, "block", lambda self, *a: calls.append(1) or original(self, *a))
    build(tmp_path, course, "b")
    assert calls == []  # served from the cache
    monkeypatch.setattr(render, "RENDERER_VERSION", render.RENDERER_VERSION + "-next")
    build(tmp_path, course, "c")
    assert calls  # rendered afresh


def test_cached_build_is_byte_identical_to_an_uncached_one(tmp_path):
    course = make(tmp_path)
    (course / "img" / "a.png").write_bytes(tiny_png())
    build_decks([course], tmp_path / "plain", epoch=1_800_000_000, use_state=False)
    build(tmp_path, course, "warm", epoch=1_800_000_000)
    cached = build(tmp_path, course, "cached", epoch=1_800_000_000)
    data = [(tmp_path / d / "interview-questions.apkg").read_bytes() for d in ("plain", "cached")]
    assert cached.packages and data[0] == data[1]
