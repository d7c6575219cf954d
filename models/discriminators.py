"""Discriminators (SoundStream, Sec. 3.4): multi-scale waveform and STFT.

Both take audio ``[B, T]`` and return a list of (logits, features) pairs, one
per sub-discriminator: logits ``[B, T', 1]`` or ``[B, T', F', 1]`` and
features a list of intermediate activations (for feature matching).
Only used in training; never exported. No grouped convolutions (they are
~14x slower in TF on CPU), so the wave discriminators are kept narrow.
"""

from __future__ import annotations

import keras
from keras import layers, ops


class WaveDiscriminator(keras.layers.Layer):
    """One waveform scale: strided 1-D convs, LeakyReLU, 1-channel logits."""

    def __init__(self, channels=(16, 32, 64, 128, 128), **kwargs):
        super().__init__(**kwargs)
        self.convs = [layers.Conv1D(channels[0], 15, padding="same", name="conv0")]
        for i, c in enumerate(channels[1:-1]):
            self.convs.append(layers.Conv1D(c, 21, strides=4, padding="same", name=f"conv{i + 1}"))
        self.convs.append(layers.Conv1D(channels[-1], 5, padding="same", name="conv_last"))
        self.out = layers.Conv1D(1, 3, padding="same", name="logits")

    def call(self, x):
        feats = []
        for conv in self.convs:
            x = ops.leaky_relu(conv(x), 0.2)
            feats.append(x)
        return self.out(x), feats


class MultiScaleWaveDiscriminator(keras.layers.Layer):
    """Wave discriminators on audio downsampled by 1, 2, 4 (average pooling)."""

    def __init__(self, scales=3, **kwargs):
        super().__init__(**kwargs)
        self.discs = [WaveDiscriminator(name=f"wave{i}") for i in range(scales)]
        self.pool = layers.AveragePooling1D(4, strides=2, padding="same")

    def call(self, audio):
        x = ops.expand_dims(audio, -1)
        outs = []
        for i, d in enumerate(self.discs):
            if i:
                x = self.pool(x)
            outs.append(d(x))
        return outs


class STFTDiscriminator(keras.layers.Layer):
    """2-D convs over the complex STFT (real & imaginary as channels).

    STFT: window ``win`` (Hann), hop ``win // 4``; input to the convs is
    ``[B, frames, win // 2 + 1, 2]``; strides halve frequency (and time every
    other block).
    """

    def __init__(self, win=1024, channels=32, blocks=4, **kwargs):
        super().__init__(**kwargs)
        self.win = win
        self.conv_in = layers.Conv2D(channels, (7, 7), padding="same", name="conv_in")
        self.blocks = []
        for i in range(blocks):
            stride = (2 if i % 2 else 1, 2)
            self.blocks.append(layers.Conv2D(channels, (3, 4), strides=stride, padding="same", name=f"conv{i}"))
        self.out = layers.Conv2D(1, (3, 3), padding="same", name="logits")

    def call(self, audio):
        re, im = ops.stft(ops.cast(audio, "float32"), self.win, self.win // 4, self.win, center=False)
        x = ops.stack([re, im], axis=-1)
        x = ops.cast(x, self.compute_dtype)
        feats = []
        x = ops.leaky_relu(self.conv_in(x), 0.2)
        feats.append(x)
        for conv in self.blocks:
            x = ops.leaky_relu(conv(x), 0.2)
            feats.append(x)
        return self.out(x), feats


class Discriminators(keras.Model):
    """All discriminators: list of (logits, features) over every sub-discriminator."""

    def __init__(self, wave_scales=3, stft_win=1024, **kwargs):
        super().__init__(**kwargs)
        self.wave = MultiScaleWaveDiscriminator(wave_scales, name="msd")
        self.stft = STFTDiscriminator(stft_win, name="stftd")

    def call(self, audio):
        return self.wave(audio) + [self.stft(audio)]
