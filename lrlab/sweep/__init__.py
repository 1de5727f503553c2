"""``lrlab sweep``: a grid of DVC experiments run as Ray tasks, on one machine or a cluster.

- :mod:`.grid`: the configurations (``-S`` settings as ``dvc exp run -S`` reads them), checked
  against params.yaml's schema before any task starts;
- :mod:`.workspace`: what is swept (the commit on the git remote plus the workspace's
  uncommitted changes) and the checks that it can be;
- :mod:`.task`: one configuration on a worker: clone, pull, ``dvc exp run``, push;
- :mod:`.driver`: the tasks on Ray, their progress, retries and cancellation;
- :mod:`.table`: the closing table, like ``dvc exp show --only-changed``;
- :mod:`.console`: the command's output, :func:`run_sweep`.
"""
