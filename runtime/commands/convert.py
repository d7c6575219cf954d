"""Convert a trained model directory into per-frame TFLite graphs.

MODEL_DIR is what the trainer exports (config.json + generator.weights.npz,
e.g. ``RUN_DIR/export`` or the shipped ``models/speech16k/keras``). OUT_DIR must
not exist; it receives encoder.tflite, rvq_encode.tflite, rvq_decode.tflite,
decoder.tflite and manifest.json, or nothing at all if anything fails.

Needs the training extra (TensorFlow): pip install 'sscodec[train]'.
"""

from __future__ import annotations

from sscodec.manifest import INT8_DECODER_CHOICES

HELP = "convert a trained model to state-carrying per-frame TFLite graphs"


def add_arguments(p):
    p.add_argument("model_dir", help="trained model directory (config.json + generator.weights.npz)")
    p.add_argument("out_dir", help="output folder for the graphs (must not exist)")
    p.add_argument(
        "--precision",
        choices=["float32", "dynamic-int8", "int8"],
        default="float32",
        help="float32; dynamic-int8 (int8 weights, float activations); int8 (int8 weights, full-integer encoder "
        "calibrated on --calibration audio, decoder as --int8-decoder). RVQ graphs stay float32 in every precision.",
    )
    p.add_argument(
        "--int8-decoder", choices=INT8_DECODER_CHOICES, default="dynamic-int8",
        help="decoder precision with --precision int8: dynamic-int8 (default: int8 weights, float activations; "
        "8-bit activations cost audible quality), int8 (full integer, e.g. for integer-only accelerators) or "
        "int8-float-out (integer except the output conv, which keeps the audio off an 8-bit grid)",
    )
    p.add_argument("--calibration", metavar="AUDIO_DIR", help="folder of real audio for int8 calibration (any format/rate)")


def run(args) -> int:
    import sys

    try:
        from sscodec.converter.convert import ConversionError, main_convert
    except ImportError as e:
        print(f"error: conversion needs TensorFlow and Keras (pip install 'sscodec[train]'): {e}", file=sys.stderr)
        return 2
    try:
        path = main_convert(args.model_dir, args.out_dir, args.precision, args.calibration, args.int8_decoder)
    except ConversionError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {path}")
    return 0
