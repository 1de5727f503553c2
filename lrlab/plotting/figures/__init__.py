"""One module per figure: its ``CAPTION``, its ``ORDER`` in the catalogue and the report,
``applies(inputs)`` (which variants get it, by their model, loss and data) and
``draw(inputs) -> Figure``; a lesson figure sets ``LESSONS = True`` (and ``NAME``) and draws
from nothing. :mod:`lrlab.plotting.catalogue` finds every module here: a new figure is a new
file. Modules import matplotlib only inside ``draw``, so reading the catalogue stays light.
"""
