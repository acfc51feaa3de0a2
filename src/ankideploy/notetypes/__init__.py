"""The two note types. Templates and CSS are the files beside this module;
``notetypes.json`` names each type and its fields (the order is the schema).

The interview question side carries the "say it aloud" drill between ``<!--say-aloud-->``
markers (the add-on puts its panel there; ``--no-say-aloud`` drops it) with its speaking
time in ``data-seconds`` (``build --speak-seconds N``; 0 shows no timer)."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources

from .. import identity

SAY_ALOUD_RE = re.compile(r"<!--say-aloud-->.*?<!--/say-aloud-->", re.S)
SPEAK_SECONDS = "__SPEAK_SECONDS__"
MAX_SPEAK_SECONDS = 3600
IDS = {"interview": identity.INTERVIEW_NOTETYPE_ID, "quick-fire": identity.QUICK_FIRE_NOTETYPE_ID}


@dataclass(frozen=True)
class NoteType:
    kind: str
    id: int
    name: str
    fields: tuple[str, ...]
    template: str
    front: str
    back: str
    css: str

    def signature(self) -> str:
        return identity.content_hash(self.name, self.fields, self.template, self.front, self.back, self.css)


def _read(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def load(say_aloud: bool = True, speak_seconds: int = 0) -> dict[str, NoteType]:
    if not 0 <= speak_seconds <= MAX_SPEAK_SECONDS:
        raise ValueError(f"speaking time must be 0 to {MAX_SPEAK_SECONDS} seconds, not {speak_seconds}")
    spec = json.loads(_read("notetypes.json"))
    css = _read("cards.css")
    types = {}
    for kind, entry in spec.items():
        front = _read(entry["front"])
        front = SAY_ALOUD_RE.sub(lambda m: m.group(0) if say_aloud else "", front)
        front = front.replace(SPEAK_SECONDS, str(int(speak_seconds)))
        types[kind] = NoteType(kind, IDS[kind], entry["name"], tuple(entry["fields"]),
                               entry["template"], front, _read(entry["back"]), css)
    return types
