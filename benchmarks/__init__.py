"""sscodec.benchmarks: micro-benchmarks (run as ``python -m sscodec.benchmarks.<name>``)."""
