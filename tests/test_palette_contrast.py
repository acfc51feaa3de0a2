"""The code palettes in cards.css, read as a browser would: every token colour of the light
and the night palette against the code background it is drawn on, at WCAG AA (4.5:1).

The CSS is parsed, so changing a colour (or dropping a night rule, which would let the
light colour leak into night mode) fails here before anyone sees it on a card.
"""
from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from ankideploy.diagnostics import Diagnostics
from ankideploy.render import Media, Renderer

AA = 4.5
CSS = resources.files("ankideploy.notetypes").joinpath("cards.css").read_text(encoding="utf-8")
NIGHT = (".nightMode", ".night_mode")
SELECTOR_RE = re.compile(r"^(?:(\.nightMode|\.night_mode)\s+)?\.hl(?:\s+\.([\w-]+))?$")
LANGUAGE_SAMPLES = {
    "yaml": "on:\n  push:\n    paths:\n      - 'services/**'  # comment\n    retries: 3\n",
    "bash": "#!/bin/bash\nset -euo pipefail\nfor f in *.log; do echo \"$f\" | grep -c ERROR; done  # count\n",
    "js": "const port = process.env.PORT || 3000;\n// start\napp.listen(port, () => console.log(`on ${port}`));\n",
    "ts": "interface User { id: number; name?: string }\nexport async function get(id: number): Promise<User> {\n"
          "  return await db.find(id); // one row\n}\n",
    "python": "@app.get('/health')\ndef health(self) -> dict:\n    \"\"\"Liveness.\"\"\"\n"
              "    return {'ok': True, 'n': 0x1F}\n",
    "json": '{"name": "api", "version": 2, "private": true, "deps": null}\n',
    "dockerfile": "FROM node:20-alpine AS builder\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci  # exact\n"
                  "USER node\nCMD [\"node\", \"dist/main.js\"]\n",
    "nginx": "server {\n    listen 443 ssl;\n    location / { proxy_pass http://127.0.0.1:3000; }  # app\n}\n",
    "sql": "SELECT id, name FROM users WHERE created_at > '2024-01-01' AND age >= 18; -- adults\n",
}


# --- Reading colours and computing contrast -----------------------------------------------------

def rgb(value: str) -> tuple[float, float, float]:
    value = value.strip().lower()
    m = re.fullmatch(r"#([0-9a-f]{3}|[0-9a-f]{6})", value)
    if m:
        digits = m.group(1)
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        return tuple(int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4))
    m = re.fullmatch(r"rgb\(\s*(\d+)[\s,]+(\d+)[\s,]+(\d+)\s*\)", value)
    if m:
        return tuple(int(g) / 255 for g in m.groups())
    raise ValueError(f"cannot read the colour {value!r}: use #rrggbb, #rgb or rgb()")


def luminance(value: str) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in rgb(value))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground: str, background: str) -> float:
    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def rules(css: str) -> list[tuple[list[str], dict[str, str]]]:
    """(selectors, declarations) of every rule; at-rule wrappers are skipped, their rules kept."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    found = []
    for selector_text, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        selectors = [s.strip() for s in selector_text.split(",") if s.strip()]
        declarations = {}
        for declaration in body.split(";"):
            if ":" in declaration:
                name, value = declaration.split(":", 1)
                declarations[name.strip().lower()] = value.strip()
        found.append((selectors, declarations))
    return found


def colour_of(declarations: dict[str, str], *names: str) -> str | None:
    for name in names:
        if name in declarations:
            return declarations[name].replace("!important", "").strip()
    return None


class Palettes:
    """The light palette, the two night spellings, and the colours of each token class in each mode."""

    def __init__(self, css: str):
        self.light: dict[str, dict[str, str]] = {}
        self.night: dict[str, dict[str, dict[str, str]]] = {".nightMode": {}, ".night_mode": {}}
        for selectors, declarations in rules(css):
            for selector in selectors:
                m = SELECTOR_RE.match(selector)
                if not m:
                    continue
                mode, token = m.group(1), m.group(2) or ""
                target = self.night[mode] if mode else self.light
                target.setdefault(token, {}).update(declarations)

    def text_on(self, mode: str, token: str) -> tuple[str, str]:
        """(colour, background) of ``token`` in ``mode`` ("light" or a night class), as the cascade
        resolves it: night rules win over light ones, light ones still apply at night."""
        layers = [self.light.get(token, {}), self.light[""]]
        if mode != "light":
            layers = [self.night[mode].get(token, {}), self.light.get(token, {}), self.night[mode][""],
                      self.light[""]]
        foreground = next(c for c in (colour_of(layer, "color") for layer in layers) if c)
        background = next(c for c in (colour_of(layer, "background-color", "background") for layer in layers)
                          if c)
        return foreground, background


@pytest.fixture(scope="module")
def palettes() -> Palettes:
    return Palettes(CSS)


# --- The tests ----------------------------------------------------------------------------------

def test_contrast_formula_matches_known_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic near miss
    assert contrast("#767676", "#ffffff") >= AA


def test_both_palettes_are_present_and_complete(palettes):
    light_tokens = set(palettes.light) - {""}
    assert len(light_tokens) >= 40, "the light palette was not found (or has shrunk)"
    assert colour_of(palettes.light[""], "background-color", "background"), ".hl needs a background"
    assert colour_of(palettes.light[""], "color"), ".hl needs a text colour"
    for mode in NIGHT:
        night = palettes.night[mode]
        assert colour_of(night.get("", {}), "background-color", "background"), f"{mode} .hl needs a background"
        assert colour_of(night.get("", {}), "color"), f"{mode} .hl needs a text colour"
        missing = sorted(light_tokens - set(night))
        assert not missing, f"light token colours with no {mode} rule leak into night mode: {missing}"
    assert palettes.night[".nightMode"] == palettes.night[".night_mode"], \
        "every night rule must name both .nightMode and .night_mode (older AnkiDroid uses the latter)"


@pytest.mark.parametrize("mode", ["light", *NIGHT])
def test_every_token_colour_meets_aa_on_its_code_background(palettes, mode):
    tokens = set(palettes.light) | set(palettes.night[".nightMode"])
    failures = []
    for token in sorted(tokens):
        foreground, background = palettes.text_on(mode, token)
        ratio = contrast(foreground, background)
        if ratio < AA:
            failures.append(f".hl .{token or '(plain text)'}: {foreground} on {background} = {ratio:.2f}:1")
    assert not failures, f"{mode}: token colours below {AA}:1:\n" + "\n".join(failures)


def test_night_code_background_is_dark_and_light_one_is_light(palettes):
    light_bg = palettes.text_on("light", "")[1]
    assert luminance(light_bg) > 0.8
    for mode in NIGHT:
        assert luminance(palettes.text_on(mode, "")[1]) < 0.05


def test_the_parser_sees_a_change_that_breaks_contrast():
    broken = CSS.replace(".nightMode .hl .c, .night_mode .hl .c { color: #7E8AA1 }",
                         ".nightMode .hl .c, .night_mode .hl .c { color: #3a4150 }")
    assert broken != CSS
    palettes = Palettes(broken)
    assert contrast(*palettes.text_on(".nightMode", "c")) < AA
    leaky = re.sub(r"^\.nightMode \.hl \.k, \.night_mode \.hl \.k \{[^}]*\}.*$", "", CSS, flags=re.M)
    palettes = Palettes(leaky)
    assert palettes.text_on(".night_mode", "k")[0].lower() == "#a90d91"  # the light keyword colour leaks


def test_night_rules_never_rely_on_an_ancestor_of_card_alone():
    """On the desktop .card and .nightMode are the same <body>: '.nightMode .card' alone never matches."""
    for selectors, _ in rules(CSS):
        joined = " ".join(selectors)
        for night in NIGHT:
            if f"{night} .card" in selectors:
                assert f".card{night}" in joined, f"'{night} .card' without '.card{night}': {selectors}"
        night_forms = [s for s in selectors if any(s.startswith(n + " ") or n + " " in s for n in NIGHT)]
        for selector in night_forms:
            twin = (selector.replace(".nightMode", "\0").replace(".night_mode", ".nightMode")
                    .replace("\0", ".night_mode"))
            assert twin in selectors, f"'{selector}' has no '{twin}' twin in the same rule"


def test_cards_load_nothing_from_the_network():
    notetypes = Path(resources.files("ankideploy.notetypes"))
    for path in sorted(notetypes.glob("*.html")) + [notetypes / "cards.css"]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"@import|url\(|https?://|//fonts\.|<link|<script\s+src", text, re.I), path.name


# --- Highlighting at build time -----------------------------------------------------------------

def render(markdown_text: str) -> tuple[str, Diagnostics]:
    diags = Diagnostics()
    here = Path(__file__).resolve().parent
    return Renderer("lesson.md", here, here, diags, Media()).block(markdown_text, 1), diags


@pytest.mark.parametrize("language", sorted(LANGUAGE_SAMPLES))
def test_each_language_is_highlighted_and_every_token_it_emits_meets_aa(palettes, language):
    html_text, diags = render(f"```{language}\n{LANGUAGE_SAMPLES[language]}```\n")
    assert not diags.items
    assert html_text.startswith('<div class="hl"><pre>'), html_text[:80]
    classes = set(re.findall(r'<span class="([\w-]+)"', html_text))
    assert len(classes) >= 3, f"{language}: hardly highlighted ({sorted(classes)})"
    for mode in ("light", *NIGHT):
        for token in sorted(classes):
            foreground, background = palettes.text_on(mode, token)
            assert contrast(foreground, background) >= AA, \
                f"{language} .{token} in {mode}: {foreground} on {background}"


@pytest.mark.parametrize("fence", ["```klingon", "```", "```no-such-lexer-at-all"])
def test_unknown_or_missing_language_is_plain_code_never_an_error(fence):
    html_text, diags = render(f"{fence}\nqapla' = 1 <> 2 & 3\n```\n")
    assert not diags.items
    assert "<pre>" in html_text and "qapla" in html_text and "&lt;&gt; 2 &amp; 3" in html_text
