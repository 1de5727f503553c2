"""``lrlab``: the project's commands that are not pipeline stages (those run under
``dvc repro`` as ``python -m stages.<name>``).

    lrlab gate [--rev REV] ...        fail when metrics got worse than at a git revision
    lrlab seeds VARIANT [--metric ...] mean ± std over a seed sweep of DVC experiments
    lrlab predict VARIANT --input ...  a trained model on new CSV rows or images

Each command is one module, ``lrlab/commands/<name>.py`` (see :mod:`lrlab.commands`), named
in :data:`COMMANDS`. :func:`main` is the console script: a problem the user can fix is one
paragraph ``error (<command>): ...`` and exit 1, Ctrl-C exits 130 (:mod:`lrlab.base.entrypoint`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from types import ModuleType

from lrlab.base.entrypoint import run

COMMANDS = ("gate", "seeds", "predict", "sweep")  # a new command: its module, and its name here


def command_module(name: str) -> ModuleType:
    return importlib.import_module(f"lrlab.commands.{name}")


def build_parser() -> argparse.ArgumentParser:
    """``lrlab``'s parser: one subparser per command, its help from the module docstring."""
    parser = argparse.ArgumentParser(
        prog="lrlab",
        description="Commands of lrlab that are not pipeline stages. "
        "`lrlab <command> --help` describes one.",
    )
    commands = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    for name in COMMANDS:
        module = command_module(name)
        doc = (module.__doc__ or "").strip()
        sub = commands.add_parser(
            name,
            help=doc.splitlines()[0] if doc else None,
            description=doc,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def dispatch(argv: list[str]) -> None:
    """Parse ``argv`` (``["gate", "--rev", "HEAD"]``) and run that command; its errors are
    raised, not printed (:func:`main` prints them)."""
    args = build_parser().parse_args(argv)
    args.run(args)


def main(argv: list[str] | None = None) -> None:
    """The ``lrlab`` console script: :func:`dispatch` with one-paragraph errors."""
    args = sys.argv[1:] if argv is None else argv
    name = args[0] if args and args[0] in COMMANDS else "lrlab"
    run(dispatch, args, name=name, exiting=argv is None)  # None: the console script


if __name__ == "__main__":
    main()
