"""Regenerate the tiny .tflite models the native-core tests use (needs the
[train] extra: TensorFlow). The outputs are committed; run only to change them:

    python tests/data/make_tiny_models.py

* tiny_multi.tflite: two signatures
    "add":   x float32[1,4], y float32[1,4] -> sum float32[1,4]
    "scale": v int32[2,3], k int32[]        -> out int32[2,3]
* tiny_state.tflite: "step": x float32[1,2] -> y float32[1,2] = x + acc, where
  acc (a resource variable, starts at 0) accumulates x: streaming state inside
  the graph, like Lyra v2's.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import tensorflow as tf

HERE = Path(__file__).resolve().parent


class Multi(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([1, 4], tf.float32, name="x"),
                                  tf.TensorSpec([1, 4], tf.float32, name="y")])
    def add(self, x, y):
        return {"sum": x + y}

    @tf.function(input_signature=[tf.TensorSpec([2, 3], tf.int32, name="v"),
                                  tf.TensorSpec([], tf.int32, name="k")])
    def scale(self, v, k):
        return {"out": v * k}


class State(tf.Module):
    def __init__(self):
        super().__init__()
        self.acc = tf.Variable(tf.zeros([1, 2]), trainable=False)

    @tf.function(input_signature=[tf.TensorSpec([1, 2], tf.float32, name="x")])
    def step(self, x):
        self.acc.assign_add(x)
        return {"y": x + self.acc}


def convert(module, signatures, out: Path, resource_vars=False):
    with tempfile.TemporaryDirectory() as d:
        tf.saved_model.save(module, d, signatures=signatures)
        conv = tf.lite.TFLiteConverter.from_saved_model(d, signature_keys=list(signatures))
        if resource_vars:
            conv.experimental_enable_resource_variables = True
        out.write_bytes(conv.convert())
    print(f"wrote {out} ({os.path.getsize(out)} bytes)")


if __name__ == "__main__":
    m = Multi()
    convert(m, {"add": m.add, "scale": m.scale}, HERE / "tiny_multi.tflite")
    s = State()
    convert(s, {"step": s.step}, HERE / "tiny_state.tflite", resource_vars=True)
