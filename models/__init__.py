"""sscodec.models: model definitions and training code (owned by the model engineer)."""
