"""Figures of the lessons, drawn with matplotlib's object API (no pyplot, no global state).

The figure modules (``curves``, ``lines``, ``boundary``, ``images``) take arrays and plain
values and return a :class:`matplotlib.figure.Figure`, reading and writing nothing.
:mod:`~lrlab.plotting.catalogue` says which figures a variant gets, :mod:`~lrlab.plotting.draw`
how each is drawn from the variant's :mod:`~lrlab.plotting.inputs`, and
:mod:`~lrlab.plotting.render` writes them, as PNGs, into one folder atomically.
"""
