"""One training step on the TensorFlow backend (GradientTape + tf.function).

``make_steps(...)`` returns ``({False: g_step, True: g_step_adversarial}, d_step, g_forward)``:
``g_step(batch) -> (logs, fake)``, ``d_step(target, fake) -> logs`` and
``g_forward(batch) -> fake`` (the generator's output without any update, for the
discriminator warm-up); ``stft_loss``: optional extra reconstruction loss weighted by
``tc.w_stft`` (logged as ``stft``); batch tensors are
audio/target ``[B, T]`` float32, enc_flag/dec_flag ``[B]`` float32, n_q ``[B]`` int32.
"""

from __future__ import annotations

import tensorflow as tf

from .losses import d_hinge_loss, feature_matching_loss, g_hinge_loss


def make_steps(gen, disc, g_opt, d_opt, mel_loss, tc, stft_loss=None):
    def g_loss_fn(b, adversarial):
        out = gen(b["audio"], n_q=b["n_q"], enc_flag=b["enc_flag"], dec_flag=b["dec_flag"], training=True)
        fake = tf.cast(out["audio"], tf.float32)
        mel = mel_loss(b["target"], fake)
        loss = tc.w_mel * mel + tc.w_commit * out["commit"]
        logs = {"mel": mel, "commit": out["commit"]}
        if stft_loss is not None:  # linear-frequency STFT loss (w_stft > 0)
            st = stft_loss(b["target"], fake)
            loss = loss + tc.w_stft * st
            logs["stft"] = st
        if adversarial:
            real_outs = disc(b["target"])
            fake_outs = disc(fake)
            adv = g_hinge_loss(fake_outs)
            feat = feature_matching_loss(real_outs, fake_outs)
            loss = loss + tc.w_adv * adv + tc.w_feat * feat
            logs.update(g_adv=adv, feat=feat)
        logs["g_loss"] = loss
        return loss, logs, fake

    def build_g(adversarial):
        @tf.function(reduce_retracing=True)
        def g_step(b):
            with tf.GradientTape() as tape:
                loss, logs, fake = g_loss_fn(b, adversarial)
            variables = gen.trainable_variables
            grads = tape.gradient(loss, variables)
            g_opt.apply(grads, variables)
            return logs, fake

        return g_step

    @tf.function(reduce_retracing=True)
    def d_step(target, fake):
        with tf.GradientTape() as tape:
            loss = d_hinge_loss(disc(target), disc(tf.stop_gradient(fake)))
        variables = disc.trainable_variables
        d_opt.apply(tape.gradient(loss, variables), variables)
        return {"d_loss": loss}

    @tf.function(reduce_retracing=True)
    def g_forward(b):
        out = gen(b["audio"], n_q=b["n_q"], enc_flag=b["enc_flag"], dec_flag=b["dec_flag"], training=False)
        return tf.cast(out["audio"], tf.float32)

    return {False: build_g(False), True: build_g(True)}, d_step, g_forward
