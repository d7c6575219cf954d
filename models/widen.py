"""Widen a trained decoder or encoder without changing what it computes (Net2WiderNet).

``python -m sscodec.models.widen SRC_MODEL_DIR OUT_DIR [--decoder-channels 32] [--encoder-channels 32]``

The model card found the encoder/decoder, not the quantizer, to be the quality
ceiling of the C = 16 model, and the paper's decoder is twice as wide. Training a
wider model from scratch costs days on these CPUs; this grows the trained one
instead (Chen et al., 2016, "Net2Net"): every new channel of a layer is a copy of
an existing one (its incoming kernel column, bias and FiLM gamma/beta copied), and
every layer that reads a copied channel splits that channel's outgoing weights
among the copies, so the sums it computes are unchanged. LeakyReLU and FiLM act
per channel, so they commute with copying; a residual stream keeps one copy map
for all the tensors added into it. The result decodes exactly what the source
decodes (up to float rounding), and training can use the new width from there.

Copies of one channel get unequal shares of its outgoing weights (random
fractions that sum to 1): equal shares would give the copies equal gradients
forever, so they would never become different channels.

Shapes (speech16k, C = 16 → 32): decoder widths 256/128/64/32/16 → 512/256/128/64/32;
encoder widths 16/32/64/128/256 → 32/64/128/256/512. The embedding (D = 64) and the RVQ
are untouched, and the widened encoder computes its source's embedding, so a widened
model's codes — and bitstream — are its source's until training moves them (the RVQ's
EMA codebooks follow). Exact in float; an int8-aware encoder's fake quantization rounds
the split kernels on a new per-tensor grid, so its rounding moves by a fraction of a step.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np


def _copy_map(old: int, new: int, rng) -> np.ndarray:
    """[new] int: the source channel of each new channel (the first ``old`` are themselves)."""
    if new < old:
        raise ValueError(f"cannot narrow {old} channels to {new}")
    return np.concatenate([np.arange(old), rng.integers(0, old, new - old)])


def _shares(src: np.ndarray, rng) -> np.ndarray:
    """[new] float: each copy's share of its source channel's outgoing weights (sum 1 per source)."""
    w = rng.uniform(0.5, 1.5, len(src))
    total = np.bincount(src, weights=w, minlength=src.max() + 1)
    return w / total[src]


def _conv(kernel, bias, in_map, in_share, out_map):
    """Widen a conv kernel [K, Cin, Cout] / bias [Cout]: input channels by ``in_map`` scaled by
    ``in_share`` (None = unchanged), output channels by ``out_map`` (None = unchanged)."""
    if in_map is not None:
        kernel = kernel[:, in_map, :] * in_share[None, :, None]
    if out_map is not None:
        kernel, bias = kernel[:, :, out_map], bias[out_map]
    return kernel, bias


def _layer_writers(arrays: dict, out: dict, prefix: str):
    """``(conv, film)``: functions that write the widened ``prefix/<name>`` conv (kernel +
    bias, see :func:`_conv`) or FiLM (gamma/beta [2, C], channels picked by a copy map)
    from ``arrays`` into ``out``."""

    def conv(name, in_map, in_share, out_map):
        k, b = _conv(arrays[f"{prefix}/{name}/kernel"], arrays[f"{prefix}/{name}/bias"], in_map, in_share, out_map)
        out[f"{prefix}/{name}/kernel"], out[f"{prefix}/{name}/bias"] = k, b

    def film(name, cmap):
        for p in ("gamma", "beta"):
            key = f"{prefix}/{name}/{p}"
            if key in arrays:
                out[key] = arrays[key][:, cmap]

    return conv, film


def _residual_units(conv, block, dilations, stream, share, width_old, width_new, rng):
    """Widen one block's residual units: each reads the stream (copy map ``stream``, shares
    ``share``) into its own inner channels and adds back into the stream."""
    for d in dilations:
        inner = _copy_map(width_old, width_new, rng)
        conv(f"{block}_res{d}/conv_dilated", stream, share, inner)
        conv(f"{block}_res{d}/conv_pointwise", inner, _shares(inner, rng), stream)


def widen_encoder_arrays(arrays: dict, cfg, width: int, seed: int = 0) -> dict:
    """Return a copy of ``arrays`` (variable key → array, as :func:`.model_io.variables_to_arrays`)
    whose ``encoder/*`` weights are widened from ``cfg.channels`` to base width ``width``;
    the encoder's output (``conv_out``, [B, T, D]) and ``film_out`` keep their shapes."""
    rng = np.random.default_rng(seed)
    out = dict(arrays)
    conv, film = _layer_writers(arrays, out, "encoder")
    stream = _copy_map(cfg.channels, width, rng)
    conv("conv_in", None, None, stream)
    for i, _ in enumerate(cfg.strides):
        old_w, new_w = cfg.channels * 2**i, width * 2**i
        _residual_units(conv, f"block{i}", cfg.dilations, stream, _shares(stream, rng), old_w, new_w, rng)
        down = _copy_map(2 * old_w, 2 * new_w, rng)
        conv(f"block{i}_down", stream, _shares(stream, rng), down)
        film(f"block{i}_film", down)
        stream = down
    conv("conv_out", stream, _shares(stream, rng), None)
    return out


def widen_decoder_arrays(arrays: dict, cfg, width: int, seed: int = 0) -> dict:
    """Return a copy of ``arrays`` (variable key → array, as :func:`.model_io.variables_to_arrays`)
    whose ``decoder/*`` weights are widened from ``cfg``'s decoder to base width ``width``."""
    rng = np.random.default_rng(seed)
    out = dict(arrays)
    old_c, n_blocks = cfg.decoder_base_channels, len(cfg.strides)
    conv, film = _layer_writers(arrays, out, "decoder")

    stream = _copy_map(old_c * 2**n_blocks, width * 2**n_blocks, rng)
    conv("conv_in", None, None, stream)
    for i, s in enumerate(reversed(cfg.strides)):
        old_w, new_w = old_c * 2 ** (n_blocks - 1 - i), width * 2 ** (n_blocks - 1 - i)
        prev, prev_share = stream, _shares(stream, rng)
        stream = _copy_map(old_w, new_w, rng)
        # sub-pixel upsampler: output channel p * filters + c is phase p of channel c
        up_out = (np.arange(s)[:, None] * old_w + stream[None, :]).reshape(-1)
        conv(f"block{i}_up/conv", prev, prev_share, up_out)
        _residual_units(conv, f"block{i}", cfg.dilations, stream, _shares(stream, rng), old_w, new_w, rng)
        film(f"block{i}_film", stream)
    conv("conv_out", stream, _shares(stream, rng), None)
    return out


def widen_model_dir(src_dir, out_dir, decoder_width: int | None = None, seed: int = 0, encoder_width: int | None = None):
    """Write OUT_DIR: SRC_DIR's model with its decoder widened to base width ``decoder_width``
    and/or its encoder to base width ``encoder_width`` (None: that side unchanged)."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    from .generator import SoundStream
    from .model_io import DISCRIMINATOR_FILE, assign_from_arrays, load_model_dir, load_run_info, save_model_dir, variables_to_arrays

    if decoder_width is None and encoder_width is None:
        raise ValueError("nothing to widen: give a decoder and/or an encoder width")
    src = load_model_dir(src_dir)
    arrays = variables_to_arrays(src.variables)
    decoder_width = decoder_width or src.cfg.decoder_base_channels
    info = {**load_run_info(src_dir), "widened_from": str(src_dir), "widen_seed": seed}
    if decoder_width != src.cfg.decoder_base_channels:
        arrays = widen_decoder_arrays(arrays, src.cfg, decoder_width, seed)
        info["decoder_channels"] = decoder_width
    if encoder_width is not None:
        arrays = widen_encoder_arrays(arrays, src.cfg, encoder_width, seed + 1)
        info["encoder_channels"] = encoder_width
    # ``channels`` is the encoder's width (and the decoder's unless decoder_channels is set),
    # so the decoder's width is always written out.
    cfg = dataclasses.replace(src.cfg, channels=encoder_width or src.cfg.channels, decoder_channels=decoder_width)
    model = SoundStream(cfg).build_all()
    assign_from_arrays(model.variables, arrays)
    save_model_dir(model, out_dir, info, inference_only=True)
    disc = Path(src_dir) / DISCRIMINATOR_FILE  # they judge audio only: a warm start can keep them
    if disc.is_file():
        shutil.copyfile(disc, Path(out_dir) / DISCRIMINATOR_FILE)
    return model


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m sscodec.models.widen", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("src_dir", help="model directory to widen (config.json + generator.weights.npz)")
    p.add_argument("out_dir", help="model directory to write")
    p.add_argument("--decoder-channels", type=int, help="new decoder base width C (e.g. 32)")
    p.add_argument("--encoder-channels", type=int, help="new encoder base width C (e.g. 32)")
    p.add_argument("--seed", type=int, default=0, help="seed of the copy maps and shares")
    a = p.parse_args(argv)
    from .model_io import ModelDirError

    try:
        widen_model_dir(a.src_dir, a.out_dir, a.decoder_channels, a.seed, encoder_width=a.encoder_channels)
    except (ModelDirError, ValueError) as e:
        sys.exit(f"error: {e}")
    print(json.dumps({"out": a.out_dir, "decoder_channels": a.decoder_channels, "encoder_channels": a.encoder_channels}))


if __name__ == "__main__":
    main()
