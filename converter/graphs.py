"""The four per-frame graphs, as TensorFlow concrete functions of a trained model.

Every graph processes ONE frame (batch 1) and is stateless: history travels
in explicit state tensors (inputs ``state_NNN``, outputs ``new_state_NNN``)
whose layout comes from the model's own :meth:`state_specs` — the same code
that runs offline and in frame-by-frame Keras.

==========  ===================================================  ===============================================
graph       inputs                                               outputs
==========  ===================================================  ===============================================
encoder     audio f32 [1, frame], denoise f32 [1], state_NNN     embedding f32 [1, 1, D], new_state_NNN
rvq_encode  embedding f32 [1, 1, D], num_quantizers i32 [1]      codes i32 [1, N_q] (entries >= n_q are 0)
            (+ signatures ``stages_NNN``: the same, running only the first NNN quantizers)
rvq_decode  codes i32 [1, N_q], num_quantizers i32 [1]           embedding f32 [1, 1, D] (sum of first n_q codes)
decoder     embedding f32 [1, 1, D], denoise f32 [1], state_NNN  audio f32 [1, frame], new_state_NNN
==========  ===================================================  ===============================================

``denoise`` is the FiLM flag (0 = reconstruct as is, 1 = remove noise); it
is an input of both the encoder and the decoder so either side can carry it.
"""

from __future__ import annotations

import tensorflow as tf


def state_name(i):
    return f"state_{i:03d}"


def new_state_name(i):
    return f"new_state_{i:03d}"


def stage_signature(stages):
    """Signature key of the RVQ encode that runs only the first ``stages`` quantizers."""
    return f"stages_{stages:03d}"


class FrameGraphs(tf.Module):
    """tf.functions of one frame for each graph role."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        cfg = model.cfg
        self.cfg = cfg
        self.enc_specs = model.encoder_state_specs()
        self.dec_specs = model.decoder_state_specs()

    def _state_sig(self, specs):
        return {state_name(i): tf.TensorSpec([1, s.length, s.channels], tf.float32, name=state_name(i)) for i, s in enumerate(specs)}

    def _stateful_fn(self, in_name, in_shape, specs, step, out_name):
        """One stateful frame graph: (in_name, denoise, state_NNN) -> (out_name, new_state_NNN)."""
        sig = {
            in_name: tf.TensorSpec(in_shape, tf.float32, name=in_name),
            "denoise": tf.TensorSpec([1], tf.float32, name="denoise"),
            **self._state_sig(specs),
        }
        n = len(specs)

        @tf.function(input_signature=[sig])
        def frame(inputs):
            states = [inputs[state_name(i)] for i in range(n)]
            y, new = step(inputs[in_name], states, flag=inputs["denoise"])
            out = {out_name: y}
            out.update({new_state_name(i): s for i, s in enumerate(new)})
            return out

        return frame.get_concrete_function()

    def encoder_fn(self):
        return self._stateful_fn(
            "audio", [1, self.cfg.frame_size], self.enc_specs, self.model.encode_step, "embedding"
        )

    def decoder_fn(self):
        return self._stateful_fn(
            "embedding", [1, 1, self.cfg.embedding_dim], self.dec_specs, self.model.decode_step, "audio"
        )

    def rvq_encode_fn(self, stages=None):
        """RVQ encode; ``stages`` < N_q: only the first ``stages`` quantizers run
        (codes beyond them are 0), with the same inputs and outputs — a cheaper
        signature for n_q <= stages (the nearest-code search reads every
        stage's [K, D] codebook per frame, so its cost is linear in stages)."""
        cfg = self.cfg
        rvq = self.model.quantizer
        n = cfg.num_quantizers if stages is None else int(stages)
        sig = {
            "embedding": tf.TensorSpec([1, 1, cfg.embedding_dim], tf.float32, name="embedding"),
            "num_quantizers": tf.TensorSpec([1], tf.int32, name="num_quantizers"),
        }

        @tf.function(input_signature=[sig])
        def rvq_encode(inputs):
            codes = rvq.encode(inputs["embedding"], n)  # [1, 1, n]; stage q only sees stages < q
            codes = tf.reshape(codes, [1, n])
            if n < cfg.num_quantizers:
                codes = tf.pad(codes, [[0, 0], [0, cfg.num_quantizers - n]])
            keep = tf.range(cfg.num_quantizers, dtype=tf.int32)[None, :] < inputs["num_quantizers"][:, None]
            return {"codes": tf.where(keep, codes, tf.zeros_like(codes))}

        return rvq_encode.get_concrete_function()

    def rvq_stage_prefixes(self):
        """Stage counts that get their own RVQ encode signature: a quarter and
        half of N_q (6 / 12 = 3 / 6 kbps for speech16k). Each costs memory: XNNPACK
        packs a signature's codebooks anew (speech16k: +1.5 / +3 MiB RSS, measured;
        a 3/4 signature would add 4.5 MiB to save 0.04 ms per frame at 9 kbps)."""
        n = self.cfg.num_quantizers
        return sorted({n // 4, n // 2} - {0, n})

    def rvq_encode_stage_fns(self):
        """{signature key: concrete function} of the cheaper RVQ encode signatures."""
        return {stage_signature(k): self.rvq_encode_fn(k) for k in self.rvq_stage_prefixes()}

    def rvq_decode_fn(self):
        cfg = self.cfg
        rvq = self.model.quantizer
        sig = {
            "codes": tf.TensorSpec([1, cfg.num_quantizers], tf.int32, name="codes"),
            "num_quantizers": tf.TensorSpec([1], tf.int32, name="num_quantizers"),
        }

        @tf.function(input_signature=[sig])
        def rvq_decode(inputs):
            codes = tf.clip_by_value(inputs["codes"], 0, cfg.codebook_size - 1)
            keep = tf.range(cfg.num_quantizers, dtype=tf.int32)[None, :] < inputs["num_quantizers"][:, None]
            emb = 0.0
            for q in range(cfg.num_quantizers):
                vec = tf.gather(rvq.codebooks[q], codes[:, q])  # [1, D]
                emb = emb + vec * tf.cast(keep[:, q : q + 1], tf.float32)
            return {"embedding": tf.reshape(emb, [1, 1, cfg.embedding_dim])}

        return rvq_decode.get_concrete_function()

    def concrete(self, role):
        return {
            "encoder": self.encoder_fn,
            "rvq_encode": self.rvq_encode_fn,
            "rvq_decode": self.rvq_decode_fn,
            "decoder": self.decoder_fn,
        }[role]()
