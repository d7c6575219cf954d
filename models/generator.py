"""The SoundStream generator: encoder → RVQ → decoder, with FiLM denoising.

Offline (training / evaluation)::

    audio [B, T] float32 in -1..1, T a multiple of frame_size
    → emb [B, F, D] → quantized [B, F, D], codes [B, F, N_q] → audio [B, T]

Streaming, one frame at a time (what the converter exports)::

    encode_step(frame [B, frame_size], enc_states, flag) → (emb [B, 1, D], enc_states')
    rvq.encode(emb, n_q) / rvq.decode(codes)
    decode_step(emb [B, 1, D], dec_states, flag) → (frame [B, frame_size], dec_states')

The denoise flag can drive the encoder-side FiLM, the decoder-side FiLM, or
both; a flag of 0 on a side leaves that side in "reconstruct faithfully" mode.
"""

from __future__ import annotations

import keras
from keras import ops

from .config import ModelConfig
from .rvq import ResidualVectorQuantizer
from .seanet import Decoder, Encoder


class SoundStream(keras.Model):
    def __init__(self, cfg: ModelConfig, rvq_decay=0.99, rvq_dead_threshold=0.02, rvq_dead_fraction=0.0, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.encoder = Encoder(cfg, name="encoder")
        self.quantizer = ResidualVectorQuantizer(
            cfg.num_quantizers,
            cfg.codebook_size,
            cfg.embedding_dim,
            decay=rvq_decay,
            dead_threshold=rvq_dead_threshold,
            dead_fraction=rvq_dead_fraction,
            name="rvq",
        )
        self.decoder = Decoder(cfg, name="decoder")
        # int8-aware training (models/fake_quant.py): FakeQuant rounding applied in the
        # encoder / decoder when training=True (None = float)
        self.encoder_fake_quant = None
        self.decoder_fake_quant = None

    def build_all(self):
        """Create every weight by one tiny offline pass (float32)."""
        x = ops.zeros((1, self.cfg.frame_size))
        self(x, training=False)
        return self

    def call(self, audio, n_q=None, enc_flag=None, dec_flag=None, training=False):
        """audio [B, T] → dict(audio [B, T], codes [B, F, N_q], commit, emb)."""
        emb = self.encode_offline(audio, enc_flag, fq=self.encoder_fake_quant if training else None)
        q, codes, commit = self.quantizer(emb, n_q=n_q, training=training)
        out = self.decode_offline(ops.cast(q, emb.dtype), dec_flag, fq=self.decoder_fake_quant if training else None)
        return {"audio": out, "codes": codes, "commit": commit, "emb": emb}

    def encode_offline(self, audio, flag=None, fq=None):
        """audio [B, T] → embeddings [B, T / frame_size, D] (``fq``: see :class:`Encoder`)."""
        return self.encoder(ops.expand_dims(audio, -1), flag=flag, fq=fq)

    def decode_offline(self, emb, flag=None, fq=None):
        """embeddings [B, F, D] → audio [B, F * frame_size] (``fq``: see :class:`Decoder`)."""
        return ops.squeeze(self.decoder(emb, flag=flag, fq=fq), -1)

    # ---- streaming -------------------------------------------------------------------
    def encoder_state_specs(self):
        return self.encoder.state_specs((self.cfg.frame_size, 1))

    def decoder_state_specs(self):
        return self.decoder.state_specs((1, self.cfg.embedding_dim))

    def encode_step(self, frame, states, flag=None):
        """frame [B, frame_size] → (emb [B, 1, D], new states)."""
        return self.encoder.step(ops.expand_dims(frame, -1), states, flag=flag)

    def decode_step(self, emb, states, flag=None):
        """emb [B, 1, D] → (audio [B, frame_size], new states)."""
        y, new = self.decoder.step(emb, states, flag=flag)
        return ops.squeeze(y, -1), new
