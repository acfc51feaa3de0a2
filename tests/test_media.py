"""Images in lessons: bundled under content-hash names, checked in a real Anki collection;
missing files, paths leaving the content folder, remote and oversized images reported."""
from __future__ import annotations

import os
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import build_decks, import_apkg, lesson_media, new_collection


def png_bytes(rgb=(255, 0, 0), padding: int = 0) -> bytes:
    """A valid 1x1 PNG of one colour (``padding`` zero bytes appended to make it big)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    image = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" + bytes(rgb)))
    return image + chunk(b"IEND", b"") + b"\x00" * padding


def lesson(question: str, *answer: str) -> str:
    """A one-question lesson; the answer's first line is line 7."""
    return "\n".join(["## Beginner (Q1--Q1)", "", f"### Q1. {question}", "", "**Model answer:**", "",
                      *answer, ""])


def diagnostics(result, severity=None):
    return [(Path(d.path).name, d.line, d.severity, d.message) for d in result.diagnostics.sorted()
            if severity is None or d.severity == severity]


def imported_notes(package: Path, folder: Path):
    col = new_collection(folder)
    import_apkg(col, package)
    return col


@pytest.fixture
def course(tmp_path) -> Path:
    root = tmp_path / "content"
    (root / "episode-1" / "img").mkdir(parents=True)
    (root / "episode-2" / "img").mkdir(parents=True)
    return root


def test_image_is_bundled_under_its_content_hash_and_the_field_names_it(course, tmp_path):
    red = png_bytes((255, 0, 0))
    (course / "episode-1" / "img" / "x.png").write_bytes(red)
    (course / "episode-1" / "1.1-a.md").write_text(
        lesson("What is shown?", "![red dot](img/x.png)", "", '<img src="img/x.png" alt="again">'),
        encoding="utf-8")
    result = build_decks([course], tmp_path / "dist", use_state=False)
    assert diagnostics(result) == []
    with zipfile.ZipFile(result.packages[0]) as zf:
        import json
        media_map = lesson_media(zf)
        assert len(media_map) == 1  # one file, referenced twice
        (member, name), = media_map.items()
        assert zf.read(member) == red
    assert re.fullmatch(r"[0-9a-f]{16,}\.png", name), name
    col = imported_notes(result.packages[0], tmp_path / "anki")
    try:
        assert (Path(col.media.dir()) / name).read_bytes() == red
        back = col.get_note(col.find_notes("")[0]).fields[1]
        sources = [img["src"] for img in BeautifulSoup(back, "html.parser").find_all("img")]
        assert sources == [name, name]
    finally:
        col.close()


def test_same_file_name_in_two_lesson_folders_both_survive(course, tmp_path):
    red, blue = png_bytes((255, 0, 0)), png_bytes((0, 0, 255))
    (course / "episode-1" / "img" / "x.png").write_bytes(red)
    (course / "episode-2" / "img" / "x.png").write_bytes(blue)
    (course / "episode-1" / "1.1-red.md").write_text(lesson("Red?", "![dot](img/x.png)"), encoding="utf-8")
    (course / "episode-2" / "2.1-blue.md").write_text(lesson("Blue?", "![dot](img/x.png)"), encoding="utf-8")
    result = build_decks([course], tmp_path / "dist", use_state=False)
    assert diagnostics(result) == []
    col = imported_notes(result.packages[0], tmp_path / "anki")
    try:
        media = Path(col.media.dir())
        seen = {}
        for nid in col.find_notes(""):
            note = col.get_note(nid)
            src = BeautifulSoup(note.fields[1], "html.parser").find("img")["src"]
            seen[note.fields[0]] = (media / src).read_bytes()
        assert seen == {"Red?": red, "Blue?": blue}
    finally:
        col.close()


def test_images_in_headings_and_quick_fire_cells_are_bundled_too(course, tmp_path):
    red, blue = png_bytes((255, 0, 0)), png_bytes((0, 0, 255))
    (course / "episode-1" / "img" / "q.png").write_bytes(red)
    (course / "episode-1" / "img" / "c.png").write_bytes(blue)
    text = "\n".join(["## Beginner (Q1--Q1)", "", "### Q1. Which is ![this](img/q.png)?", "",
                      "**Model answer:** That.", "", "## Quick-fire", "", "| # | Question | Answer |",
                      "|---|---|---|", "| 1 | Colour? | ![blue](img/c.png) |", ""])
    (course / "episode-1" / "1.1-cells.md").write_text(text, encoding="utf-8")
    result = build_decks([course], tmp_path / "dist", use_state=False)
    assert diagnostics(result) == []
    col = imported_notes(result.packages[0], tmp_path / "anki")
    try:
        media = Path(col.media.dir())
        contents = set()
        for nid in col.find_notes(""):
            for field in col.get_note(nid).fields:
                for img in BeautifulSoup(field, "html.parser").find_all("img"):
                    contents.add((media / img["src"]).read_bytes())
        assert contents == {red, blue}
    finally:
        col.close()


def test_same_bytes_under_two_names_are_one_media_file(course, tmp_path):
    """Names come from the content: one file for identical bytes, whatever they were called."""
    data = png_bytes((7, 7, 7))
    (course / "episode-1" / "img" / "a.png").write_bytes(data)
    (course / "episode-2" / "img" / "b.png").write_bytes(data)
    (course / "episode-1" / "1.1-a.md").write_text(lesson("A?", "![a](img/a.png)"), encoding="utf-8")
    (course / "episode-2" / "2.1-b.md").write_text(lesson("B?", "![b](img/b.png)"), encoding="utf-8")
    result = build_decks([course], tmp_path / "dist", use_state=False)
    with zipfile.ZipFile(result.packages[0]) as zf:
        import json
        assert len(lesson_media(zf)) == 1


def test_path_with_spaces_and_percent_escapes_is_found(course, tmp_path):
    data = png_bytes((1, 2, 3))
    (course / "episode-1" / "img" / "my pic.png").write_bytes(data)
    (course / "episode-1" / "1.1-a.md").write_text(lesson("Spaces?", "![a](img/my%20pic.png)",
                                                          "", "![b](<img/my pic.png>)"), encoding="utf-8")
    result = build_decks([course], tmp_path / "dist", use_state=False)
    assert diagnostics(result) == []
    with zipfile.ZipFile(result.packages[0]) as zf:
        assert [zf.read(n) for n in lesson_media(zf)] == [data]


def test_missing_image_is_an_error_with_its_line_and_the_lesson_is_left_out(course, tmp_path):
    (course / "episode-1" / "1.1-missing.md").write_text(
        lesson("Where is it?", "Some text.", "", "![gone](img/nope.png)"), encoding="utf-8")
    (course / "episode-2" / "2.1-fine.md").write_text(lesson("Fine?", "Yes."), encoding="utf-8")
    result = build_decks([course], tmp_path / "dist", use_state=False)
    assert diagnostics(result) == [("1.1-missing.md", 9, "error", "image img/nope.png not found")]
    assert [row.lesson_id for row in result.rows] == ["2.1"] and result.note_count == 1


@pytest.mark.parametrize("reference", ["../../etc/passwd", "../../../../../../../../etc/passwd",
                                       "img/../../../outside/secret.png",
                                       "img/%2e%2e/%2e%2e/%2e%2e/outside/secret.png",
                                       "/etc/passwd", "//etc/passwd",
                                       pytest.param("file:///etc/passwd")])
def test_paths_leaving_the_content_folder_are_refused(course, tmp_path, reference):
    secret = png_bytes((9, 9, 9), padding=64) + b"SECRET-BYTES"
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.png").write_bytes(secret)
    (course / "episode-1" / "1.1-escape.md").write_text(
        lesson("Escape?", "Text.", "", f"![x]({reference})"), encoding="utf-8")
    (course / "episode-2" / "2.1-fine.md").write_text(lesson("Fine?", "Yes."), encoding="utf-8")
    result = build_decks([course], tmp_path / "dist", use_state=False)
    problems = [d for d in diagnostics(result) if d[0] == "1.1-escape.md"]
    assert problems and all(d[1] == 9 for d in problems), problems
    if not reference.startswith("file:"):  # a file: URL is the sanitiser's (a warning is enough)
        assert any(d[2] == "error" for d in problems), problems
    with zipfile.ZipFile(result.packages[0]) as zf:
        for member in zf.namelist():
            data = zf.read(member)
            assert b"SECRET-BYTES" not in data and b"root:x:0:0" not in data


def test_symlink_leaving_the_content_folder_is_refused(course, tmp_path):
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.png").write_bytes(png_bytes() + b"SECRET-BYTES")
    link = course / "episode-1" / "img" / "innocent.png"
    os.symlink(tmp_path / "outside" / "secret.png", link)
    (course / "episode-1" / "1.1-link.md").write_text(lesson("Link?", "![x](img/innocent.png)"),
                                                      encoding="utf-8")
    result = build_decks([course], tmp_path / "dist", use_state=False)
    (problem,) = diagnostics(result)
    assert problem[:3] == ("1.1-link.md", 7, "error") and "outside the content folder" in problem[3]
    assert result.packages == []


def test_symlinked_folder_leaving_the_content_folder_is_refused(course, tmp_path):
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.png").write_bytes(png_bytes() + b"SECRET-BYTES")
    os.symlink(tmp_path / "outside", course / "episode-1" / "shared")
    (course / "episode-1" / "1.1-link.md").write_text(lesson("Link?", "![x](shared/secret.png)"),
                                                      encoding="utf-8")
    result = build_decks([course], tmp_path / "dist", use_state=False)
    assert [d[:3] for d in diagnostics(result)] == [("1.1-link.md", 7, "error")]


def test_symlink_inside_the_content_folder_is_followed(course, tmp_path):
    data = png_bytes((4, 5, 6))
    (course / "episode-2" / "img" / "real.png").write_bytes(data)
    os.symlink(course / "episode-2" / "img" / "real.png", course / "episode-1" / "img" / "alias.png")
    (course / "episode-1" / "1.1-alias.md").write_text(lesson("Alias?", "![x](img/alias.png)"), encoding="utf-8")
    result = build_decks([course], tmp_path / "dist", use_state=False)
    assert diagnostics(result) == []
    with zipfile.ZipFile(result.packages[0]) as zf:
        assert [zf.read(n) for n in lesson_media(zf)] == [data]


@pytest.mark.parametrize("url", ["https://example.com/diagram.png", "http://example.com/a.png?size=2"])
def test_remote_image_stays_a_link_with_a_warning(course, tmp_path, url):
    (course / "episode-1" / "1.1-remote.md").write_text(lesson("Remote?", "Text.", "", f"![diagram]({url})"),
                                                        encoding="utf-8")
    result = build_decks([course], tmp_path / "dist", use_state=False)
    assert [d[:3] for d in diagnostics(result)] == [("1.1-remote.md", 9, "warning")]
    assert url in diagnostics(result)[0][3]
    col = imported_notes(result.packages[0], tmp_path / "anki")
    try:
        soup = BeautifulSoup(col.get_note(col.find_notes("")[0]).fields[1], "html.parser")
        assert soup.find("img") is None
        assert soup.find("a")["href"] == url and soup.find("a").get_text() == "diagram"
        assert [n for n in os.listdir(col.media.dir()) if not n.startswith("_ankideploy-")] == []  # manifest aside
    finally:
        col.close()


def test_large_image_warns_with_its_line_and_is_still_bundled(course, tmp_path):
    big = png_bytes(padding=5 * 1024 * 1024 + 1)
    small = png_bytes(padding=5 * 1024 * 1024 - 200)  # just under the limit: no warning
    (course / "episode-1" / "img" / "big.png").write_bytes(big)
    (course / "episode-1" / "img" / "small.png").write_bytes(small)
    (course / "episode-1" / "1.1-big.md").write_text(lesson("Big?", "![s](img/small.png)", "", "![b](img/big.png)"),
                                                     encoding="utf-8")
    result = build_decks([course], tmp_path / "dist", use_state=False)
    (warning,) = diagnostics(result)
    assert warning[:3] == ("1.1-big.md", 9, "warning") and "MB" in warning[3]
    with zipfile.ZipFile(result.packages[0]) as zf:
        assert sorted(len(zf.read(n)) for n in lesson_media(zf)) == sorted([len(small), len(big)])


def test_each_reference_to_a_missing_image_is_reported_at_its_line(course, tmp_path):
    (course / "episode-1" / "1.1-twice.md").write_text(
        lesson("Twice?", "![a](img/nope.png)", "", "Text.", "", "![b](img/nope.png)"), encoding="utf-8")
    result = build_decks([course], tmp_path / "dist", use_state=False)
    assert [d[1] for d in diagnostics(result)] == [7, 11]


def test_absolute_path_after_a_similar_relative_one_is_reported_at_its_own_line(course, tmp_path):
    (course / "episode-1" / "1.1-abs.md").write_text(
        lesson("Paths?", "![a](../../etc/passwd)", "", "![b](/etc/passwd)"), encoding="utf-8")
    result = build_decks([course], tmp_path / "dist", use_state=False)
    assert [d[1] for d in diagnostics(result)] == [7, 9]


def test_media_problem_in_a_crlf_bom_file_names_the_right_line(course, tmp_path):
    text = lesson("CRLF?", "Text.", "", "More.", "", "![gone](img/nope.png)")
    (course / "episode-1" / "1.1-crlf.md").write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    result = build_decks([course], tmp_path / "dist", use_state=False)
    assert [d[:3] for d in diagnostics(result)] == [("1.1-crlf.md", 11, "error")]


def test_media_file_names_in_the_package_are_collision_free_across_many_lessons(course, tmp_path):
    """Twenty lessons, each with its own img/diagram.png of different bytes: twenty media files."""
    expected = set()
    for i in range(20):
        folder = course / f"episode-{3 + i}"
        (folder / "img").mkdir(parents=True)
        data = png_bytes((i, 255 - i, 7))
        expected.add(data)
        (folder / "img" / "diagram.png").write_bytes(data)
        (folder / f"{3 + i}.1-d.md").write_text(lesson(f"Diagram {i}?", "![d](img/diagram.png)"), encoding="utf-8")
    result = build_decks([course], tmp_path / "dist", use_state=False)
    assert diagnostics(result) == []
    with zipfile.ZipFile(result.packages[0]) as zf:
        import json
        names = lesson_media(zf).values()
        assert len(set(names)) == 20 and all(re.fullmatch(r"[0-9a-f]{8,}\.png", n) for n in names)
        assert {zf.read(n) for n in lesson_media(zf)} == expected


# --- only images are bundled, recognised by their content ------------------------------------------

GIF_1X1 = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
           b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")
JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 40 + b"\xff\xd9"
WEBP_HEAD = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
AVIF_HEAD = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 32


@pytest.mark.parametrize("name, data, ending", [
    ("a.gif", GIF_1X1, ".gif"), ("a.jpeg", JPEG_HEAD, ".jpeg"), ("a.webp", WEBP_HEAD, ".webp"),
    ("a.avif", AVIF_HEAD, ".avif"), ("a.png", png_bytes(), ".png"),
    ("photo", JPEG_HEAD, ".jpg"),  # no ending: named by what it is
    ("a.gif.png", GIF_1X1, ".gif"),  # a wrong ending is replaced by the right one
])
def test_images_are_bundled_by_their_content(tmp_path, name, data, ending):
    course = tmp_path / "course"
    course.mkdir()
    (course / name).write_bytes(data)
    (course / "1.1-a.md").write_text(lesson("Which?", f"![x]({name})"), encoding="utf-8")
    result = build_decks([course], tmp_path / "out", use_state=False)
    assert diagnostics(result) == []
    [(bundled, content)] = packaged_media(result.packages[0]).items()
    assert bundled.endswith(ending) and content == data


def packaged_media(package: Path) -> dict[str, bytes]:
    import json
    with zipfile.ZipFile(package) as archive:
        return {name: archive.read(key) for key, name in json.loads(archive.read("media")).items()
                if not name.startswith("_ankideploy-")}  # the course manifest is no card's image


@pytest.mark.parametrize("name, data", [
    ("page.html", b"<!doctype html><script>alert(1)</script>"),
    ("evil.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("fake.png", b"<html><body>not a picture</body></html>"),
    ("empty.png", b""),
    ("paper.pdf", b"%PDF-1.4 not a picture"),
])
def test_anything_but_an_image_is_refused_at_its_line(tmp_path, name, data):
    course = tmp_path / "course"
    (course / "img").mkdir(parents=True)
    (course / "img" / name).write_bytes(data)
    (course / "1.1-a.md").write_text(lesson("Which?", "Text first.", "", f"![x](img/{name})"), encoding="utf-8")
    result = build_decks([course], tmp_path / "out", use_state=False)
    assert diagnostics(result) == [("1.1-a.md", 9, "error", f"img/{name} is not an image (PNG, JPEG, GIF, WebP or"
                                                             " AVIF by its content); not bundled")]
    assert result.packages == []


def test_a_large_image_is_hashed_without_reading_it_whole(tmp_path, monkeypatch):
    course = tmp_path / "course"
    course.mkdir()
    (course / "big.png").write_bytes(png_bytes(padding=12 * 1024 * 1024))
    (course / "1.1-a.md").write_text(lesson("Which?", "![x](big.png)"), encoding="utf-8")
    reads = []
    real_read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: reads.append(self.name) or real_read_bytes(self))
    result = build_decks([course], tmp_path / "out", use_state=False, write=False)
    assert "big.png" not in reads
    assert [d[2] for d in diagnostics(result)] == ["warning"]
