"""Getting a dataset's raw files: its pinned sources (:mod:`~lrlab.datasets.fetch.sources`),
the verified download (:mod:`~lrlab.datasets.fetch.download`) and the raw folder the
``download`` stage writes (:mod:`~lrlab.datasets.fetch.raw`). The ``download`` stage depends
on this folder, :mod:`lrlab.base` and its dataset's kind module alone, so no edit of the params
schemas or of the preparing code fetches a dataset again."""
