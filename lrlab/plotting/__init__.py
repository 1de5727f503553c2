"""Figures of the lessons, drawn with matplotlib's object API (no pyplot, no global state).

Every figure function takes arrays and plain values and returns a
:class:`matplotlib.figure.Figure`; :func:`lrlab.plotting.common.to_png` renders it to PNG
bytes, which the ``plots`` stage writes atomically. Nothing here reads or writes files.
:mod:`lrlab.plotting.plan` decides which figures each variant gets and where they go.
"""
