#!/usr/bin/env python3
"""Baseline "floor": the same notes written again from ready HTML, nothing parsed or rendered.

    python benchmarks/baseline_floor.py NOTES.json -o OUT.apkg [--writer genanki|ankideploy]

NOTES.json holds the note types, decks, media files and every note's rendered
fields, tags and deck, exported from a package the real build wrote (see
``bench_common.export_notes``). Two writers can put them in a package:

- ``genanki`` (default): genanki's own ``Package.write_to_file``, as a
  straightforward script would (no compression of the collection);
- ``ankideploy``: the build's own package writer (``ankideploy.package``), with
  the same note types, modification times and new-card order, so its package
  is the build's package byte for byte.

Either is the cost of starting Python, loading the writer and writing the
package: the least any build of these notes can take in one process. The
benchmark times both and calls the faster one the floor.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from bench_common import write_decks


def with_genanki(data: dict, out: Path) -> int:
    import genanki
    models = {mid: genanki.Model(int(mid), m["name"], fields=[{"name": f} for f in m["fields"]],
                                 templates=m["templates"], css=m["css"])
              for mid, m in data["models"].items()}
    decks = {did: genanki.Deck(int(did), d["name"], d["desc"]) for did, d in data["decks"].items()}
    for note in data["notes"]:
        decks[note["deck"]].add_note(genanki.Note(models[note["model"]], note["fields"], tags=note["tags"],
                                                  guid=note["guid"]))
    media = [str(Path(data["media_dir"]) / name) for name in data["media"]]
    return write_decks(decks, out, len(data["notes"]), media)


@dataclass
class _Note:
    """What ankideploy's package writer reads of a note (a subset of ``ankideploy.notes.NoteSpec``)."""

    kind: str
    guid: str
    fields: list[str]
    tags: list[str]
    deck: str
    sort: tuple[str, int]  # ankideploy.note_spec.sorting_of(fields[0])

    def sorting(self) -> tuple[str, int]:
        return self.sort


def with_ankideploy(data: dict, out: Path) -> int:
    from ankideploy import notetypes
    from ankideploy.note_spec import sorting_of
    from ankideploy.package import PackageNote, write_package

    types = notetypes.load(say_aloud=True)
    kind_of = {str(t.id): kind for kind, t in types.items()}
    mods = {kind_of[mid]: m["mod"] for mid, m in data["models"].items()}
    deck_names = {did: d["name"] for did, d in data["decks"].items()}
    notes = [PackageNote(_Note(kind_of[n["model"]], n["guid"], n["fields"], n["tags"], deck_names[n["deck"]],
                               sorting_of(n["fields"][0])), n["mod"], position)
             for position, n in enumerate(data["notes"], 1)]
    descriptions = {d["name"]: d["desc"] for d in data["decks"].values() if d["desc"]}
    media = {name: Path(data["media_dir"]) / name for name in data["media"]}
    write_package(out, notes, types, mods, descriptions, media)
    print(f"wrote {len(notes)} notes in {len({n.spec.deck for n in notes})} decks to {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notes", type=Path)
    parser.add_argument("-o", "--out", type=Path, required=True)
    parser.add_argument("--writer", choices=("genanki", "ankideploy"), default="genanki")
    args = parser.parse_args(argv)
    data = json.loads(args.notes.read_text(encoding="utf-8"))
    write = with_genanki if args.writer == "genanki" else with_ankideploy
    return write(data, args.out)


if __name__ == "__main__":
    sys.exit(main())
