"""lrlab: reproducible linear and logistic regression lessons."""
