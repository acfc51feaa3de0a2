"""Lists and quotes as authors nest them, made ready for python-markdown.

Authors (and GitHub) nest list items with two or three spaces; python-markdown
needs four. ``normalise_lists`` re-indents them; ``nesting_depth`` measures how
deep lists and quotes go, so the renderer can refuse what would recurse too far
before any Markdown work starts. Both are single passes over the lines.
"""
from __future__ import annotations

import re

NESTED_ITEM_RE = re.compile(r"^ {1,3}(?:[-*+]|\d+[.)]) ", re.M)
LIST_MARKER_RE = re.compile(r"^( *)([-*+]|\d+[.)])( +|$)")
FENCE_LINE_RE = re.compile(r"^\s*(`{3,}|~{3,})")


def normalise_lists(text: str) -> str:
    """Re-indent list items to python-markdown's four spaces a level.

    Authors (and GitHub) nest with two or three spaces, CommonMark style; python-
    markdown needs four, or the nested items silently flatten into the parent list.
    """
    out, stack, fence = [], [], ""  # stack: (content column in source, depth)
    for line in text.split("\n"):
        if not line.strip():
            out.append(line)
            continue
        indent = len(line) - len(line.lstrip(" "))
        while stack and indent < stack[-1][0]:
            stack.pop()
        marker = None if fence else LIST_MARKER_RE.match(line)
        fence_match = FENCE_LINE_RE.match(line)
        if fence_match:
            fence = "" if fence and fence_match.group(1)[0] == fence[0] else (fence or fence_match.group(1))
        if marker and (stack or indent < 4):
            depth = len(stack)
            content = indent + len(marker.group(2)) + max(1, len(marker.group(3)))
            stack.append((content, depth))
            out.append(" " * (4 * depth) + line.lstrip(" "))
        elif stack:
            source_column, depth = stack[-1]
            out.append(" " * (4 * (depth + 1) + indent - source_column) + line.lstrip(" "))
        else:
            out.append(line)
    return "\n".join(out)



def nesting_depth(text: str) -> int:
    """Deepest list (by indentation) or quote (by '>') in the text, roughly."""
    depth = 0
    for line in text.split("\n"):
        stripped = line.lstrip(" \t")
        indent = len(line) - len(stripped)
        if LIST_MARKER_RE.match(stripped):
            depth = max(depth, indent // 2 + 1)
        if stripped.startswith(">"):
            depth = max(depth, len(stripped) - len(stripped.lstrip("> ")))
    return depth
