"""Causal SEANet encoder and decoder (SoundStream, Sec. 3.1-3.2).

Encoder: audio ``[B, T, 1]`` (T a multiple of ``frame_size``) →
embeddings ``[B, T / frame_size, D]``.
Decoder: embeddings ``[B, F, D]`` → audio ``[B, F * frame_size, 1]``.

Each strided block = residual units with dilations 1, 3, 9 (kernel 7) then a
strided causal conv (kernel 2*stride) that doubles the channels; the decoder
mirrors it with causal sub-pixel upsampling. LeakyReLU everywhere (full-int8
TFLite quantizes it; ELU would stay float). FiLM layers after every block let a
denoise flag steer either side. Both are :class:`StreamingModule`: ``call`` is
offline, ``step`` one frame with explicit states.
"""

from __future__ import annotations

import keras
from keras import ops

from .config import ModelConfig
from .fake_quant import identity
from .film import FiLM
from .streaming import CausalConv1D, CausalUpsample, StreamingModule, run_leaf, run_module


class ResidualUnit(StreamingModule):
    """x + conv1x1(act(conv_k,dilated(act(x)))); shape preserving [B, T, C].

    ``fq``: applied to every tensor a full-int8 graph would round (training only,
    :mod:`.fake_quant`); None = float."""

    def __init__(self, channels, kernel_size, dilation, slope, **kwargs):
        super().__init__(**kwargs)
        self.slope = slope
        self.conv_dilated = CausalConv1D(channels, kernel_size, dilation=dilation, name="conv_dilated")
        self.conv_pointwise = CausalConv1D(channels, 1, name="conv_pointwise")

    def forward(self, x, cursor, flag=None, fq=None):
        q = fq or identity
        y = q(ops.leaky_relu(x, self.slope))
        y = q(run_leaf(self.conv_dilated, y, cursor))
        y = q(ops.leaky_relu(y, self.slope))
        y = q(run_leaf(self.conv_pointwise, y, cursor))
        return q(x + y)


class Encoder(StreamingModule):
    """Causal SEANet encoder with optional FiLM (flag per example).

    ``fq`` (training only): a :class:`~.fake_quant.FakeQuant` applied at every tensor
    the full-int8 TFLite encoder rounds, for int8-aware fine-tuning; None = float."""

    def __init__(self, cfg: ModelConfig, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        c = cfg.channels
        self.conv_in = CausalConv1D(c, cfg.kernel_size, name="conv_in")
        self.units, self.downs, self.films = [], [], []
        for i, s in enumerate(cfg.strides):
            self.units.append(
                [ResidualUnit(c, cfg.kernel_size, d, cfg.leaky_slope, name=f"block{i}_res{d}") for d in cfg.dilations]
            )
            self.downs.append(CausalConv1D(2 * c, 2 * s, stride=s, name=f"block{i}_down"))
            self.films.append(FiLM(name=f"block{i}_film") if cfg.film else None)
            c *= 2
        self.conv_out = CausalConv1D(cfg.embedding_dim, 3, name="conv_out")
        self.film_out = FiLM(name="film_out") if cfg.film else None

    def forward(self, x, cursor, flag=None, fq=None):
        slope = self.cfg.leaky_slope
        q = fq or identity
        if flag is None:
            flag = ops.zeros((ops.shape(x)[0],), dtype=x.dtype)
        y = q(run_leaf(self.conv_in, q(x), cursor))
        for units, down, film in zip(self.units, self.downs, self.films):
            for unit in units:
                y = run_module(unit, y, cursor, fq=fq)
            y = q(ops.leaky_relu(y, slope))
            y = q(run_leaf(down, y, cursor))
            if film is not None:
                y = q(film(y, flag))
        y = q(ops.leaky_relu(y, slope))
        y = q(run_leaf(self.conv_out, y, cursor))
        if self.film_out is not None:
            y = q(self.film_out(y, flag))
        return y


class Decoder(StreamingModule):
    """Causal SEANet decoder with optional FiLM (flag per example).

    ``fq`` (training only): a :class:`~.fake_quant.FakeQuant` applied at every tensor
    the int8 TFLite decoder rounds (its input embedding, each conv / upsampler output,
    LeakyReLU, residual sum and FiLM output; not the output audio); None = float."""

    def __init__(self, cfg: ModelConfig, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        c = cfg.decoder_base_channels * 2 ** len(cfg.strides)
        self.film_in = FiLM(name="film_in") if cfg.film else None
        self.conv_in = CausalConv1D(c, cfg.kernel_size, name="conv_in")
        self.ups, self.units, self.films = [], [], []
        for i, s in enumerate(reversed(cfg.strides)):
            c //= 2
            self.ups.append(CausalUpsample(c, s, kernel_size=cfg.upsample_kernel, name=f"block{i}_up"))
            self.units.append(
                [ResidualUnit(c, cfg.kernel_size, d, cfg.leaky_slope, name=f"block{i}_res{d}") for d in cfg.dilations]
            )
            self.films.append(FiLM(name=f"block{i}_film") if cfg.film else None)
        self.conv_out = CausalConv1D(1, cfg.kernel_size, name="conv_out")

    def forward(self, x, cursor, flag=None, fq=None):
        slope = self.cfg.leaky_slope
        q = fq or identity
        if flag is None:
            flag = ops.zeros((ops.shape(x)[0],), dtype=x.dtype)
        y = q(x)
        if self.film_in is not None:
            y = q(self.film_in(y, flag))
        y = q(run_leaf(self.conv_in, y, cursor))
        for up, units, film in zip(self.ups, self.units, self.films):
            y = q(ops.leaky_relu(y, slope))
            y = q(run_leaf(up, y, cursor))
            for unit in units:
                y = run_module(unit, y, cursor, fq=fq)
            if film is not None:
                y = q(film(y, flag))
        y = q(ops.leaky_relu(y, slope))
        # the output audio stays float, as in the int8-float-out decoder graph: an 8-bit
        # audio grid alone costs ≈ 0.1 ViSQOL, whatever the training (converter/convert.py)
        return run_leaf(self.conv_out, y, cursor)
