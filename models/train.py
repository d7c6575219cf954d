"""Train a SoundStream codec: ``python -m sscodec.models.train CONFIG.toml RUN_DIR``.

* Data: folders of real audio (any format/rate, resampled), random crops, gain,
  noise mixing for the denoise task (:mod:`.data`).
* Per example: quantizer dropout ``n_q ~ U[1, N_q]``; when the denoise flag is
  set it drives the encoder-side or decoder-side FiLM (chosen at random), so one
  model supports both.
* Reconstruction-only (multi-scale mel + commitment) until
  ``adversarial_start``, then hinge GAN + feature matching with the wave and
  STFT discriminators. ``d_warmup_steps``: the first steps of a run train only
  the discriminators (on the frozen generator's output).
* ``--init-from MODEL_DIR``: warm start from an exported generator, and from the
  discriminators exported beside it (``discriminator.weights.npz``) when they match.
* ``weight_ema_decay``: the generator's trainable weights are also kept as an
  exponential moving average (:mod:`.weight_ema`); eval and exports use it.
* ``--max-minutes``: a time-boxed run stops after that much wall time with a
  checkpoint and an export (GPU bursts, sessions with a deadline).
* Checkpoints every ``checkpoint_every`` steps to RUN_DIR (exact resume: run the
  same command again; the last two are kept, and every ``keep_checkpoints_every``-th
  step's), CSV log ``RUN_DIR/log.csv``, periodic eval on held-out
  clips ``RUN_DIR/eval.csv`` and an exported model directory ``RUN_DIR/export``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from .csv_table import read_rows, write_rows


def _sample_controls(rng, batch_size, num_quantizers, denoise):
    """Per-example quantizer count and which FiLM side carries the flag."""
    n_q = rng.integers(1, num_quantizers + 1, size=batch_size).astype(np.int32)
    enc_side = rng.random(batch_size) < 0.5
    enc_flag = (denoise * enc_side).astype(np.float32)
    dec_flag = (denoise * ~enc_side).astype(np.float32)
    return n_q, enc_flag, dec_flag


def _lr(step, base, warmup):
    return base * min(1.0, (step + 1) / max(1, warmup))


class CsvLog:
    """Append rows to a CSV; an existing file keeps its own header (a run resumed with
    another config logs the columns the file has). ``resume_step``: a run resumed at that
    step first drops the rows logged after it (written after its last checkpoint, before
    the run stopped), so a resumed run's table reads as a straight run's."""

    def __init__(self, path, fields, resume_step=None):
        self.path = Path(path)
        new = not self.path.exists() or self.path.stat().st_size == 0
        if not new:
            header, rows = read_rows(self.path)
            fields = header or fields
            if resume_step is not None and any(_step_of(r) > resume_step for r in rows):
                write_rows(self.path, fields, [r for r in rows if _step_of(r) <= resume_step])
        self.fields = fields
        self.f = open(self.path, "a", newline="")
        self.w = csv.DictWriter(self.f, fieldnames=fields, extrasaction="ignore")
        if new:
            self.w.writeheader()

    def write(self, row):
        self.w.writerow(row)
        self.f.flush()


def _step_of(row: dict) -> int:
    try:
        return int(float(row.get("step") or 0))
    except ValueError:
        return 0


def build(tc):
    """Create generator, discriminators, optimizers (built, ready to load)."""
    import keras

    from .discriminators import Discriminators
    from .generator import SoundStream

    keras.utils.set_random_seed(tc.seed)  # initial weights are a function of the seed
    if tc.mixed_bfloat16:
        keras.mixed_precision.set_dtype_policy("mixed_bfloat16")
    mc = tc.model_config()
    gen = SoundStream(
        mc, rvq_decay=tc.rvq_decay, rvq_dead_threshold=tc.rvq_dead_threshold, rvq_dead_fraction=tc.rvq_dead_fraction
    ).build_all()
    from .fake_quant import FakeQuant

    for half in ("encoder", "decoder"):  # int8-aware training of either half
        bits = getattr(tc, f"{half}_fake_quant_bits")
        setattr(gen, f"{half}_fake_quant", FakeQuant(bits, tc.fake_quant_margin) if bits else None)
    disc = Discriminators(periods=tc.mpd_periods, name="disc")
    disc(np.zeros((1, int(tc.segment_seconds * mc.sample_rate)), np.float32))
    g_opt = keras.optimizers.Adam(tc.lr_generator, beta_1=tc.adam_beta1, beta_2=tc.adam_beta2, clipnorm=None)
    d_opt = keras.optimizers.Adam(tc.lr_discriminator, beta_1=tc.adam_beta1, beta_2=tc.adam_beta2)
    g_opt.build(gen.trainable_variables)
    d_opt.build(disc.trainable_variables)
    return gen, disc, g_opt, d_opt


def kmeans_init(gen, batches, tc):
    """k-means initialise the RVQ on encoder outputs of the first batches."""
    embs = []
    for _ in range(tc.kmeans_batches):
        b = batches.next()
        e = gen.encode_offline(b["audio"])
        embs.append(np.asarray(e, np.float32).reshape(-1, gen.cfg.embedding_dim))
    gen.quantizer.kmeans_init(np.concatenate(embs), iters=tc.kmeans_iters, seed=tc.seed)


def warm_start(gen, model_dir):
    """Load exported generator weights; rebuild the RVQ's EMA statistics from its codebooks."""
    from .model_io import load_model_config, load_model_dir

    src_cfg = load_model_config(model_dir)
    if src_cfg != gen.cfg:
        a, b = dataclasses.asdict(src_cfg), dataclasses.asdict(gen.cfg)  # every field, defaults too
        diff = ", ".join(f"{k} {a[k]} (config: {b[k]})" for k in a if a[k] != b[k])
        sys.exit(f"--init-from {model_dir}: its architecture differs from this config's: {diff}; "
                 f"set these under the config's [model] (e.g. decoder_channels = 32 for the shipped model)")
    src = load_model_dir(model_dir)
    for dst_v, src_v in zip(gen.variables, src.variables):
        dst_v.assign(src_v)
    rvq = gen.quantizer
    for q in range(rvq.num_quantizers):
        rvq.cluster_sizes[q].assign(np.ones(rvq.codebook_size, np.float32))
        rvq.embed_sums[q].assign(np.asarray(rvq.codebooks[q]))


def export_run_model(gen, disc, out_dir, info):
    """RUN_DIR/export: the generator (:func:`.model_io.save_model_dir`) and, beside it, the
    discriminators that a later ``--init-from`` of this folder loads."""
    from .model_io import save_discriminator_arrays, save_model_dir, variables_to_arrays

    save_model_dir(gen, out_dir, info)
    save_discriminator_arrays(out_dir, variables_to_arrays(disc.variables))


def warm_start_discriminators(disc, model_dir) -> str:
    """Load ``MODEL_DIR/discriminator.weights.npz`` into ``disc`` when it holds exactly
    ``disc``'s variables with the same shapes (all or nothing); returns what was done, for
    the log. Otherwise (no file: an older export; other discriminators: a config with other
    ``mpd_periods`` or channels) the discriminators keep their fresh initialisation."""
    from .model_io import DISCRIMINATOR_FILE, assign_from_arrays, variable_key

    path = Path(model_dir) / DISCRIMINATOR_FILE
    if not path.is_file():
        return f"discriminators start fresh ({model_dir} has no {DISCRIMINATOR_FILE})"
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    want = {variable_key(v): tuple(v.shape) for v in disc.variables}
    have = {k: tuple(a.shape) for k, a in arrays.items()}
    if want != have:
        diff = sorted(set(want.items()) ^ set(have.items()))[:3]
        return f"discriminators start fresh ({path.name} does not match this config's discriminators, e.g. {diff})"
    assign_from_arrays(disc.variables, arrays)
    return f"discriminators loaded from {path} ({len(arrays)} variables)"


def evaluate(gen, clips, tc, with_visqol):
    """Mel distance (and ViSQOL) of held-out clips at 3/6/12 kbps-equivalents."""
    from .losses import log_mel_distance

    mc = gen.cfg
    res = {}
    for n_q in mc.eval_quantizer_counts():
        mels, vq = [], []
        for clip in clips:
            out = gen(clip[None], n_q=np.array([n_q], np.int32), training=False)["audio"]
            y = np.asarray(out, np.float32)[0]
            mels.append(log_mel_distance(clip, y, mc.sample_rate))
            if with_visqol and len(clip) >= 2 * mc.sample_rate:  # ViSQOL needs >= ~2 s
                from .quality import visqol_speech

                vq.append(visqol_speech(clip, y, mc.sample_rate))
        res[f"mel_q{n_q}"] = float(np.mean(mels))
        if vq:
            res[f"visqol_q{n_q}"] = float(np.mean(vq))
    return res


def main(argv=None):
    p = argparse.ArgumentParser(prog="sscodec-train", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", help="training config (.toml or .json); see models/configs/")
    p.add_argument("run_dir", help="folder for checkpoints, logs and the exported model (resumes if it has a checkpoint)")
    p.add_argument("--steps", type=int, help="override the config's total steps")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (log lines instead)")
    p.add_argument(
        "--init-from", metavar="MODEL_DIR",
        help="warm start a NEW run from an exported model directory (e.g. the shipped models/speech16k/keras) "
        "instead of random init + k-means; optimizer state starts fresh; the discriminators are loaded from its "
        "discriminator.weights.npz when that matches this config's, else start fresh",
    )
    p.add_argument(
        "--fresh-discriminators", action="store_true",
        help="with --init-from: start the discriminators from scratch even if the model directory has them",
    )
    p.add_argument(
        "--data-parallel", type=int, default=0, metavar="N",
        help="JAX backend only: replicate the model on N devices and shard each batch (Keras DataParallel)",
    )
    p.add_argument(
        "--max-minutes", type=float, default=None, metavar="M",
        help="stop after M minutes of wall time (this invocation), with a checkpoint and an export",
    )
    args = p.parse_args(argv)

    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    from .config import TrainConfig

    tc = TrainConfig.load(args.config)
    if args.steps is not None:
        tc.steps = args.steps
    run = Path(args.run_dir)
    run.mkdir(parents=True, exist_ok=True)

    import keras
    from tqdm import tqdm

    from .checkpoint import latest_step, load_checkpoint, save_checkpoint
    from .data import TrainBatches, eval_clips, load_audio_folder
    from .losses import MultiResolutionSTFTLoss, MultiScaleMelLoss
    from .weight_ema import WeightEMA

    backend = keras.backend.backend()
    if backend == "tensorflow":
        from .train_step_tf import make_steps
    elif backend == "jax":
        from .train_step_jax import make_steps
    else:
        sys.exit(f"unsupported Keras backend {backend!r} (use tensorflow or jax)")

    if args.data_parallel:
        if backend != "jax":
            sys.exit("--data-parallel needs the JAX backend (KERAS_BACKEND=jax): it uses Keras' distribution API")
        devices = keras.distribution.list_devices()
        if len(devices) < args.data_parallel or tc.batch_size % args.data_parallel:
            sys.exit(f"--data-parallel {args.data_parallel}: have {len(devices)} devices, batch {tc.batch_size}")
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices[: args.data_parallel]))
        print(f"data parallel over {devices[: args.data_parallel]}", flush=True)

    mc = tc.model_config()
    seg = int(round(tc.segment_seconds * mc.sample_rate / mc.frame_size)) * mc.frame_size
    speech = load_audio_folder(tc.speech_dirs, mc.sample_rate)
    noise = load_audio_folder(tc.noise_dirs, mc.sample_rate) if tc.noise_dirs else []
    music = load_audio_folder(tc.music_dirs, mc.sample_rate) if tc.music_dirs else []
    batches = TrainBatches(
        speech, noise, mc.sample_rate, seg, tc.batch_size, tc.seed,
        noisy_prob=tc.noisy_prob, denoise_prob=tc.denoise_prob, music=music,
    )
    clips = []
    if tc.eval_dir and tc.eval_clips:
        n_eval = int(tc.eval_seconds * mc.sample_rate) // mc.frame_size * mc.frame_size
        clips = [c[:n_eval] for c in eval_clips(tc.eval_dir, tc.eval_clips, tc.eval_seconds, mc.sample_rate, tc.seed)]

    gen, disc, g_opt, d_opt = build(tc)
    mel_loss = MultiScaleMelLoss(mc.sample_rate)
    stft_loss = MultiResolutionSTFTLoss() if tc.w_stft > 0 else None
    g_steps, d_step, g_forward = make_steps(gen, disc, g_opt, d_opt, mel_loss, tc, stft_loss)

    ema = WeightEMA(gen.trainable_variables, tc.weight_ema_decay, tc.weight_ema_every) if tc.weight_ema_decay else None
    step = latest_step(run)
    wall0 = 0.0
    if step is not None:
        meta = load_checkpoint(run, step, gen, disc, g_opt, d_opt, ema=ema)
        batches.set_state(meta["data_state"])
        wall0 = meta.get("wall_seconds", 0.0)
        print(f"resumed {run} at step {step}", flush=True)
        if meta.get("weight_ema") == "restarted":
            print(f"weight EMA starts at step {step} (the checkpoint had none)", flush=True)
    else:
        step = 0
        (run / "train_config.json").write_text(json.dumps(tc.to_dict(), indent=2))
        if args.init_from:
            warm_start(gen, args.init_from)
            print(f"new run {run}: {mc.name}, warm start from {args.init_from}", flush=True)
            print("discriminators start fresh (--fresh-discriminators)" if args.fresh_discriminators
                  else warm_start_discriminators(disc, args.init_from), flush=True)
        else:
            print(f"new run {run}: {mc.name}, {gen.count_params()} generator params; k-means init …", flush=True)
            kmeans_init(gen, batches, tc)
        if ema is not None:
            ema.reset()  # the average starts at the weights just set up
    averaged = ema.applied if ema is not None else contextlib.nullcontext

    log = CsvLog(run / "log.csv", ["step", "wall", "steps_per_s", "lr", "g_loss", "mel", "commit", "g_adv", "feat", "d_loss"]
                 + (["stft"] if tc.w_stft > 0 else []), resume_step=step)
    elog = CsvLog(run / "eval.csv", ["step", "wall"] + [f"{m}_q{q}" for m in ("mel", "visqol") for q in (1, 2, 3, 4, 6, 12, 24)],
                  resume_step=step)
    t_start = time.time()
    last_t, last_step = time.time(), step
    pbar = tqdm(total=tc.steps, initial=step, disable=args.no_progress, dynamic_ncols=True, smoothing=0.05)

    def meta():
        return {"data_state": batches.state(), "wall_seconds": wall0 + time.time() - t_start, "backend": backend, "config": tc.to_dict()}

    deadline = None if args.max_minutes is None else t_start + 60.0 * args.max_minutes
    while step < tc.steps:
        if deadline is not None and time.time() >= deadline:
            save_checkpoint(run, step, gen, disc, g_opt, d_opt, meta(), ema=ema, keep_every=tc.keep_checkpoints_every)
            tqdm.write(f"--max-minutes {args.max_minutes:g} reached at step {step}: checkpoint saved")
            break
        rng = np.random.default_rng([tc.seed, step])
        b = batches.next()
        n_q, enc_flag, dec_flag = _sample_controls(rng, tc.batch_size, mc.num_quantizers, b["denoise"])
        lr = _lr(max(0, step - tc.d_warmup_steps), tc.lr_generator, tc.warmup_steps)
        g_opt.learning_rate.assign(lr)
        d_opt.learning_rate.assign(_lr(max(0, step - tc.adversarial_start), tc.lr_discriminator, tc.warmup_steps))
        batch = {"audio": b["audio"], "target": b["target"], "n_q": n_q, "enc_flag": enc_flag, "dec_flag": dec_flag}
        if step < tc.d_warmup_steps:  # discriminator warm-up: the generator is not updated
            logs = d_step(b["target"], g_forward(batch))
        else:
            adversarial = step >= tc.adversarial_start
            logs, fake = g_steps[adversarial](batch)
            if adversarial and step % tc.discriminator_every == 0:
                logs.update(d_step(b["target"], fake))
        step += 1
        if ema is not None and step > tc.d_warmup_steps:
            ema.maybe_update(step)
        pbar.update(1)
        if step % tc.log_every == 0 or step == tc.steps:
            now = time.time()
            sps = (step - last_step) / max(now - last_t, 1e-9)
            last_t, last_step = now, step
            row = {k: float(v) for k, v in logs.items()}
            if not all(np.isfinite(v) for v in row.values()):
                sys.exit(f"step {step}: loss is not finite ({row}); stopping (resume from the last checkpoint with a lower lr)")
            row.update(step=step, wall=round(wall0 + now - t_start, 1), steps_per_s=round(sps, 3), lr=lr)
            log.write(row)
            pbar.set_postfix({k: f"{row[k]:.3f}" for k in ("mel", "commit", "g_adv", "d_loss") if k in row} | {"it/s": f"{sps:.2f}"})
            if args.no_progress:
                print(json.dumps(row), flush=True)
        if step % tc.checkpoint_every == 0 or step == tc.steps:
            save_checkpoint(run, step, gen, disc, g_opt, d_opt, meta(), ema=ema, keep_every=tc.keep_checkpoints_every)
        if clips and (step % tc.eval_every == 0 or step == tc.steps):
            with averaged():
                res = evaluate(gen, clips, tc, tc.visqol_in_eval)
                info = {"run_dir": str(run), "step": step, "wall_seconds": wall0 + time.time() - t_start, "eval": res,
                        "backend": backend, "weight_ema": ema is not None}
                export_run_model(gen, disc, run / "export", info)
            elog.write({"step": step, "wall": round(wall0 + time.time() - t_start, 1), **res})
            tqdm.write(f"eval @ {step}: {json.dumps(res)}")
    pbar.close()
    with averaged():
        export_run_model(gen, disc, run / "export", {"run_dir": str(run), "step": step, "wall_seconds": wall0 + time.time() - t_start,
                                             "backend": backend, "weight_ema": ema is not None})
    print(f"done: {step} steps; model exported to {run / 'export'}")


if __name__ == "__main__":
    main()
