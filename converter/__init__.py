"""sscodec.converter: export of trained models to TFLite/LiteRT graphs."""
