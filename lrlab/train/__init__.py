"""Training and evaluating one variant: the models, the torch losses, the loop, the seed
sweep, metrics and the live history. The ``train`` stage depends on this folder,
:mod:`lrlab.core` and :mod:`lrlab.plotting` (it draws the variant's figures)."""
