"""One training step on the JAX backend (stateless_call + value_and_grad + jit).

Same contract as :mod:`.train_step_tf`: ``make_steps(...)`` returns
``({False: g_step, True: g_step_adversarial}, d_step, g_forward)`` operating on the Keras
variables in place. The RVQ's EMA codebook updates are non-trainable variable
assignments; ``stateless_call`` returns them and they are written back after
each step. With a Keras ``DataParallel`` distribution set, batches are sharded
over its devices (``shard_batch``) and XLA inserts the gradient all-reduce.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import keras

from .losses import d_hinge_loss, feature_matching_loss, g_hinge_loss


def shard_batch(batch):
    """Place each batch array according to the active Keras distribution (if any)."""
    dist = keras.distribution.distribution()
    if dist is None:
        return batch
    out = {}
    for k, v in batch.items():
        layout = dist.get_data_layout(v.shape)
        out[k] = jax.device_put(v, layout.backend_layout)
    return out


def _values(variables):
    return [v.value for v in variables]


def _write(variables, values):
    for v, x in zip(variables, values):
        v.assign(x)


def make_steps(gen, disc, g_opt, d_opt, mel_loss, tc, stft_loss=None):
    g_tr_vars, g_ntr_vars = gen.trainable_variables, gen.non_trainable_variables
    d_tr_vars, d_ntr_vars = disc.trainable_variables, disc.non_trainable_variables

    def g_compute(g_tr, g_ntr, d_tr, d_ntr, b, adversarial):
        out, g_ntr = gen.stateless_call(
            g_tr, g_ntr, b["audio"], n_q=b["n_q"], enc_flag=b["enc_flag"], dec_flag=b["dec_flag"], training=True
        )
        fake = out["audio"].astype(jnp.float32)
        mel = mel_loss(b["target"], fake)
        loss = tc.w_mel * mel + tc.w_commit * out["commit"]
        logs = {"mel": mel, "commit": out["commit"]}
        if stft_loss is not None:  # linear-frequency STFT loss (w_stft > 0)
            st = stft_loss(b["target"], fake)
            loss = loss + tc.w_stft * st
            logs["stft"] = st
        if adversarial:
            real_outs, _ = disc.stateless_call(d_tr, d_ntr, b["target"])
            fake_outs, _ = disc.stateless_call(d_tr, d_ntr, fake)
            adv = g_hinge_loss(fake_outs)
            feat = feature_matching_loss(real_outs, fake_outs)
            loss = loss + tc.w_adv * adv + tc.w_feat * feat
            logs.update(g_adv=adv, feat=feat)
        logs["g_loss"] = loss
        return loss, (logs, fake, g_ntr)

    def build_g(adversarial):
        grad_fn = jax.value_and_grad(
            lambda gt, gn, dt, dn, b: g_compute(gt, gn, dt, dn, b, adversarial), has_aux=True
        )

        @jax.jit
        def pure(gt, gn, dt, dn, ov, b):
            (_, (logs, fake, gn2)), grads = grad_fn(gt, gn, dt, dn, b)
            gt2, ov2 = g_opt.stateless_apply(ov, grads, gt)
            return gt2, gn2, ov2, logs, fake

        def g_step(b):
            gt2, gn2, ov2, logs, fake = pure(
                _values(g_tr_vars), _values(g_ntr_vars), _values(d_tr_vars), _values(d_ntr_vars),
                _values(g_opt.variables), shard_batch(b),
            )
            _write(g_tr_vars, gt2)
            _write(g_ntr_vars, gn2)
            _write(g_opt.variables, ov2)
            return logs, fake

        return g_step

    def d_loss(dt, dn, target, fake):
        real_outs, dn = disc.stateless_call(dt, dn, target)
        fake_outs, dn = disc.stateless_call(dt, dn, jax.lax.stop_gradient(fake))
        return d_hinge_loss(real_outs, fake_outs), dn

    d_grad = jax.value_and_grad(d_loss, has_aux=True)

    @jax.jit
    def d_pure(dt, dn, ov, target, fake):
        (loss, dn2), grads = d_grad(dt, dn, target, fake)
        dt2, ov2 = d_opt.stateless_apply(ov, grads, dt)
        return dt2, dn2, ov2, loss

    def d_step(target, fake):
        dt2, dn2, ov2, loss = d_pure(
            _values(d_tr_vars), _values(d_ntr_vars), _values(d_opt.variables), shard_batch({"t": target})["t"], fake
        )
        _write(d_tr_vars, dt2)
        _write(d_ntr_vars, dn2)
        _write(d_opt.variables, ov2)
        return {"d_loss": loss}

    @jax.jit
    def forward_pure(gt, gn, b):
        out, _ = gen.stateless_call(
            gt, gn, b["audio"], n_q=b["n_q"], enc_flag=b["enc_flag"], dec_flag=b["dec_flag"], training=False
        )
        return out["audio"].astype(jnp.float32)

    def g_forward(b):
        return forward_pure(_values(g_tr_vars), _values(g_ntr_vars), shard_batch(b))

    return {False: build_g(False), True: build_g(True)}, d_step, g_forward
