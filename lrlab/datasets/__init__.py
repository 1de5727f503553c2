"""Every dataset: its kind's module (:mod:`lrlab.datasets.kinds`) and the machinery the kinds
share: sources and verified download, readers, splitting and scaling, the prepared format."""
