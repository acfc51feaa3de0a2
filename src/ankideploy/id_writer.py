"""Writing id comments into a lesson file, changing no other byte.

The file is edited as bytes, line by line, each line keeping its own ending (LF, CRLF
or a lone CR, mixed as they come), its BOM, control characters and trailing spaces. An
id goes where its question's shape can carry it: on a line of its own under a heading,
at the end of a question line (bold line, ``Q:`` line, list item, bullet), inside the
``<summary>`` of a ``<details>`` block, or in the last cell of a table row. The result
replaces the real file (a symlink's target, with its mode); a file with several hard
links is rewritten in place so every link sees the ids.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from .atomic import write_atomically
from .lesson import IdSite

LINE_RE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n|$)")
ENDING_RE = re.compile(rb"(\r\n|\r|\n)$")
SUMMARY_CLOSE_RE = re.compile(rb"</summary", re.I)


def split_lines(data: bytes) -> list[bytes]:
    """The lines of ``data``, each with its own ending; line numbers as the readers count them."""
    lines = LINE_RE.findall(data)
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def insert_ids(data: bytes, ids: list[tuple[IdSite, str]]) -> bytes:
    """``data`` with an ``<!-- id: ... -->`` comment at each site; every other byte as it was."""
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    lines = split_lines(data[len(bom):])
    by_line = {site.line: (site.how, key) for site, key in ids}
    out = []
    for number, line in enumerate(lines, start=1):
        if number not in by_line:
            out.append(line)
            continue
        how, key = by_line[number]
        comment = f"<!-- id: {key} -->".encode()
        out.append(_with_id(line, how, comment, _ending(line) or _first_ending(lines)))
    return bom + b"".join(out)


def _ending(line: bytes) -> bytes:
    m = ENDING_RE.search(line)
    return m.group(1) if m else b""


def _first_ending(lines: list[bytes]) -> bytes:
    return next((e for e in map(_ending, lines) if e), b"\n")


def _with_id(line: bytes, how: str, comment: bytes, newline: bytes) -> bytes:
    ending = _ending(line)
    body = line[:len(line) - len(ending)]
    if how == "below":
        return body + (ending or newline) + comment + ending
    if how == "summary" and (m := SUMMARY_CLOSE_RE.search(body)):
        return body[:m.start()] + b" " + comment + body[m.start():] + ending
    if how == "row":
        return _in_row(body, comment) + ending
    content = body.rstrip(b" \t")
    return content + b" " + comment + body[len(content):] + ending


def _in_row(body: bytes, comment: bytes) -> bytes:
    """In the row's last cell: before the closing pipe, unless that pipe is escaped (``\\|``)."""
    content = body.rstrip(b" \t")
    trailing = body[len(content):]
    if content.endswith(b"|"):
        backslashes = len(content[:-1]) - len(content[:-1].rstrip(b"\\"))
        if backslashes % 2 == 0:
            return content[:-1].rstrip(b" \t") + b" " + comment + b" |" + trailing
    return content + b" " + comment + trailing


def write_in_place(path: Path, data: bytes) -> Path:
    """Replace the real file behind ``path`` (symlinks resolved) with ``data``, keeping its mode;
    returns the file written. Hard-linked files are rewritten in place so no link is split."""
    real = path.resolve()
    info = real.stat()
    if info.st_nlink > 1:
        with open(real, "r+b") as handle:
            handle.write(data)
            handle.truncate()
            handle.flush()
            os.fsync(handle.fileno())
        return real
    write_atomically(real, data, mode=info.st_mode & 0o7777)
    return real
