// placeholder, replaced by the model wrapper
