"""The two note types. Templates and CSS are the files beside this module;
``notetypes.json`` names each type and its fields (the order is the schema)."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources

from .. import identity

SAY_ALOUD_RE = re.compile(r"<!--say-aloud-->.*?<!--/say-aloud-->", re.S)
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


def load(say_aloud: bool = True) -> dict[str, NoteType]:
    spec = json.loads(_read("notetypes.json"))
    css = _read("cards.css")
    types = {}
    for kind, entry in spec.items():
        front = _read(entry["front"])
        front = SAY_ALOUD_RE.sub(lambda m: m.group(0) if say_aloud else "", front)
        types[kind] = NoteType(kind, IDS[kind], entry["name"], tuple(entry["fields"]),
                               entry["template"], front, _read(entry["back"]), css)
    return types
