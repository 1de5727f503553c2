"""The exact optimum of each variant's own objective (:mod:`~lrlab.reference.solve`), from
NumPy/SciPy heads of the losses (:mod:`~lrlab.reference.objectives`), independent of torch.
The ``reference`` stage depends on this folder and :mod:`lrlab.core`."""
