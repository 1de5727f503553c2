"""The one exception type lrlab raises for problems a user can fix.

Stages catch :class:`LrlabError`, print its message (what went wrong, where, and how to
fix it) and exit non-zero, so a user never sees a traceback from deep inside a library.
"""


class LrlabError(Exception):
    """A problem with input, data or environment that the user can act on."""


class ConfigError(LrlabError):
    """params.yaml holds a value lrlab cannot use."""


def invalid_values(lines: list[str]) -> ConfigError:
    """The one message for one or more bad params.yaml values, each line naming its key (worded
    by :mod:`lrlab.core.params_errors`, or by a dataset kind's registry)."""
    return ConfigError(
        "params.yaml has invalid values:\n  "
        + "\n  ".join(lines)
        + "\nFix them in params.yaml (or in your `dvc exp run -S` overrides) and rerun."
    )


class DataError(LrlabError):
    """A dataset could not be fetched, verified or parsed."""


class TrainingError(LrlabError):
    """Training could not produce a usable model (for example, the loss diverged)."""


class WriteError(LrlabError):
    """An output could not be written (disk full, read-only, no permission...)."""
