"""``lrlab predict``: a trained model on new CSV rows or images, from its model file alone."""
