"""``lessons.yaml``: the lesson texts and what each variant's lesson published or printed,
parsed once into typed objects (a problem names the key and what is expected)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from lrlab.base.errors import LrlabError


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Lesson(_Strict):
    file: str
    topic: str


class Published(_Strict):
    lesson: str
    published: str
    correction: str | None = None  # where the printed number comes from a bug in the lesson
    deviation: str | None = None  # where lrlab's setting differs on purpose, and how to undo
    values: dict[str, float] = {}
    printed_losses: dict[int, str] = {}  # epoch -> training loss as printed ("0.39010")
    # epoch -> {step: that mini-batch's loss as printed}: lesson 001 prints every 100th batch
    printed_step_losses: dict[int, dict[int, str]] = {}
    source: Literal["lesson", "typical"] = "lesson"


class LessonsFile(_Strict):
    """``lessons.yaml``: the lesson texts and what each variant's lesson published."""

    lessons: dict[str, Lesson]
    variants: dict[str, Published]


def parse_lessons(raw: Any, source: str = "lessons.yaml") -> LessonsFile:
    """Validate the parsed YAML; a problem names the key and what is expected."""
    try:
        parsed = LessonsFile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '(top level)'}: {e['msg']}" for e in exc.errors()
        )
        raise LrlabError(f"{source}: {problems}. See the comment at the top of the file.") from None
    for key, entry in parsed.variants.items():
        if entry.lesson not in parsed.lessons:
            raise LrlabError(
                f"{source}: variants.{key}.lesson = '{entry.lesson}' is not one of the "
                f"lessons listed ({', '.join(parsed.lessons)})."
            )
    return parsed
