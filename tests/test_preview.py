"""``ankideploy preview``: a static gallery of every card, rendered by Anki's template engine.

The gallery is checked as files (what was written, that each page holds exactly what
Anki rendered, that nothing is fetched) and, where Chromium is installed, as a page in
a browser (search, level and tag filters, the light/dark and phone toggles, --png).
"""
from __future__ import annotations

import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from ankideploy.cli import main
from conftest import CONTENT, require
from test_cards_browser import CHROMIUM, browser, render_lesson, write_wide_lesson  # noqa: F401 (fixture)

REPO = Path(__file__).resolve().parent.parent


def preview(*args, env=None):
    return CliRunner().invoke(main, ["preview", *map(str, args)], env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    """The gallery of content/ (lesson 6.9), written once for the module."""
    require("anki")
    out = tmp_path_factory.mktemp("preview") / "out"
    result = preview(CONTENT, "-o", out)
    assert result.exit_code == 0, result.output
    return out, result.output


def entries(index_html: str) -> list[dict]:
    found = re.findall(r'<article class="g-card" id="card-(\d+)" data-level="([^"]*)" data-tags="([^"]*)"'
                       r' data-text="([^"]*)"', index_html)
    return [{"stem": s, "level": level, "tags": tags.split(), "text": text} for s, level, tags, text in found]


def test_gallery_has_every_card_front_and_back(gallery):
    out, output = gallery
    assert f"wrote {out / 'index.html'}: 21 cards (11 interview, 10 quick-fire)" in output
    index = (out / "index.html").read_text(encoding="utf-8")
    cards = entries(index)
    assert [c["stem"] for c in cards] == [f"{n:04d}" for n in range(1, 22)]
    levels = [c["level"] for c in cards]
    assert levels == ["Beginner"] * 4 + ["Intermediate"] * 4 + ["Advanced"] * 3 + ["Quick-fire"] * 10
    assert all("lesson::6.9" in c["tags"] for c in cards)
    pages = sorted(p.name for p in (out / "cards").glob("*.html"))
    assert pages == sorted(f"{n:04d}-{side}.html" for n in range(1, 22) for side in ("front", "back"))
    for option in ("Beginner", "Intermediate", "Advanced", "Quick-fire", "quick-fire", "level::advanced"):
        assert f'<option value="{option}">' in index
    for control in ('id="g-search"', 'id="g-level"', 'id="g-tag"', 'id="g-dark"', 'id="g-phone"'):
        assert control in index


def test_each_page_holds_what_anki_rendered(gallery, tmp_path):
    out, _ = gallery
    rendered = render_lesson([CONTENT], tmp_path)
    for number, card in enumerate(rendered, 1):
        for side in ("front", "back"):
            page = (out / "cards" / f"{number:04d}-{side}.html").read_text(encoding="utf-8")
            assert card[side] in page, f"card {number} {side} differs from Anki's render_output()"
            assert f'<body class="card card{card["ord"] + 1}">' in page
            style = re.search(r'<link rel="stylesheet" href="\.\./cards/(style-\d+\.css)">', page).group(1)
            assert (out / "cards" / style).read_text(encoding="utf-8") == card["css"]
    q9 = (out / "cards" / "0009-back.html").read_text(encoding="utf-8")
    # Q9's YAML block is its example: the Check yourself part points at it
    assert '<div class="hl ad-say-target" id="ad-say-example"><pre>' in q9 and "services/user-service/**" in q9
    assert "id=\"ad-say-aloud\"" in (out / "cards" / "0001-front.html").read_text(encoding="utf-8")


def test_gallery_opens_from_the_file_system(gallery):
    """No server: nothing fetched, no remote address, every link relative."""
    out, _ = gallery
    files = [out / "index.html", *sorted((out / "cards").iterdir())]
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\bfetch\(|XMLHttpRequest|\bimport\(|@import|url\(", text), path.name
        assert not re.search(r"""\b(?:src|srcdoc|data)=["']?(?:https?:)?//|<link[^>]*href=["']?(?:https?:)?//""",
                             text), path.name
    index = (out / "index.html").read_text(encoding="utf-8")
    sources = re.findall(r'<iframe class="g-frame" src="([^"]+)"', index)
    assert len(sources) == 42 and all(re.fullmatch(r"cards/\d{4}-(front|back)\.html", s) for s in sources)
    assert "<script src" not in index and '<link rel="stylesheet"' not in index  # inline


def test_rerun_replaces_the_pages_of_an_earlier_preview(tmp_path):
    require("anki")
    out = tmp_path / "out"
    assert preview(CONTENT, "-o", out).exit_code == 0
    (out / "notes.txt").write_text("mine")
    result = preview(write_wide_lesson(tmp_path / "content"), "-o", out)
    assert result.exit_code == 0, result.output
    assert "2 cards (1 interview, 1 quick-fire), 1 media file" in result.output
    assert sorted(p.name for p in (out / "cards").glob("*.html")) == [
        "0001-back.html", "0001-front.html", "0002-back.html", "0002-front.html"]
    assert (out / "notes.txt").read_text() == "mine"  # only what preview names is replaced
    media = list((out / "media").iterdir())
    assert len(media) == 1 and media[0].suffix == ".png"
    assert f'src="{media[0].name}"' in (out / "cards" / "0001-back.html").read_text(encoding="utf-8")


def test_content_errors_are_reported_and_fail(tmp_path):
    require("anki")
    root = write_wide_lesson(tmp_path / "content")
    (root / "episode-9-stress" / "wide.png").unlink()
    result = preview(root, "-o", tmp_path / "out")  # the runner's output holds stderr too
    assert result.exit_code == 1
    assert "9.1-interview-questions.md:" in result.output and "image wide.png not found" in result.output
    assert "error: no cards to preview" in result.output


def test_without_anki_it_says_how_to_install_it(tmp_path):
    code = ("import sys; sys.modules['anki'] = None; from ankideploy.cli import main;"
            f" sys.argv = ['ankideploy', 'preview', {str(CONTENT)!r}, '-o', {str(tmp_path / 'out')!r}]; main()")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: preview needs the anki package, which is not installed: pip install anki"]
    assert result.stdout == "" and not (tmp_path / "out").exists()


def test_png_without_chromium_says_so_and_still_writes_the_gallery(tmp_path):
    require("anki")
    empty = tmp_path / "bin"
    empty.mkdir()
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "ankideploy", "preview", str(CONTENT), "-o", str(out), "--png"],
                            capture_output=True, text=True, timeout=120, cwd=REPO,
                            env={"PATH": str(empty), "HOME": str(tmp_path), "LANG": "C.UTF-8"})
    assert result.returncode == 1
    assert "21 cards" in result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --png needs Chromium, which was not found"), result.stderr
    assert "apt install chromium" in lines[0] and "without screenshots" in lines[0]
    assert (out / "index.html").is_file() and not (out / "png").exists()


def test_chromium_can_be_named_by_environment(monkeypatch, tmp_path):
    from ankideploy.preview import find_chromium
    fake = tmp_path / "my-chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("ANKIDEPLOY_CHROMIUM", str(fake))
    assert find_chromium() == str(fake)
    monkeypatch.setenv("ANKIDEPLOY_CHROMIUM", str(tmp_path / "missing"))
    assert find_chromium() is None


# --- In a browser -------------------------------------------------------------------------------

def first_pixel(png: bytes) -> tuple[int, int, int]:
    """The top-left pixel of an 8-bit RGB(A) PNG (the first pixel of the first row needs no unfiltering)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    data, pos = b"", 8
    while pos < len(png):
        length = int.from_bytes(png[pos:pos + 4], "big")
        kind = png[pos + 4:pos + 8]
        if kind == b"IDAT":
            data += png[pos + 8:pos + 8 + length]
        pos += 12 + length
    raw = zlib.decompressobj().decompress(data, 16)
    return raw[1], raw[2], raw[3]


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


@pytest.mark.browser
def test_png_screenshots_of_every_side_phone_and_desktop_light_and_dark(browser, tmp_path):
    require("anki")
    out = tmp_path / "out"
    result = preview(write_wide_lesson(tmp_path / "content"), "-o", out, "--png",
                     env={"ANKIDEPLOY_CHROMIUM": CHROMIUM})
    assert result.exit_code == 0, result.output
    assert f"wrote 16 screenshots to {out / 'png'}" in result.output
    shots = sorted(p.name for p in (out / "png").iterdir())
    assert shots == sorted(f"{n:04d}-{side}-{kind}.png" for n in (1, 2) for side in ("front", "back")
                           for kind in ("phone-light", "phone-dark", "desktop-light", "desktop-dark"))
    for name in shots:
        path = out / "png" / name
        width, height = png_size(path)
        assert width == (720 if "phone" in name else 1024)  # phones at a pixel ratio of 2
        assert height >= (1280 if "phone" in name else 768)
        pixel = first_pixel(path.read_bytes())
        if name.endswith("-dark.png"):
            assert pixel == (13, 17, 23), (name, pixel)
        else:
            assert pixel == (255, 255, 255), (name, pixel)
    back = out / "png" / "0001-back-phone-light.png"
    assert png_size(back)[1] > png_size(out / "png" / "0001-front-phone-light.png")[1]  # the whole card
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<a href="png/0001-back-phone-dark.png">phone-dark</a>' in index


@pytest.mark.browser
def test_gallery_search_filters_and_toggles_in_a_browser(browser, gallery):
    out, _ = gallery
    index = (out / "index.html").read_text(encoding="utf-8")
    cards = entries(index)
    page = browser.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.set_viewport_size({"width": 1400, "height": 900})
        page.goto((out / "index.html").as_uri())
        count = page.locator("#g-count")
        assert count.text_content() == "21 of 21 cards"

        page.fill("#g-search", "nginx")
        expected = sum("nginx" in c["text"] for c in cards)
        assert 0 < expected < 21
        assert count.text_content() == f"{expected} of 21 cards"
        page.fill("#g-search", "nginx SSL")
        assert count.text_content() == f"{sum('nginx' in c['text'] and 'ssl' in c['text'] for c in cards)} of 21 cards"
        page.fill("#g-search", "no card says this")
        assert count.text_content() == "0 of 21 cards" and page.is_visible("#g-none")
        page.fill("#g-search", "")

        page.select_option("#g-level", "Advanced")
        assert count.text_content() == "3 of 21 cards"
        assert page.locator(".g-card:visible").count() == 3
        page.select_option("#g-level", "")
        page.select_option("#g-tag", "quick-fire")
        assert count.text_content() == "10 of 21 cards"
        page.select_option("#g-tag", "")

        first = page.frame_locator("#card-0001 iframe >> nth=1")  # the back of card 1
        first.locator(".ad-answer").wait_for()
        page.wait_for_function("parseFloat(document.querySelector('#card-0001 .g-frame').style.height) > 100")
        frame = next(f for f in page.frames if f.url.endswith("0001-front.html"))

        page.check("#g-dark")
        frame.wait_for_function("document.body.classList.contains('nightMode')")
        assert frame.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(13, 17, 23)"
        assert page.evaluate("document.body.classList.contains('g-dark')")
        assert page.get_attribute("#card-0021 .g-open", "href").endswith("#dark")

        page.check("#g-phone")
        frame.wait_for_function("document.documentElement.classList.contains('mobile')")
        assert frame.evaluate("innerWidth") == 360
        assert frame.evaluate("document.body.className") == "card card1 night_mode nightMode"
        page.uncheck("#g-dark")
        page.uncheck("#g-phone")
        frame.wait_for_function("document.body.className === 'card card1'")
        assert frame.evaluate("innerWidth") > 600
    finally:
        page.close()
    assert all(url.startswith(("file:", "about:", "data:")) for url in requests), requests


def test_png_without_playwright_says_which_extra_to_install(tmp_path):
    """--png drives Chromium with Playwright, an optional extra: without it, one line says what to install."""
    require("anki")
    blocker = tmp_path / "site"
    (blocker / "playwright").mkdir(parents=True)
    (blocker / "playwright" / "__init__.py").write_text("raise ImportError('blocked for this test')\n")
    fake = tmp_path / "bin" / "chromium"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    out = tmp_path / "out"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8", "PYTHONPATH": str(blocker),
           "ANKIDEPLOY_CHROMIUM": str(fake)}
    result = subprocess.run([sys.executable, "-m", "ankideploy", "preview", str(CONTENT), "-o", str(out), "--png"],
                            capture_output=True, text=True, timeout=120, cwd=REPO, env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'ankideploy[png]'" in lines[0], result.stderr
    assert (out / "index.html").is_file() and not list((out / "png").glob("*.png"))
