"""Prove converted graphs equal the offline Keras model, frame by frame.

The graphs run through the Python ``ai_edge_litert`` Interpreter (a path
independent of the native runtime), one frame at a time with explicit states,
on real audio; the Keras model runs offline on the same audio.

* float32: identical codes, except where the Keras model's own distances to the
  two codewords tie (relative difference ≤ ``TIE_REL``: float rounding may pick
  either; the frame's later quantizers then see another residual and are excused
  too), and max |audio error| ≤ 1e-4 at every tested bitrate, with the Keras
  decoder fed the codes the graphs chose (so a tie does not count as a decoder
  error).
* dynamic-int8 / int8: SNR of the graph output against the float model,
  agreement of codes per quantizer, and ViSQOL / PESQ of both against the input
  at (up to) 3/6/12 kbps, with their deltas. The int8 bar: ViSQOL loss ≤ 0.1 at 6 kbps.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..manifest import load_manifest
from ..models.data import snr_db

FLOAT_TOL = 1e-4
INT8_VISQOL_BAR = 0.1
TIE_REL = 1e-4  # relative distance difference under which two codewords tie in float32


def code_mismatch_frames(codebooks, emb, k_codes, g_codes, rel=TIE_REL):
    """Frames whose graph codes differ from the Keras codes: (all, not explained by a tie).

    Args:
      codebooks: N_q arrays [K, D] (the RVQ's codebooks).
      emb: Keras encoder output [F, D] float32.
      k_codes, g_codes: [F, N_q] int codes from the Keras RVQ and the graphs.
    A frame is a tie when, at its first differing quantizer q, the Keras residual
    (emb minus the Keras codewords of quantizers < q) is as far from the graphs'
    codeword as from the Keras one, within ``rel`` (relative squared distance).
    """
    mismatched, unexplained = [], []
    for f in np.flatnonzero((k_codes != g_codes).any(1)):
        q = int(np.flatnonzero(k_codes[f] != g_codes[f])[0])
        r = emb[f] - sum((codebooks[j][k_codes[f, j]] for j in range(q)), np.zeros_like(emb[f]))
        d_k = float(np.sum((r - codebooks[q][k_codes[f, q]]) ** 2))
        d_g = float(np.sum((r - codebooks[q][g_codes[f, q]]) ** 2))
        mismatched.append(int(f))
        if abs(d_g - d_k) > rel * max(d_k, 1e-12):
            unexplained.append(int(f))
    return mismatched, unexplained


class GraphStream:
    """One stream through the four graphs with the Python Interpreter."""

    def __init__(self, manifest):
        from ai_edge_litert.interpreter import Interpreter

        self.m = manifest
        self.runners = {}
        for role, g in manifest.graphs.items():
            it = Interpreter(model_path=str(manifest.graph_path(role)), num_threads=1)
            self.runners[role] = it.get_signature_runner(g.signature)
            if role == "rvq_encode":  # + the cheaper signatures for fewer quantizers, by key
                self.rvq_encoders = {key: it.get_signature_runner(key) for _, key in g.stage_signatures}
                self.rvq_encoders[g.signature] = self.runners[role]
        self.reset()

    def rvq_encode(self, emb, n_q):
        """emb [1, 1, D], n_q → codes int32 [N_q] (zeros from n_q on), through the
        cheapest signature for n_q (as the native pipeline chooses it)."""
        key = self.m.graphs["rvq_encode"].signature_for(n_q)
        return self.rvq_encoders[key](embedding=emb, num_quantizers=np.array([n_q], np.int32))["codes"][0]

    def reset(self):
        self.states = {}
        for role in ("encoder", "decoder"):
            self.states[role] = {
                s["input"]: np.zeros(s["shape"], np.float32) for s in self.m.graphs[role].states
            }

    def _run_stateful(self, role, feed):
        out = self.runners[role](**feed, **self.states[role])
        self.states[role] = {s["input"]: out[s["output"]] for s in self.m.graphs[role].states}
        return out

    def encode_frame(self, frame, denoise=0.0):
        """frame [frame_size] → (embedding [1,1,D], codes int32 [N_q] for all quantizers)."""
        out = self._run_stateful(
            "encoder", {"audio": frame[None].astype(np.float32), "denoise": np.array([denoise], np.float32)}
        )
        emb = out["embedding"]
        return emb, self.rvq_encode(emb, self.m.num_quantizers)

    def decode_frame(self, codes, n_q, denoise=0.0):
        """codes int32 [N_q], n_q → audio [frame_size]."""
        emb = self.runners["rvq_decode"](
            codes=codes[None].astype(np.int32), num_quantizers=np.array([n_q], np.int32)
        )["embedding"]
        out = self._run_stateful("decoder", {"embedding": emb, "denoise": np.array([denoise], np.float32)})
        return out["audio"][0]


def verify(graph_dir, keras_dir, clips, denoise_values=(0.0, 1.0), with_quality=True):
    """Compare graphs with the Keras model on ``clips`` (1-D float arrays at the model rate).

    Returns a JSON-able report with ``passed``.
    """
    from ..models.model_io import load_model_dir

    m = load_manifest(graph_dir)
    model = load_model_dir(keras_dir)
    cfg = model.cfg
    if cfg.frame_size != m.frame_size or cfg.num_quantizers != m.num_quantizers or cfg.sample_rate != m.sample_rate:
        raise ValueError(f"{graph_dir} was not converted from {keras_dir} (frame/quantizers/rate differ)")
    fs, nq_all = cfg.frame_size, cfg.num_quantizers
    rates = cfg.eval_quantizer_counts()
    max_err = {n: 0.0 for n in rates}
    snr = {n: [] for n in rates}
    code_agree = np.zeros(nq_all)
    code_total = 0
    quality = {n: {"keras": [], "graphs": []} for n in rates}
    tie_frames, bad_frames, stage_bad_frames = 0, 0, 0
    codebooks = [np.asarray(c, np.float32) for c in model.quantizer.codebooks]
    stream = GraphStream(m)
    for ci, clip in enumerate(clips):
        n_frames = int(np.ceil(len(clip) / fs))
        x = np.zeros(n_frames * fs, np.float32)
        x[: len(clip)] = clip
        for flag in denoise_values:
            f = np.array([flag], np.float32)
            emb = model.encode_offline(x[None], f)
            k_codes = np.asarray(model.quantizer.encode(emb, nq_all))[0]  # [F, N_q]
            stream.reset()
            g_embs, g_codes = zip(*[stream.encode_frame(x[i * fs : (i + 1) * fs], flag) for i in range(n_frames)])
            g_codes = np.stack(g_codes)
            for stages, _ in m.graphs["rvq_encode"].stage_signatures:  # must give the same first codes
                for n_q in (stages, max(1, stages - 1)):
                    s_codes = np.stack([stream.rvq_encode(e, n_q) for e in g_embs])
                    want = np.where(np.arange(nq_all) < n_q, g_codes, 0)
                    stage_bad_frames += int((s_codes != want).any(1).sum())
            code_agree += (g_codes == k_codes).sum(0)
            code_total += n_frames
            if m.precision == "float32":  # int8 graphs choose other codes by design: ties say nothing there
                mismatched, unexplained = code_mismatch_frames(codebooks, np.asarray(emb, np.float32)[0], k_codes, g_codes)
                tie_frames += len(mismatched) - len(unexplained)
                bad_frames += len(unexplained)
            # float32 checks the decoder on the codes the graphs chose (ties are checked above);
            # other precisions compare with the float model's own codes (their quality cost)
            ref_codes = g_codes if m.precision == "float32" else k_codes
            for n in rates:
                y_k = np.asarray(model.decode_offline(model.quantizer.decode(ref_codes[None, :, :n]), f))[0]
                stream.reset()
                y_g = np.concatenate([stream.decode_frame(g_codes[i], n, flag) for i in range(n_frames)])
                max_err[n] = max(max_err[n], float(np.abs(y_g - y_k).max()))
                snr[n].append(snr_db(y_k, y_k - y_g))
                if with_quality and flag == 0.0 and m.precision != "float32" and len(clip) >= 2 * cfg.sample_rate:
                    from ..models.quality import pesq_wb, visqol_speech

                    ref = clip.astype(np.float64)
                    for key, y in (("keras", y_k), ("graphs", y_g)):
                        quality[n][key].append(
                            {"visqol": visqol_speech(ref, y[: len(clip)], cfg.sample_rate), "pesq": pesq_wb(ref, y[: len(clip)], cfg.sample_rate)}
                        )
    agree = (code_agree / max(code_total, 1)).tolist()
    report = {
        "graph_dir": str(graph_dir),
        "precision": m.precision,
        "model_id": m.model_id,
        "clips": len(clips),
        "bitrates_bps": {str(n): m.bitrate(n) for n in rates},
        "max_abs_error": {str(n): max_err[n] for n in rates},
        "snr_vs_float_db": {str(n): float(np.median(snr[n])) for n in rates},
        "code_agreement_per_quantizer": agree,
        "frames": code_total,
        "rvq_stage_signatures": [k for k, _ in m.graphs["rvq_encode"].stage_signatures],
        "rvq_stage_signature_mismatched_frames": stage_bad_frames,
    }
    stages_ok = " and the RVQ's fewer-stage signatures give the all-stage signature's first codes"
    if m.precision == "float32":
        report["code_frames_tied"] = tie_frames
        report["code_frames_differing_without_tie"] = bad_frames
        report["passed"] = all(e <= FLOAT_TOL for e in max_err.values()) and bad_frames == 0
        report["criterion"] = (
            f"max abs error <= {FLOAT_TOL} (Keras decoder on the graphs' codes), identical codes "
            f"except float distance ties (relative <= {TIE_REL}),"
        )
    else:
        q = {}
        for n in rates:
            if quality[n]["keras"]:
                kv = np.mean([r["visqol"] for r in quality[n]["keras"]])
                gv = np.mean([r["visqol"] for r in quality[n]["graphs"]])
                kp = np.mean([r["pesq"] for r in quality[n]["keras"]])
                gp = np.mean([r["pesq"] for r in quality[n]["graphs"]])
                q[str(n)] = {
                    "visqol_float": kv, "visqol_graphs": gv, "visqol_delta": gv - kv,
                    "pesq_float": kp, "pesq_graphs": gp, "pesq_delta": gp - kp,
                }
        report["quality"] = q
        six = str(max(1, nq_all // 2))
        if six in q:
            report["passed"] = bool(q[six]["visqol_delta"] >= -INT8_VISQOL_BAR)
            report["criterion"] = f"ViSQOL loss <= {INT8_VISQOL_BAR} at {m.bitrate(int(six)):.0f} bps"
        else:
            report["passed"] = True
            report["criterion"] = "no clip >= 2 s: quality not measured (SNR/code agreement only)"
    report["passed"] = report["passed"] and stage_bad_frames == 0  # every precision
    report["criterion"] += stages_ok
    return report


def load_clips(paths, sample_rate, seconds=None):
    """Audio files or folders → list of mono float32 arrays at ``sample_rate``."""
    from ..models.data import load_audio_folder

    clips = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            clips.extend(load_audio_folder(p, sample_rate))
        else:
            import soundfile as sf
            import soxr

            x, sr = sf.read(str(p), dtype="float32", always_2d=True)
            x = x.mean(1)
            if sr != sample_rate:
                x = soxr.resample(x, sr, sample_rate).astype(np.float32)
            clips.append(x)
    if seconds:
        clips = [c[: int(seconds * sample_rate)] for c in clips]
    return clips


def format_report(r):
    lines = [f"{r['graph_dir']}: precision {r['precision']}, {r['clips']} clip(s)"]
    for n, bps in r["bitrates_bps"].items():
        line = f"  {bps / 1000:5.2f} kbps (n_q={n}): max|err| {r['max_abs_error'][n]:.2e}  SNR vs float {r['snr_vs_float_db'][n]:6.1f} dB"
        q = r.get("quality", {}).get(n)
        if q:
            line += f"  ViSQOL {q['visqol_float']:.3f}->{q['visqol_graphs']:.3f} ({q['visqol_delta']:+.3f})  PESQ {q['pesq_float']:.3f}->{q['pesq_graphs']:.3f} ({q['pesq_delta']:+.3f})"
        lines.append(line)
    agree = r["code_agreement_per_quantizer"]
    lines.append("  code agreement per quantizer: " + " ".join(f"{a:.2f}" for a in agree))
    if r["precision"] == "float32" and "code_frames_tied" in r:
        lines.append(
            f"  frames with differing codes: {r['code_frames_tied']} at a distance tie, "
            f"{r['code_frames_differing_without_tie']} without (of {r['frames']})"
        )
    if r.get("rvq_stage_signatures"):
        lines.append(f"  RVQ encode signatures for {r['rvq_stage_signatures']} stages: "
                     f"{r['rvq_stage_signature_mismatched_frames']} frames with other codes than all stages")
    lines.append(f"  {'PASS' if r['passed'] else 'FAIL'}: {r['criterion']}")
    return "\n".join(lines)


def dump(report, path):
    Path(path).write_text(json.dumps(report, indent=2) + "\n")
