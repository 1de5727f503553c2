"""The figure catalogue: every figure lrlab draws and when a variant gets it.

Each figure is one module of :mod:`lrlab.plotting.figures`, found here by listing that
package: its file name, the caption the report shows, a predicate on the variant (its model,
loss and data, never its name) and its drawing. ``train@<variant>`` draws
:func:`figures_for`; ``lesson_figures`` draws :data:`LESSON_FIGURES`; the report orders and
captions what it finds with :func:`ordered`. Nothing here imports matplotlib, so the report
stays light.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lrlab.plotting import figures

if TYPE_CHECKING:
    from lrlab.plotting.inputs import Inputs


@dataclass(frozen=True)
class Entry:
    """One figure: ``<name>.png`` in its owner's figure folder."""

    name: str
    caption: str
    applies: Callable[[Inputs], bool]
    draw: Callable[..., Any]  # (inputs) -> Figure for a variant figure, () -> Figure for a lesson's


def _entries() -> tuple[list[Entry], list[Entry]]:
    found: list[tuple[bool, int, Entry]] = []
    for info in pkgutil.iter_modules(figures.__path__):
        module = importlib.import_module(f"{figures.__name__}.{info.name}")
        lessons = getattr(module, "LESSONS", False)
        name = getattr(module, "NAME", info.name)
        applies = getattr(module, "applies", lambda c: False)
        found.append((lessons, module.ORDER, Entry(name, module.CAPTION, applies, module.draw)))
    found.sort(key=lambda item: item[1])
    return [e for lessons, _, e in found if not lessons], [e for lessons, _, e in found if lessons]


_variant, _lesson = _entries()
VARIANT_FIGURES: tuple[Entry, ...] = tuple(_variant)
LESSON_FIGURES: tuple[Entry, ...] = tuple(_lesson)


def figures_for(inputs: Inputs) -> list[Entry]:
    """The figures a variant gets, chosen by its model, loss and data."""
    return [entry for entry in VARIANT_FIGURES if entry.applies(inputs)]


def entry(name: str) -> Entry:
    """The variant figure ``name``."""
    return next(e for e in VARIANT_FIGURES if e.name == name)


def ordered(lessons: bool) -> list[tuple[str, str]]:
    """``(name, caption)`` of the lesson figures or of the variant figures, in order."""
    return [(e.name, e.caption) for e in (LESSON_FIGURES if lessons else VARIANT_FIGURES)]
