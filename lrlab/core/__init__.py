"""What every stage shares: the params schema and its error wording, binding a variant to its
data, the loss and model-kind tables, paths, atomic files, the prepared-data and model-file
formats, the readers of the pipeline's outputs and the stages' entry wrapper. Only the
model file's checks import torch. A stage depends on this folder as a whole."""
