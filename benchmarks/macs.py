"""Model MACs per frame from the ``.tflite`` flatbuffer, and the CPU's float32 peak.

MACs are counted from static tensor shapes (batch 1, one frame per graph call):

* ``CONV_2D``            out_elems x kh x kw x cin      (filter ``[cout, kh, kw, cin]``)
* ``DEPTHWISE_CONV_2D``  out_elems x kh x kw
* ``TRANSPOSE_CONV``     in_elems(activation) x kh x kw x cout
* ``FULLY_CONNECTED``    out_elems x k                  (weights ``[n, k]``)
* ``BATCH_MATMUL``       out_elems x k                  (k = last dim of the first operand)

Element-wise ops (activations, adds, FiLM) are ignored: they are < 1 % of the
work in these models. FLOPs = 2 x MACs.

Peak: (a) *measured* -- best float32 GFLOP/s of a 512x512x512 numpy/BLAS matmul
on one thread (a subprocess with ``OMP/OPENBLAS/MKL_NUM_THREADS=1``), and
(b) *theoretical* -- 2 FMA ports x 8 float32 lanes (AVX2) x 2 flops x the
clock read from ``/proc/cpuinfo`` (only if the CPU reports ``fma``/``avx2``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

_MAC_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV", "FULLY_CONNECTED", "BATCH_MATMUL")


def graph_macs(path, signature=None) -> dict:
    """{"macs": int, "by_op": {op: macs}, "ops": n} for one .tflite file: every
    subgraph, or only the one of ``signature`` (a file with several signatures,
    e.g. the RVQ encode's fewer-stage ones, runs one of them per frame)."""
    from ai_edge_litert import schema_py_generated as schema

    from sscodec.converter.flatbuffer_ops import _builtin_names

    model = schema.Model.GetRootAs(bytearray(Path(path).read_bytes()), 0)
    names = _builtin_names()
    codes = []
    for i in range(model.OperatorCodesLength()):
        oc = model.OperatorCodes(i)
        codes.append(names.get(max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode()), "?"))
    by_op: dict = {}
    total = n_ops = 0
    subgraphs = range(model.SubgraphsLength())
    if signature is not None:
        keys = {model.SignatureDefs(i).SignatureKey().decode(): model.SignatureDefs(i).SubgraphIndex()
                for i in range(model.SignatureDefsLength())}
        if signature not in keys:
            raise ValueError(f"{path}: no signature {signature!r} (has {sorted(keys)})")
        subgraphs = [keys[signature]]
    for s in subgraphs:
        sg = model.Subgraphs(s)

        def shape(t):
            if t < 0:
                return None
            return [int(v) for v in sg.Tensors(t).ShapeAsNumpy()] if sg.Tensors(t).ShapeLength() else []

        for j in range(sg.OperatorsLength()):
            op = sg.Operators(j)
            name = codes[op.OpcodeIndex()]
            n_ops += 1
            if name not in _MAC_OPS:
                continue
            ins = [shape(int(t)) for t in op.InputsAsNumpy()]
            outs = [shape(int(t)) for t in op.OutputsAsNumpy()]
            out_el = int(np.prod(outs[0])) if outs and outs[0] is not None else 0
            macs = 0
            try:
                if name == "CONV_2D":
                    _, kh, kw, cin = ins[1]
                    macs = out_el * kh * kw * cin
                elif name == "DEPTHWISE_CONV_2D":
                    _, kh, kw, _ = ins[1]
                    macs = out_el * kh * kw
                elif name == "TRANSPOSE_CONV":
                    # inputs: output_shape, weights [cout, kh, kw, cin], activation
                    cout, kh, kw, _ = ins[1]
                    macs = int(np.prod(ins[2])) * kh * kw * cout
                elif name == "FULLY_CONNECTED":
                    macs = out_el * ins[1][-1]
                elif name == "BATCH_MATMUL":
                    macs = out_el * ins[0][-1]
            except (TypeError, ValueError, IndexError):
                macs = 0
            by_op[name] = by_op.get(name, 0) + int(macs)
            total += int(macs)
    return {"macs": int(total), "by_op": by_op, "ops": n_ops}


def files_macs(files: dict) -> dict:
    """{stage: path or (path, signature)} -> {stage: graph_macs, "total_macs": macs}."""
    out = {k: graph_macs(*(p if isinstance(p, tuple) else (p,))) for k, p in files.items()}
    out["total_macs"] = int(sum(v["macs"] for v in out.values() if isinstance(v, dict)))
    return out


def manifest_macs(m, n_q=None) -> dict:
    """:func:`files_macs` of a converted folder's four graphs (a
    :class:`sscodec.manifest.Manifest`) at ``n_q`` quantizers (default all): the
    RVQ encode counts the signature the runtime runs for ``n_q``."""
    n_q = n_q or m.num_quantizers
    return files_macs({r: (m.graph_path(r), g.signature_for(n_q) if r == "rvq_encode" else g.signature)
                       for r, g in m.graphs.items()})


_PEAK_SNIPPET = r"""
import time, json, numpy as np
n = %d
a = np.random.rand(n, n).astype(np.float32); b = np.random.rand(n, n).astype(np.float32)
a @ b
best = 0.0
for _ in range(%d):
    t = time.perf_counter(); a @ b; dt = time.perf_counter() - t
    best = max(best, 2 * n ** 3 / dt)
print(json.dumps({"gflops": best / 1e9}))
"""


def measured_peak(n: int = 512, repeats: int = 20) -> dict:
    """Best single-thread float32 GFLOP/s of an n^3 numpy matmul (subprocess)."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               BLIS_NUM_THREADS="1")
    try:
        r = subprocess.run([sys.executable, "-c", _PEAK_SNIPPET % (n, repeats)], env=env,
                           capture_output=True, text=True, timeout=120)
        g = json.loads(r.stdout.strip().splitlines()[-1])["gflops"]
    except Exception as e:  # noqa: BLE001
        return {"gflops": None, "error": str(e)}
    return {"gflops": round(g, 2),
            "method": f"best of {repeats} numpy float32 {n}x{n}x{n} matmuls, BLAS pinned to 1 thread"}


def theoretical_peak() -> dict:
    """AVX2+FMA: 2 FMA ports x 8 lanes x 2 flops per cycle x max reported clock."""
    try:
        txt = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {"gflops": None, "method": "no /proc/cpuinfo"}
    flags = next((l.split(":", 1)[1].split() for l in txt.splitlines() if l.startswith("flags")), [])
    mhz = [float(l.split(":", 1)[1]) for l in txt.splitlines() if l.startswith("cpu MHz")]
    model = next((l.split(":", 1)[1].strip() for l in txt.splitlines() if l.startswith("model name")), "?")
    if not mhz or "fma" not in flags or "avx2" not in flags:
        return {"gflops": None, "cpu": model, "method": "CPU reports no AVX2/FMA or no clock"}
    ghz = max(mhz) / 1000
    per_cycle = 2 * 8 * 2 * (2 if "avx512f" in flags else 1)
    return {"gflops": round(per_cycle * ghz, 2), "cpu": model, "clock_ghz": round(ghz, 3),
            "flops_per_cycle": per_cycle,
            "method": f"{per_cycle} float32 flops/cycle (2 FMA ports x {'16' if per_cycle == 64 else '8'} lanes x 2) "
                      f"x {ghz:.2f} GHz reported clock (single core, no turbo accounting)"}


def cpu_peak(measure: bool = True) -> dict:
    return {"measured_matmul": measured_peak() if measure else {"gflops": None, "method": "skipped"},
            "theoretical_fma": theoretical_peak()}


def main(argv=None) -> int:
    """``python -m sscodec.benchmarks.macs [--model DIR] [--json]``: MACs per frame of each graph."""
    import argparse

    from sscodec.manifest import load_manifest

    from . import common

    ap = argparse.ArgumentParser(prog="python -m sscodec.benchmarks.macs", description=main.__doc__)
    ap.add_argument("--model", metavar="DIR", help="converted model folder (default: the shipped speech16k)")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = ap.parse_args(argv)
    out = {}
    for p, d in common.model_variants(args.model).items():
        m = load_manifest(d, verify_hashes=False)
        frame_ms = 1000.0 * m.frame_size / m.sample_rate
        out[p] = {"model_id": m.model_id, "frame_ms": frame_ms, "num_quantizers": m.num_quantizers,
                  **manifest_macs(m)}
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    for p, r in out.items():
        stages = ", ".join(f"{k} {v['macs'] / 1e6:.2f} M" for k, v in r.items() if isinstance(v, dict))
        gflops = 2 * r["total_macs"] / (r["frame_ms"] * 1e-3) / 1e9
        print(f"{r['model_id']} {p}: {r['total_macs'] / 1e6:.2f} M MACs per {r['frame_ms']:g} ms frame at "
              f"{r['num_quantizers']} quantizers ({stages}); real time needs {gflops:.2f} GFLOP/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
