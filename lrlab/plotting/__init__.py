"""Figures of the lessons, drawn with matplotlib's object API (no pyplot, no global state).

The drawing modules (``curves``, ``lines``, ``boundary``, ``images``) take arrays and plain
values and return a :class:`matplotlib.figure.Figure`, reading and writing nothing. Each
figure is one module of :mod:`~lrlab.plotting.figures` (when a variant gets it, and how it is
drawn from the variant's :mod:`~lrlab.plotting.inputs`); :mod:`~lrlab.plotting.catalogue`
finds them, and :mod:`~lrlab.plotting.render` writes them, as PNGs, into one folder
atomically.
"""
