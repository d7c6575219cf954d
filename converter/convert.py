"""Trained model directory → folder of per-frame ``.tflite`` graphs + manifest.

Precisions (``--precision``):

* ``float32``: plain conversion.
* ``dynamic-int8``: int8 weights, float activations (encoder and decoder).
* ``int8``: int8 weights everywhere; a full-integer encoder (int8 activations
  too, calibrated on real audio streamed frame by frame through the Keras
  model); the decoder's activations stay float by default (``int8_decoder=
  "dynamic-int8"``), ``int8_decoder="int8"`` makes it full-integer as well,
  ``"int8-float-out"`` integer except its output conv (the manifest lists the
  float ops of a graph under ``float_nodes``).
  float32 at the graph boundary (QUANTIZE/DEQUANTIZE inside) so every precision
  has the same interface. Each graph's own precision is in the manifest.

What stays float, and why (measured, see models/speech16k/MODEL_CARD.md):

* The RVQ graphs, in every precision: their work is a nearest-neighbour search
  whose argmin flips when distances are computed in int8, and they are < 5 % of
  the frame's compute.
* The decoder's activations in ``int8``: 8-bit static activation ranges add
  rounding noise in every decoder layer that lands in the output audio (raising
  the floor in pauses and, since the network's activations scale with the
  signal level, hurting quiet speech most): a full-int8 decoder costs several
  times what a full-int8 encoder costs, while int8 weights with float
  activations (dynamic range) cost almost nothing and run at about the same
  speed on CPU (XNNPACK). Use ``int8_decoder="int8"`` for integer-only
  accelerators.

The full-integer encoder is only as good as the model's tolerance of 8-bit
activations: train (or fine-tune) with ``encoder_fake_quant_bits = 8``
(:mod:`sscodec.models.fake_quant`), which rounds the encoder's activations the
same way in every training pass. Calibration: the first ``CALIBRATION_FRAMES``
frames of shuffled 3 s clips of ``--calibration`` (speech at a typical level).
Wider ranges (many corpora, levels up to full scale) cost more resolution than
they save in clipping (measured on a model trained without fake quantization).

Output is written to a temporary sibling folder and renamed into place only
when every graph converted and the manifest was written, so a failure never
leaves a partial set of graphs behind. No Flex (Select TF) ops are allowed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from ..manifest import GRAPH_ROLES, INT8_DECODER_CHOICES, PRECISIONS, write_manifest

CALIBRATION_FRAMES = 400


class ConversionError(Exception):
    """Conversion cannot proceed (bad input) or produced an invalid graph."""


def model_identity(model_dir):
    """(model_id, run_info): id = '<preset>-<first 12 hex of sha256(weights)>'."""
    from ..models.model_io import load_model_config, load_run_info

    d = Path(model_dir)
    cfg = load_model_config(d)
    h = hashlib.sha256((d / "generator.weights.npz").read_bytes()).hexdigest()
    return f"{cfg.name}-{h[:12]}", load_run_info(d)


def calibration_frames(graphs, audio_clips, n_frames=CALIBRATION_FRAMES, seed=0, decoder=True):
    """Stream clips through the model's frame graphs (TF concrete functions,
    i.e. the float model); return the per-frame inputs of encoder and decoder.

    Returns (encoder_inputs, decoder_inputs): lists of dicts keyed by graph
    input name (decoder_inputs is None when ``decoder`` is False: only the
    encoder is full-integer). Every other clip runs with the denoise flag on. The
    decoder sees embeddings quantized with a random number of quantizers, as at
    run time.
    """
    import tensorflow as tf

    from .graphs import new_state_name, state_name

    cfg = graphs.cfg
    enc_fn, dec_fn = graphs.concrete("encoder"), graphs.concrete("decoder")
    rq_enc, rq_dec = graphs.concrete("rvq_encode"), graphs.concrete("rvq_decode")
    rng = np.random.default_rng(seed)
    enc_in, dec_in = [], ([] if decoder else None)
    fs = cfg.frame_size
    for ci, clip in enumerate(audio_clips):
        flag = np.array([float(ci % 2)], np.float32)
        enc_states = {state_name(i): np.zeros((1, *s.shape), np.float32) for i, s in enumerate(graphs.enc_specs)}
        dec_states = {state_name(i): np.zeros((1, *s.shape), np.float32) for i, s in enumerate(graphs.dec_specs)}
        for start in range(0, len(clip) - fs + 1, fs):
            if len(enc_in) >= n_frames:
                return enc_in, dec_in
            feed = {"audio": clip[None, start : start + fs].astype(np.float32), "denoise": flag, **enc_states}
            enc_in.append(feed)
            out = enc_fn(feed)
            enc_states = {state_name(i): out[new_state_name(i)].numpy() for i in range(len(graphs.enc_specs))}
            if dec_in is None:
                continue
            n_q = np.array([rng.integers(1, cfg.num_quantizers + 1)], np.int32)
            codes = rq_enc({"embedding": out["embedding"], "num_quantizers": n_q})["codes"]
            emb = rq_dec({"codes": codes, "num_quantizers": n_q})["embedding"].numpy()
            feed = {"embedding": emb, "denoise": flag, **dec_states}
            dec_in.append(feed)
            out = dec_fn(feed)
            dec_states = {state_name(i): out[new_state_name(i)].numpy() for i in range(len(graphs.dec_specs))}
    return enc_in, dec_in


def to_tflite(concrete_fn, module, precision, representative=None, float_nodes=(), extra_signatures=None):
    """Convert one concrete function (signature ``serving_default``); returns
    flatbuffer bytes. ``float_nodes`` (int8 only): names of ops to leave in float32
    (see :func:`_run_converter`). ``extra_signatures`` ({key: concrete function},
    float32 only): more signatures in the same file; the converter stores their
    identical constants (e.g. codebooks) once."""
    import tensorflow as tf

    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    # Freeze the Keras variables into constants (the graphs carry no resource
    # variables: their state is explicit; int8 calibration needs this too), then
    # re-wrap the frozen graph with the original dict signature and go through a
    # SavedModel so the TFLite signature keeps the input/output names.
    def serving_fn(fn):
        frozen = convert_variables_to_constants_v2(fn)
        in_sig = fn.structured_input_signature[0][0]  # {name: TensorSpec}
        in_keys = sorted(in_sig)  # tf.nest flattens dicts in sorted-key order
        out_keys = sorted(fn.structured_outputs)

        @tf.function(input_signature=[in_sig])
        def serving(inputs):
            outs = frozen(*[inputs[k] for k in in_keys])
            return dict(zip(out_keys, outs))

        return serving

    fns = {"serving_default": concrete_fn, **(extra_signatures or {})}
    if len(fns) > 1 and precision != "float32":
        raise ConversionError(f"several signatures in one graph are float32 only, not {precision}")
    holder = tf.Module()
    holder.serving = {k: serving_fn(f) for k, f in fns.items()}
    with tempfile.TemporaryDirectory(prefix="sscodec-sm-") as sm_dir:
        tf.saved_model.save(holder, sm_dir, signatures={k: f.get_concrete_function() for k, f in holder.serving.items()})
        conv = tf.lite.TFLiteConverter.from_saved_model(sm_dir, signature_keys=list(fns))
        return _run_converter(conv, precision, representative, float_nodes)


def _run_converter(conv, precision, representative, float_nodes=()):
    """Run one TFLite conversion. int8 with ``float_nodes``: every op is quantized
    except those (denylisted through TFLite's QuantizationDebugger, which runs the
    same MLIR quantizer with a deny list)."""
    import tensorflow as tf

    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if precision == "dynamic-int8":
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
    elif precision == "int8":
        if representative is None:
            raise ConversionError("int8 conversion needs calibration data")
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.representative_dataset = lambda: iter(representative)
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = tf.float32
        conv.inference_output_type = tf.float32
        if float_nodes:
            conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]  # the float ops
            try:
                options = tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=list(float_nodes))
                debugger = tf.lite.experimental.QuantizationDebugger(
                    converter=conv, debug_dataset=lambda: iter(representative[:1]), debug_options=options)
                return debugger.get_nondebug_quantized_model()
            except Exception as e:
                raise ConversionError(f"TFLite conversion failed (int8, float {list(float_nodes)}): {e}") from e
    elif precision != "float32":
        raise ConversionError(f"unknown precision {precision!r} (choose from {', '.join(PRECISIONS)})")
    try:
        return conv.convert()
    except Exception as e:  # converter errors are many different types
        raise ConversionError(f"TFLite conversion failed ({precision}): {e}") from e


def describe_graph(path, extra_keys=()):
    """Signature key and input/output tensor specs read back with the LiteRT
    Interpreter. A graph has one signature, or ``serving_default`` (described)
    and ``extra_keys``, which must have the same inputs and outputs."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(path))
    sigs = it.get_signature_list()
    if not extra_keys and len(sigs) != 1:
        raise ConversionError(f"{path}: expected one signature, found {list(sigs)}")
    if extra_keys and sorted(sigs) != sorted(["serving_default", *extra_keys]):
        raise ConversionError(f"{path}: expected signatures serving_default + {list(extra_keys)}, found {list(sigs)}")
    key = next(iter(sigs)) if not extra_keys else "serving_default"

    def spec(details):
        return [
            {"name": n, "shape": [int(x) for x in d["shape"]], "dtype": np.dtype(d["dtype"]).name}
            for n, d in sorted(details.items())
        ]

    def io(k):
        runner = it.get_signature_runner(k)
        return spec(runner.get_input_details()), spec(runner.get_output_details())

    inputs, outputs = io(key)
    for k in extra_keys:
        if io(k) != (inputs, outputs):
            raise ConversionError(f"{path}: signature {k} has other inputs/outputs than {key}")
    return key, inputs, outputs


def role_precisions(precision, int8_decoder="dynamic-int8"):
    """Precision of each graph role for a folder ``precision`` (see the module docstring)."""
    if precision not in PRECISIONS:
        raise ConversionError(f"unknown precision {precision!r} (choose from {', '.join(PRECISIONS)})")
    if int8_decoder not in INT8_DECODER_CHOICES:
        raise ConversionError(f"unknown int8 decoder precision {int8_decoder!r} (choose from {', '.join(INT8_DECODER_CHOICES)})")
    out = {role: "float32" for role in GRAPH_ROLES}
    out["encoder"] = out["decoder"] = precision
    if precision == "int8":
        out["decoder"] = int8_decoder
    return out


def int8_float_out_decoder(graphs, representative):
    """The decoder in int8 with its output conv (and the reshape after it) in float32:
    (flatbuffer, float node names). An 8-bit grid on the output audio alone costs
    ≈ 0.1 ViSQOL (r8, 8 held-out clips); the float conv is < 1 % of the decoder's work."""
    from .flatbuffer_ops import float_compute_nodes, output_layer_nodes

    fn = graphs.concrete("decoder")
    try:
        nodes = output_layer_nodes(to_tflite(fn, graphs, "float32"), "audio")
    except ValueError as e:
        raise ConversionError(f"decoder: {e}") from e
    fb = to_tflite(fn, graphs, "int8", representative, float_nodes=nodes)
    got = float_compute_nodes(fb)
    if sorted(got) != sorted(nodes):
        raise ConversionError(f"decoder: expected exactly {nodes} in float32, the graph computes {got} in float32")
    return fb, nodes


def convert(model_dir, out_dir, precision="float32", calibration_dir=None, model_version=None,
            int8_decoder="dynamic-int8"):
    """Convert ``model_dir`` into ``out_dir`` (must not exist). Returns the manifest path.

    ``int8_decoder``: the decoder's precision when ``precision`` is ``int8``."""
    from ..models.model_io import ModelDirError, load_model_dir
    from .flatbuffer_ops import assert_no_flex, op_counts
    from .graphs import FrameGraphs, new_state_name, stage_signature, state_name

    roles = role_precisions(precision, int8_decoder)
    out = Path(out_dir)
    if out.exists():
        raise ConversionError(f"output folder {out} already exists; remove it or choose another")
    try:
        model = load_model_dir(model_dir)
    except ModelDirError as e:
        raise ConversionError(str(e)) from e
    cfg = model.cfg
    model_id, run_info = model_identity(model_dir)

    enc_rep = dec_rep = None
    if precision == "int8":
        if calibration_dir is None:
            raise ConversionError("--precision int8 needs --calibration AUDIO_DIR (real audio)")
        from ..models.data import load_audio_folder

        try:
            clips = load_audio_folder(calibration_dir, cfg.sample_rate)
        except (ValueError, FileNotFoundError) as e:
            raise ConversionError(f"calibration folder {calibration_dir}: {e}") from e
        clips = [c for c in clips if len(c) >= cfg.frame_size]
        if not clips:
            raise ConversionError(f"calibration folder {calibration_dir}: no usable audio (need clips >= 1 frame)")
        rng = np.random.default_rng(0)
        order = rng.permutation(len(clips))
        clips = [clips[i][: cfg.sample_rate * 3] for i in order[:64]]

    graphs = FrameGraphs(model)
    if precision == "int8":
        enc_rep, dec_rep = calibration_frames(graphs, clips, decoder=roles["decoder"].startswith("int8"))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        meta_graphs, ops_report = {}, {}
        extra = {"rvq_encode": graphs.rvq_encode_stage_fns()}  # cheaper signatures for fewer quantizers
        for role in GRAPH_ROLES:
            role_precision, float_nodes = roles[role], []
            if role_precision == "int8-float-out":
                role_precision = "int8"
                fb, float_nodes = int8_float_out_decoder(graphs, dec_rep)
            else:
                rep = {"encoder": enc_rep, "decoder": dec_rep}.get(role) if role_precision == "int8" else None
                fb = to_tflite(graphs.concrete(role), graphs, role_precision, rep, extra_signatures=extra.get(role))
            assert_no_flex(fb, role)
            fname = f"{role}.tflite"
            (tmp / fname).write_bytes(fb)
            key, inputs, outputs = describe_graph(tmp / fname, extra_keys=list(extra.get(role, {})))
            specs = {"encoder": graphs.enc_specs, "decoder": graphs.dec_specs}.get(role, [])
            states = [
                {"input": state_name(i), "output": new_state_name(i), "shape": [1, s.length, s.channels], "layer": s.name}
                for i, s in enumerate(specs)
            ]
            meta_graphs[role] = {
                "file": fname,
                "signature": key,
                "precision": role_precision,
                "inputs": inputs,
                "outputs": outputs,
                "states": states,
                "bytes": len(fb),
            }
            if float_nodes:
                meta_graphs[role]["float_nodes"] = float_nodes
            if role == "rvq_encode":
                meta_graphs[role]["stage_signatures"] = [
                    {"stages": k, "signature": stage_signature(k)} for k in graphs.rvq_stage_prefixes()]
            ops_report[role] = op_counts(fb)
        model_meta = {
            "name": cfg.name,
            "model_id": model_id,
            "model_version": model_version or run_info.get("model_version", "0"),
            "training_run": run_info.get("run_id", run_info.get("run_dir", "unknown")),
            "training_steps": run_info.get("step"),
            "sample_rate": cfg.sample_rate,
            "frame_size": cfg.frame_size,
            "embedding_dim": cfg.embedding_dim,
            "codebook_size": cfg.codebook_size,
            "bits_per_code": cfg.bits_per_code,
            "num_quantizers": cfg.num_quantizers,
            "bitrates_bps": {str(n): cfg.bitrate(n) for n in range(1, cfg.num_quantizers + 1)},
            "denoise_sides": ["encoder", "decoder"] if cfg.film else [],
            "config": cfg.to_dict(),
        }
        write_manifest(tmp, model_meta, precision, meta_graphs, extra={"op_counts": ops_report})
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out / "manifest.json"


def main_convert(model_dir, out_dir, precision, calibration_dir, int8_decoder="dynamic-int8"):
    path = convert(model_dir, out_dir, precision, calibration_dir, int8_decoder=int8_decoder)
    m = json.loads(Path(path).read_text())
    for role, g in m["graphs"].items():
        print(f"{role:11s} {g['precision']:13s} {g['bytes'] / 1024:8.1f} KiB  {len(g['states'])} states")
    return path
