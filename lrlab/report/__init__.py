"""report.md: what it is made from (:mod:`~lrlab.report.inputs`), the table and sections it
holds (:mod:`~lrlab.report.build`), the seed-sweep and printed-loss tables, and the lessons'
published figures. The ``report`` stage depends on this folder, :mod:`lrlab.core` and
:mod:`lrlab.plotting`."""
