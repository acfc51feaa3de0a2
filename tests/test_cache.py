"""The render cache never returns stale HTML, nor anything it cannot prove it wrote for this source."""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import build_decks
from test_formats import tiny_png

from ankideploy.file_result import NOTE_ROW

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


def test_the_code_is_part_of_the_key(tmp_path, monkeypatch):
    """Any change to the package's source (the renderer and its version number are in it) means
    rendering afresh."""
    from ankideploy import cache as cache_module, render
    course = make(tmp_path)
    (course / "img" / "a.png").write_bytes(tiny_png())
    build(tmp_path, course, "a")
    calls = []
    original = render.Renderer.block
    monkeypatch.setattr(render.Renderer, "block", lambda self, *a: calls.append(1) or original(self, *a))
    build(tmp_path, course, "b")
    assert calls == []  # served from the cache
    monkeypatch.setattr(cache_module, "_code_digest", lambda: "another version of the code")
    cache_module.salt.cache_clear()
    try:
        build(tmp_path, course, "c")
    finally:
        cache_module.salt.cache_clear()
    assert calls  # rendered afresh


def test_library_versions_are_read_without_importing_the_libraries():
    import markdown
    import nh3
    import pygments
    import yaml
    from ankideploy import cache as cache_module
    for module, dist in cache_module.LIBRARIES.items():
        assert cache_module._installed_version(module, dist) == {
            "markdown": markdown, "pygments": pygments, "nh3": nh3, "yaml": yaml}[module].__version__


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


def secret_file() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "ankideploy" / "cache-secret"


def test_cache_entries_are_signed_with_a_secret_kept_elsewhere(tmp_path):
    course, cache = stamped_course(tmp_path), tmp_path / "cache"
    package_bytes(tmp_path, course, "warm", cache)
    [entry] = cache_files(cache)
    data = read_entry(entry)
    assert re.fullmatch(rb"ankideploy render cache 4 [0-9a-f]{64}\n", data["first_line"])
    assert data["result"]["value"]["source"] == hashlib.sha256((course / "1.1-pictures.md").read_bytes()).hexdigest()
    key = NOTE_ROW.index("note_key")
    assert {row[key] for row in data["result"]["value"]["notes"]} == {"0123456789abcdef", "fedcba9876543210"}
    assert "A <em>picture</em>" in data["result"]["texts"][0].split("\x1f")[1]  # the fields, stored as they are
    assert signed_with_the_secret(entry)
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    secret = secret_file()
    assert not secret.is_relative_to(cache) and stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert re.fullmatch(rb"[0-9a-f]{64}\n", secret.read_bytes())
    assert secret.read_bytes()[:64] not in entry.read_bytes()


def dump(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


PART_NAMES = (b"result\n", b"calls\n")


def entry_parts(entry: Path) -> tuple[bytes, list[tuple[str, bytes, bytes]]]:
    """An entry's first line, and each part's name, HMAC (hex) and bytes."""
    first_line, result_line, calls_line, rest = entry.read_bytes().split(b"\n", 3)
    (result_mac, result_size), (calls_mac, _) = result_line.split(b" "), calls_line.split(b" ")
    return first_line + b"\n", list(zip(PART_NAMES, (result_mac, calls_mac),
                                        (rest[:int(result_size)], rest[int(result_size):])))


def read_entry(entry: Path) -> dict:
    """An entry as data: its first line, its result (the JSON value and the texts, cut apart by their
    lengths in bytes) and its calls."""
    first_line, [(_, _, result), (_, _, calls)] = entry_parts(entry)
    head, _, joined = result.partition(b"\n")
    value, lengths = json.loads(head)
    texts = []
    for length in lengths:
        texts.append(joined[:length].decode("utf-8"))
        joined = joined[length:]
    return {"first_line": first_line, "result": {"value": value, "texts": texts}, "calls": json.loads(calls)}


def rewrite(entry: Path, change, mac) -> None:
    """The entry with ``change`` made to its data (see ``read_entry``), laid out as the cache writes
    entries, each part signed with ``mac`` (its signed bytes -> the hex digest written for it)."""
    data = read_entry(entry)
    change(data)
    texts = data["result"]["texts"]
    encoded = [text.encode("utf-8") for text in texts]
    parts = (dump([data["result"]["value"], [len(text) for text in encoded]]) + b"\n" + b"".join(encoded),
             dump(data["calls"]))
    first_line = data["first_line"]
    entry.write_bytes(first_line + b"".join(b"%s %d\n" % (mac(first_line + name + part).encode(), len(part))
                                            for name, part in zip(PART_NAMES, parts)) + b"".join(parts))


def signed_with_the_secret(entry: Path) -> bool:
    first_line, parts = entry_parts(entry)
    return all(mac.decode() == keyed_digest(first_line + name + part) for name, mac, part in parts)


def plain_digest(signed: bytes) -> str:
    """What anyone who can write the cache folder can compute."""
    return hashlib.sha256(signed).hexdigest()


def keyed_digest(signed: bytes) -> str:
    """What only the holder of the secret can compute."""
    return hmac.new(bytes.fromhex(secret_file().read_text()[:64]), signed, "sha256").hexdigest()


def replace_in(value, old: str, new: str):
    """``value`` (JSON data) with ``old`` replaced by ``new`` in every string, keys included."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [replace_in(v, old, new) for v in value]
    if isinstance(value, dict):
        return {replace_in(k, old, new): replace_in(v, old, new) for k, v in value.items()}
    return value


def edit_parts(old: str, new: str):
    def change(data):
        data["result"], data["calls"] = replace_in(data["result"], old, new), replace_in(data["calls"], old, new)
    return change


def new_source_hash(data):
    data["result"]["value"]["source"] = hashlib.sha256(b"another file").hexdigest()


FORGERIES = {
    "ids": edit_parts("0123456789abcdef", "0123456789abcdee"),
    "html": edit_parts("picture", "<b>forged</b>"),
    "tags": edit_parts("lesson::1.1", "lesson::forged"),
    "source hash": new_source_hash,
}


@pytest.mark.parametrize("what", FORGERIES)
def test_an_entry_changed_and_hashed_without_the_secret_is_a_miss(tmp_path, what):
    course, cache = stamped_course(tmp_path), tmp_path / "cache"
    expected = package_bytes(tmp_path, course, "plain", None)
    package_bytes(tmp_path, course, "warm", cache)
    for entry in cache_files(cache):
        rewrite(entry, FORGERIES[what], plain_digest)
    assert package_bytes(tmp_path, course, "forged", cache) == expected


def test_the_secret_is_what_makes_an_entry_trusted(tmp_path):
    """The other side of the test above, and why the secret must be kept secret: the same change
    signed with the secret is served."""
    course, cache = stamped_course(tmp_path), tmp_path / "cache"
    package_bytes(tmp_path, course, "warm", cache)
    for entry in cache_files(cache):
        rewrite(entry, edit_parts("A <em>picture</em>", "A <em>signed</em>"), keyed_digest)
    result = build_decks([course], tmp_path / "served", use_state=False, cache_dir=cache)
    assert "A <em>signed</em>" in result.planned[0].spec.fields[1]


def other_id(data):
    key = NOTE_ROW.index("note_key")
    for row in data["result"]["value"]["notes"]:
        if row[key] == "0123456789abcdef":
            row[key] = "feedfacefeedface"


def one_more_id(data):
    data["result"]["value"]["ids"] += 1


@pytest.mark.parametrize("change", [other_id, one_more_id], ids=["stamped id not in the source", "id count"])
def test_a_signed_entry_whose_ids_do_not_match_the_source_is_a_miss(tmp_path, change):
    """Ids are never taken from the cache unchecked, not even from an entry signed with the secret."""
    course, cache = stamped_course(tmp_path), tmp_path / "cache"
    expected = package_bytes(tmp_path, course, "plain", None)
    package_bytes(tmp_path, course, "warm", cache)
    for entry in cache_files(cache):
        rewrite(entry, change, keyed_digest)
    assert package_bytes(tmp_path, course, "checked", cache) == expected


def one_text_more(data):
    data["result"]["texts"].append("<p>one more</p>")


def one_text_less(data):
    data["result"]["texts"].pop()


def one_field_more(data):
    data["result"]["texts"][0] += "\x1f<p>one more</p>"


@pytest.mark.parametrize("change", [one_text_more, one_text_less, one_field_more],
                         ids=["a text left over", "a text missing", "a field too many"])
def test_a_signed_entry_whose_notes_do_not_take_exactly_its_texts_is_a_miss(tmp_path, monkeypatch, change):
    course, cache = stamped_course(tmp_path), tmp_path / "cache"
    expected = package_bytes(tmp_path, course, "plain", None)
    package_bytes(tmp_path, course, "warm", cache)
    for entry in cache_files(cache):
        rewrite(entry, change, keyed_digest)
    work = record_work(monkeypatch)
    assert package_bytes(tmp_path, course, "checked", cache) == expected
    assert work["parsed"] == ["1.1-pictures.md"]  # not served: processed afresh


def test_a_forged_calls_part_neither_spoils_the_result_nor_is_used_after_an_edit(tmp_path, monkeypatch):
    """The parts are verified apart: an unchanged lesson is served from its result part even when its
    calls part was forged, and after an edit the forged calls are not used."""
    course, cache = stamped_course(tmp_path), tmp_path / "cache"
    package_bytes(tmp_path, course, "warm", cache)
    [entry] = cache_files(cache)
    rewrite(entry, lambda data: data.update(calls=replace_in(data["calls"], "picture", "<b>forged</b>")),
            lambda signed: keyed_digest(signed) if signed.startswith(b"result\n", signed.index(b"\n") + 1)
            else plain_digest(signed))
    expected = package_bytes(tmp_path, course, "plain", None)
    work = record_work(monkeypatch)
    assert package_bytes(tmp_path, course, "served", cache) == expected and work["parsed"] == []
    lesson = course / "1.1-pictures.md"
    lesson.write_text(lesson.read_text().replace("What is shown?", "What is drawn?"), encoding="utf-8")
    expected = package_bytes(tmp_path, course, "plain-edited", None)
    work = record_work(monkeypatch)
    assert package_bytes(tmp_path, course, "edited", cache) == expected
    assert any("A *picture*" in text for text in work["rendered"])  # rendered again: the stored call was forged


def saved_entry(tmp_path):
    """A render cache with one entry saved in it: the cache, the key and the entry's bytes."""
    from ankideploy.cache import RenderCache
    cache = RenderCache(tmp_path / "cache", b"k" * 32)
    key = "ab" * 32
    cache.save(key, {"call": {"html": "<p>x</p>"}}, {"source": "0" * 64, "notes": []}, ["first", "sécond"])
    [path] = cache_files(tmp_path / "cache")
    return cache, key, path


def other_key(data: bytes) -> bytes:
    return data.replace(b" " + b"ab" * 32 + b"\n", b" " + b"ac" * 32 + b"\n", 1)


def long_length(data: bytes) -> bytes:
    first, result_line, rest = data.split(b"\n", 2)
    mac, size = result_line.split(b" ")
    return first + b"\n" + mac + b" " + size.rjust(13, b"0") + b"\n" + rest


FRAMINGS = {
    "cut short": lambda data: data[:-1],
    "a byte more": lambda data: data + b"\n",
    "another key": other_key,
    "a length of 13 digits": long_length,
    "no header": lambda data: data[data.index(b"["):],
}


@pytest.mark.parametrize("framing", FRAMINGS)
def test_an_entry_not_laid_out_as_written_is_not_read(tmp_path, framing):
    cache, key, path = saved_entry(tmp_path)
    assert cache.load(key).result() == ({"source": "0" * 64, "notes": []}, ["first", "sécond"])
    path.write_bytes(FRAMINGS[framing](path.read_bytes()))
    assert cache.load(key) is None and cache.read(key, result_only=True) is None


def test_each_part_is_signed_with_its_name(tmp_path):
    """A part's HMAC covers the entry's first line and the part's name: neither part can stand in
    for the other, nor either for a part of another key's entry."""
    course, cache = stamped_course(tmp_path), tmp_path / "cache"
    package_bytes(tmp_path, course, "warm", cache)
    [entry] = cache_files(cache)
    first_line, parts = entry_parts(entry)
    for (name, mac, part), other in zip(parts, reversed(PART_NAMES)):
        assert mac.decode() == keyed_digest(first_line + name + part)
        assert mac.decode() != keyed_digest(first_line + other + part)
        another_key = first_line[:-2] + (b"1" if first_line[-2:-1] == b"0" else b"0") + b"\n"
        assert mac.decode() != keyed_digest(another_key + name + part)


def test_notes_served_from_the_cache_bring_their_sort_field(tmp_path, monkeypatch):
    from ankideploy import note_spec
    course, cache = two_lessons(tmp_path), tmp_path / "cache"
    expected = package_bytes(tmp_path, course, "warm", cache)

    def not_again(first_field):
        raise AssertionError(f"sort field made again for {first_field!r}")

    monkeypatch.setattr(note_spec, "sorting_of", not_again)
    assert package_bytes(tmp_path, course, "served", cache) == expected


def test_an_entry_read_up_to_its_result_has_no_calls(tmp_path):
    cache, key, _ = saved_entry(tmp_path)
    assert cache.load(key).calls() == {"call": {"html": "<p>x</p>"}}
    partial = cache.entry(key, cache.read(key, result_only=True))
    assert partial.result() == ({"source": "0" * 64, "notes": []}, ["first", "sécond"]) and partial.calls() == {}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are made with os.mkfifo")
def test_a_fifo_where_an_entry_belongs_is_not_waited_for(tmp_path):
    cache, key, path = saved_entry(tmp_path)
    path.unlink()
    os.mkfifo(path)
    script = ("import sys; from pathlib import Path; from ankideploy.cache import RenderCache;"
              f"cache = RenderCache(Path({str(tmp_path / 'cache')!r}), b'k' * 32);"
              f"print(cache.read({key!r}), cache.load({key!r}))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "None None", done.stderr


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
    """Even signed with the secret, a cached image must be a file inside the course folder."""
    from ankideploy import cache as cache_module
    course, cache = stamped_course(tmp_path), tmp_path / "cache"
    expected = package_bytes(tmp_path, course, "plain", None)
    package_bytes(tmp_path, course, "warm", cache)
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not for the package")

    def point_outside(data):
        for part in [data["result"]["value"], *data["calls"].values()]:
            for name in part["media"]:
                part["media"][name] = str(secret)
                part["checked"][str(secret)] = list(cache_module.file_stat(secret))

    for entry in cache_files(cache):
        rewrite(entry, point_outside, keyed_digest)
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


# --- whole-lesson results: an unchanged file is neither parsed nor rendered ------------------------

def record_work(monkeypatch) -> dict[str, list]:
    """Every lesson parsed and every text rendered from now on, by name."""
    from ankideploy import notes, render, sources
    work = {"parsed": [], "rendered": [], "checked": []}
    parse, read, block, inline, check = (sources.parse_lesson, sources.read_lesson, render.Renderer.block,
                                         render.Renderer.inline, notes.with_check_yourself)
    monkeypatch.setattr(sources, "parse_lesson", lambda text, file, *a: work["parsed"].append(file.source)
                        or parse(text, file, *a))
    monkeypatch.setattr(sources, "read_lesson", lambda file, *a: work["parsed"].append(file.source)
                        or read(file, *a))
    monkeypatch.setattr(render.Renderer, "block", lambda self, text, line: work["rendered"].append(text)
                        or block(self, text, line))
    monkeypatch.setattr(render.Renderer, "inline", lambda self, text, line: work["rendered"].append(text)
                        or inline(self, text, line))
    monkeypatch.setattr(notes, "with_check_yourself", lambda html: work["checked"].append(html) or check(html))
    return work


def two_lessons(tmp_path) -> Path:
    course = stamped_course(tmp_path)
    (course / "1.2-more.md").write_text(STAMPED.replace("0123456789abcdef", "00000000000000a2")
                                        .replace("fedcba9876543210", "00000000000000b2")
                                        .replace("the `system`", "the *network*"), encoding="utf-8")
    return course


def test_a_rebuild_of_unchanged_lessons_parses_and_renders_nothing(tmp_path, monkeypatch):
    course, cache = two_lessons(tmp_path), tmp_path / "cache"
    expected = package_bytes(tmp_path, course, "plain", None)
    assert package_bytes(tmp_path, course, "warm", cache) == expected
    work = record_work(monkeypatch)
    assert package_bytes(tmp_path, course, "rebuilt", cache) == expected
    assert work == {"parsed": [], "rendered": [], "checked": []}


def test_a_one_byte_edit_parses_the_lesson_again_and_renders_only_what_changed(tmp_path, monkeypatch):
    course, cache = two_lessons(tmp_path), tmp_path / "cache"
    package_bytes(tmp_path, course, "warm", cache)
    lesson = course / "1.1-pictures.md"
    lesson.write_text(lesson.read_text().replace("What is shown?", "What is Shown?"), encoding="utf-8")
    expected = package_bytes(tmp_path, course, "plain", None)
    work = record_work(monkeypatch)
    assert package_bytes(tmp_path, course, "edited", cache) == expected
    assert work["parsed"] == ["1.1-pictures.md"]  # not 1.2, whose result is used as it is
    assert "What is Shown?" in work["rendered"]  # the question, which changed
    assert not [text for text in work["rendered"] if "picture" in text]  # the answer came from the cache


def many_lessons(tmp_path, count: int) -> Path:
    course = stamped_course(tmp_path)
    for n in range(2, count + 1):
        (course / f"1.{n}-more.md").write_text(
            STAMPED.replace("0123456789abcdef", f"{n:016x}").replace("fedcba9876543210", f"{n + 100:016x}")
            .replace("What is shown?", f"What is shown in part {n}?"), encoding="utf-8")
    return course


def two_core_package(tmp_path, course, name, cache) -> bytes:
    from ankideploy.build import BuildOptions, build as run_build
    result = run_build([course], BuildOptions(out_dir=tmp_path / name, use_state=False, jobs=2, cache_dir=cache))
    assert result.packages and not result.diagnostics.error_count, result.diagnostics.items
    return result.packages[0].read_bytes()


def entry_of(cache: Path, lesson: str) -> Path:
    [entry] = [p for p in cache_files(cache) if f'"{lesson}"'.encode() in p.read_bytes()]
    return entry


def test_on_two_cores_a_rebuild_gives_the_uncached_package_while_workers_process_the_misses(tmp_path,
                                                                                            monkeypatch):
    """Ten lessons: one edited, one whose entry claims the lesson's bytes but is not signed with the
    secret, eight served. The edited and the refused lesson are processed afresh (and their entries
    saved, signed), the package is the one --no-cache gives."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    course, cache = many_lessons(tmp_path, 10), tmp_path / "cache"
    two_core_package(tmp_path, course, "warm", cache)
    edited = course / "1.5-more.md"
    edited.write_text(edited.read_text().replace("part 5?", "part five?"), encoding="utf-8")
    forged = entry_of(cache, "1.7-more.md")
    rewrite(forged, edit_parts("picture", "<b>forged</b>"), plain_digest)
    expected = package_bytes(tmp_path, course, "plain", None)
    assert two_core_package(tmp_path, course, "rebuilt", cache) == expected
    for lesson in ("1.5-more.md", "1.7-more.md"):
        assert signed_with_the_secret(entry_of(cache, lesson))  # saved again, signed with the secret
    assert b"forged" not in entry_of(cache, "1.7-more.md").read_bytes()
    assert b"part five?" in entry_of(cache, "1.5-more.md").read_bytes()


def test_on_two_cores_the_edited_lesson_goes_to_a_child_made_ready_while_the_lessons_were_looked_up(
        tmp_path, monkeypatch):
    from ankideploy import build as build_module, sources
    marks = tmp_path / "marks"
    real_get_ready, real_parse = build_module._get_ready, sources.parse_lesson

    def mark(what: str) -> None:
        with open(marks, "a") as out:
            out.write(f"{what} {os.getpid()}\n")

    monkeypatch.setattr(build_module, "_get_ready", lambda settings: mark("ready") or real_get_ready(settings))
    monkeypatch.setattr(sources, "parse_lesson", lambda text, file, *a: mark(file.source) or real_parse(text, file, *a))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    course, cache = many_lessons(tmp_path, 10), tmp_path / "cache"
    two_core_package(tmp_path, course, "warm", cache)
    assert "ready" not in marks.read_text()  # no cache yet: every lesson is processed, by the pool
    edited = course / "1.4-more.md"
    edited.write_text(edited.read_text().replace("part 4?", "part four?"), encoding="utf-8")
    expected = package_bytes(tmp_path, course, "plain", None)
    marks.unlink()
    assert two_core_package(tmp_path, course, "rebuilt", cache) == expected
    [(_, ready_in), (parsed, parsed_in)] = [line.split() for line in marks.read_text().splitlines()]
    assert parsed == "1.4-more.md" and parsed_in == ready_in != str(os.getpid())
    assert b"part four?" in entry_of(cache, "1.4-more.md").read_bytes()


LOADERS = {"markdown", "pygments", "nh3", "bs4", "ankideploy.sources.labels", "ankideploy.sources.lesson_reader",
           "ankideploy.render", "ankideploy.notes"}


def test_a_rebuild_from_the_cache_imports_no_renderer(tmp_path):
    """Served from the cache, a build loads neither python-markdown, Pygments, nh3 nor Beautiful Soup,
    nor the lesson reader or the renderer."""
    course, cache = two_lessons(tmp_path), tmp_path / "cache"
    script = ("import sys; from pathlib import Path; from ankideploy.build import BuildOptions, build;"
              f"result = build([Path({str(course)!r})], BuildOptions(out_dir=Path({str(tmp_path / 'out')!r}),"
              f" use_state=False, jobs=1, cache_dir=Path({str(cache)!r})));"
              "assert result.packages and not result.diagnostics.items;"
              "print(sorted({name for m in sys.modules for name in (m, m.split('.')[0])}"
              f" & set({sorted(LOADERS)!r})))")
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert first.stdout.strip() != "[]"  # the first build renders
    again = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert again.stdout.strip() == "[]", again.stdout


# --- the secret: made once, refused unless it is exactly what this tool writes ------------------------

@pytest.fixture
def config_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def a_secret() -> bytes:
    return os.urandom(32).hex().encode() + b"\n"


def wrong_content(path: Path):
    path.write_bytes(b"not hex, but of the right size".ljust(64, b"!") + b"\n")


def wrong_size(path: Path):
    path.write_bytes(a_secret() + b"\n")


def symlink(path: Path):
    target = path.parent / "elsewhere"
    target.write_bytes(a_secret())
    target.chmod(0o600)
    path.symlink_to(target)


def folder(path: Path):
    path.mkdir()


def readable_by_others(path: Path):
    path.write_bytes(a_secret())
    path.chmod(0o644)


SECRET_PROBLEMS = [wrong_content, wrong_size, symlink, folder, readable_by_others]


@pytest.mark.parametrize("problem", SECRET_PROBLEMS, ids=[p.__name__ for p in SECRET_PROBLEMS])
def test_a_secret_that_is_not_ours_turns_the_cache_off(tmp_path, config_home, problem):
    course, cache = stamped_course(tmp_path), tmp_path / "cache"
    expected = package_bytes(tmp_path, course, "plain", None)
    secret = config_home / "ankideploy" / "cache-secret"
    secret.parent.mkdir(parents=True)
    problem(secret)
    before = sorted((p.name, p.lstat().st_mode, p.is_file() and p.read_bytes()) for p in secret.parent.iterdir())
    result = build_decks([course], tmp_path / "built", epoch=1_800_000_000, use_state=False, cache_dir=cache)
    assert result.packages[0].read_bytes() == expected
    assert [n for n in result.notices if str(secret) in n and "render cache off" in n], result.notices
    assert not cache.exists()  # nothing read, nothing written
    assert sorted((p.name, p.lstat().st_mode, p.is_file() and p.read_bytes())
                  for p in secret.parent.iterdir()) == before  # never repaired or replaced


def test_a_secret_that_cannot_be_made_turns_the_cache_off(tmp_path, config_home):
    config_home.write_text("a file where the folder should be")
    course, cache = stamped_course(tmp_path), tmp_path / "cache"
    expected = package_bytes(tmp_path, course, "plain", None)
    result = build_decks([course], tmp_path / "built", epoch=1_800_000_000, use_state=False, cache_dir=cache)
    assert result.packages[0].read_bytes() == expected and not cache.exists()
    assert [n for n in result.notices if "render cache off" in n], result.notices


def test_the_cli_says_why_the_cache_is_off(tmp_path, config_home):
    course = stamped_course(tmp_path)
    (config_home / "ankideploy").mkdir(parents=True)
    wrong_content(config_home / "ankideploy" / "cache-secret")
    run = subprocess.run([sys.executable, "-m", "ankideploy", "build", str(course), "-o", str(tmp_path / "out"),
                          "--no-state"], capture_output=True, text=True,
                         env={**os.environ, "ANKIDEPLOY_CACHE_DIR": str(tmp_path / "cache")})
    assert run.returncode == 0, run.stderr
    assert "render cache off for this build" in run.stderr and "Traceback" not in run.stderr


RACE = """
import sys, time
from pathlib import Path
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.001)
from ankideploy.signing import load_secret
print(load_secret().hex())
"""


def test_first_builds_at_the_same_time_make_one_secret(tmp_path, config_home):
    go = tmp_path / "go"
    racers = [subprocess.Popen([sys.executable, "-c", RACE, str(go)], stdout=subprocess.PIPE, text=True)
              for _ in range(6)]
    import time
    time.sleep(1)  # every racer imported and waiting
    go.touch()
    secrets = {racer.communicate(timeout=60)[0].strip() for racer in racers}
    assert len(secrets) == 1 and re.fullmatch(r"[0-9a-f]{64}", secrets.pop())
    assert [p.name for p in (config_home / "ankideploy").iterdir()] == ["cache-secret"]  # no temporaries left


def test_a_secret_made_by_another_process_first_is_kept(config_home, monkeypatch):
    from ankideploy import signing
    path = signing.secret_path()
    first = signing.load_secret()
    signing._create(path)  # as a process that lost the race would
    assert signing.load_secret() == first
    monkeypatch.setattr(os, "link", lambda *a: (_ for _ in ()).throw(PermissionError("no hard links here")))
    signing._create(path)  # the same without hard links
    assert signing.load_secret() == first
    path.unlink()
    made = signing.load_secret()
    assert made != first and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_notes_served_from_the_cache_are_unchanged_against_the_state(tmp_path, monkeypatch):
    """A served note keeps the fingerprint it was stored with: the state sees it unchanged."""
    course, cache, state = two_lessons(tmp_path), tmp_path / "cache", tmp_path / "state.json"
    first = build_decks([course], tmp_path / "a", cache_dir=cache, state_path=state)
    assert [row.counts["new"] for row in first.rows] == [2, 2]
    work = record_work(monkeypatch)
    again = build_decks([course], tmp_path / "b", cache_dir=cache, state_path=state)
    assert work["parsed"] == [] and [row.counts["unchanged"] for row in again.rows] == [2, 2]


def test_the_secret_lives_in_the_configuration_folder(tmp_path, monkeypatch):
    from ankideploy import signing
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert signing.secret_path() == tmp_path / "config" / "ankideploy" / "cache-secret"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/config")  # ignored, as the XDG rules say
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert signing.secret_path() == tmp_path / "home" / ".config" / "ankideploy" / "cache-secret"
