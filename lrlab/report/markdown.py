"""Markdown table rows, shared by the report's sections."""

from __future__ import annotations

DASH = "—"


def row(cells: list[str]) -> str:
    """One table row; a ``|`` inside a cell is escaped."""
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def header(cells: list[str]) -> list[str]:
    """The header row and its separator."""
    return [row(cells), row(["---"] * len(cells))]
