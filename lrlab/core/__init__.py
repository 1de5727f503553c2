"""What the stages after ``download`` share: the params schema and its error wording, binding
a variant to its data, the loss and model-kind tables, and the formats the stages hand each
other (prepared data, the model file, the readers of the pipeline's outputs). Built on
:mod:`lrlab.base`; only the model file's checks import torch."""
