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


# --- a cache is data: whatever is in it, the package is the one --no-cache gives --------------------

STAMPED = """## Beginner (Q1--Q1)

### Q1. What is shown?
<!-- id: 0123456789abcdef -->

**Model answer:** A *picture* of the `system`.

![diagram](img/a.png)

## Quick-fire

| # | Question | One-line answer |
|---|---|---|
| 1 | Which *port*? | 443 <!-- id: fedcba9876543210 --> |
"""


def stamped_course(tmp_path):
    course = tmp_path / "course"
    (course / "img").mkdir(parents=True)
    (course / "1.1-pictures.md").write_text(STAMPED, encoding="utf-8")
    (course / "img" / "a.png").write_bytes(tiny_png())
    return course


def package_bytes(tmp_path, course, name, cache) -> bytes:
    result = build_decks([course], tmp_path / name, epoch=1_800_000_000, use_state=False, cache_dir=cache)
    assert result.packages, result.diagnostics.items
    return result.packages[0].read_bytes()


def cache_files(cache):
    return [p for p in cache.rglob("*") if p.is_file() and p.name != "CACHEDIR.TAG"]


def test_cache_entries_are_json_and_hold_no_ids(tmp_path):
    course, cache = stamped_course(tmp_path), tmp_path / "cache"
    package_bytes(tmp_path, course, "warm", cache)
    entries = cache_files(cache)
    assert entries
    for entry in entries:
        import json
        assert isinstance(json.loads(entry.read_bytes()), dict)
        assert b"0123456789abcdef" not in entry.read_bytes() and b"fedcba9876543210" not in entry.read_bytes()
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")


def test_edited_cache_gives_the_uncached_package(tmp_path):
    """Ids and rendered text changed inside every entry: the build notices and renders afresh."""
    course, cache = stamped_course(tmp_path), tmp_path / "cache"
    expected = package_bytes(tmp_path, course, "plain", None)
    package_bytes(tmp_path, course, "warm", cache)
    for entry in cache_files(cache):
        data = entry.read_bytes()
        poisoned = (data.replace(b"0123456789abcdef", b"0123456789abcdee")
                    .replace(b"fedcba9876543210", b"fedcba9876543211")
                    .replace(b"picture", b"pictura").replace(b"443", b"444"))
        assert poisoned != data
        entry.write_bytes(poisoned)
    assert package_bytes(tmp_path, course, "poisoned", cache) == expected


def test_flipped_bytes_anywhere_in_an_entry_give_the_uncached_package(tmp_path):
    course, cache = stamped_course(tmp_path), tmp_path / "cache"
    expected = package_bytes(tmp_path, course, "plain", None)
    package_bytes(tmp_path, course, "warm", cache)
    entries = {p: p.read_bytes() for p in cache_files(cache)}
    for entry, data in entries.items():
        for position in range(0, len(data), max(1, len(data) // 15)):
            entry.write_bytes(data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1:])
            assert package_bytes(tmp_path, course, f"flip-{position}", cache) == expected, position
            entry.write_bytes(data)


def test_a_pickle_in_the_cache_is_never_run(tmp_path):
    import pickle
    course, cache = stamped_course(tmp_path), tmp_path / "cache"
    expected = package_bytes(tmp_path, course, "plain", None)
    package_bytes(tmp_path, course, "warm", cache)
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    for entry in cache_files(cache):
        entry.write_bytes(pickle.dumps(Payload()))
    assert package_bytes(tmp_path, course, "crafted", cache) == expected
    assert not marker.exists()


def test_an_entry_pointing_at_a_file_outside_the_course_is_a_miss(tmp_path):
    """Even with a valid digest, a cached image must be a file inside the course folder."""
    import json
    from ankideploy import cache as cache_module
    course, cache = stamped_course(tmp_path), tmp_path / "cache"
    expected = package_bytes(tmp_path, course, "plain", None)
    package_bytes(tmp_path, course, "warm", cache)
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not for the package")
    for entry in cache_files(cache):
        data = json.loads(entry.read_bytes())
        for call in data["calls"].values():
            for name in call["media"]:
                call["media"][name] = str(secret)
                call["checked"][str(secret)] = list(cache_module.file_stat(secret))
        body = {k: data[k] for k in ("format", "key", "calls")}
        data["digest"] = cache_module._digest(body)
        entry.write_text(json.dumps(data))
    assert package_bytes(tmp_path, course, "moved", cache) == expected


def test_editing_one_answer_renders_only_that_answer(tmp_path, monkeypatch):
    course, cache = stamped_course(tmp_path), tmp_path / "cache"
    package_bytes(tmp_path, course, "warm", cache)
    from ankideploy import render
    rendered = []
    original = render.Renderer.block
    monkeypatch.setattr(render.Renderer, "block", lambda self, text, line: rendered.append(text) or original(self, text, line))
    lesson = course / "1.1-pictures.md"
    lesson.write_text(lesson.read_text().replace("A *picture*", "A *drawing*"), encoding="utf-8")
    package_bytes(tmp_path, course, "edited", cache)
    assert len(rendered) == 1 and "drawing" in rendered[0]
