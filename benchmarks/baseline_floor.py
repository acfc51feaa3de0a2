#!/usr/bin/env python3
"""Baseline "floor": the same notes written straight with genanki from ready HTML.

    python benchmarks/baseline_floor.py NOTES.json -o OUT.apkg

NOTES.json holds the note types, decks and every note's rendered fields, tags
and deck, exported from a package the real build wrote (see
``bench_common.export_notes``). Nothing is parsed or rendered: this is the
cost of starting Python, loading genanki and writing the package, the least
any build of these notes can take in one process.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import genanki

from bench_common import write_decks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notes", type=Path)
    parser.add_argument("-o", "--out", type=Path, required=True)
    args = parser.parse_args(argv)
    data = json.loads(args.notes.read_text(encoding="utf-8"))
    models = {mid: genanki.Model(int(mid), m["name"], fields=[{"name": f} for f in m["fields"]],
                                 templates=m["templates"], css=m["css"])
              for mid, m in data["models"].items()}
    decks = {did: genanki.Deck(int(did), d["name"], d["desc"]) for did, d in data["decks"].items()}
    for note in data["notes"]:
        decks[note["deck"]].add_note(genanki.Note(models[note["model"]], note["fields"], tags=note["tags"],
                                                  guid=note["guid"]))
    return write_decks(decks, args.out, len(data["notes"]))


if __name__ == "__main__":
    sys.exit(main())
