"""JSON schema checks and the Markdown summary of ``sscodec bench`` / ``sscodec eval``."""

from __future__ import annotations

import json
from pathlib import Path

from .. import atomic_write

BENCH_KEYS = {"schema", "quick", "machine", "versions", "commit", "model", "settings", "sscodec", "lyra_v2",
              "opus", "ratios", "macs", "peak", "memory", "scheduler", "unavailable"}
EVAL_KEYS = {"schema", "quick", "machine", "versions", "commit", "model", "settings", "sets", "packet_loss",
             "unavailable"}
STAGE_KEYS = {"median_ms", "p99_ms", "mean_ms", "frames", "rtf"}
METRIC_KEYS = {"visqol", "pesq", "stoi", "mel_distance"}


def validate_bench(d: dict) -> list:
    """List of schema problems (empty = valid)."""
    errs = [f"missing key {k}" for k in BENCH_KEYS - set(d)]
    if d.get("schema") != "sscodec-bench/1":
        errs.append("schema != sscodec-bench/1")
    for p, paths in (d.get("sscodec") or {}).items():
        for name in ("native_scheduler", "native_runners", "python_interpreter"):
            if name not in paths:
                errs.append(f"sscodec.{p}: no {name}")
                continue
            for st in ("encoder", "rvq_encode", "rvq_decode", "decoder", "total"):
                if not STAGE_KEYS <= set(paths[name].get(st, {})):
                    errs.append(f"sscodec.{p}.{name}.{st}: keys")
    if not d.get("sscodec"):
        errs.append("no sscodec results")
    return errs


def validate_eval(d: dict) -> list:
    errs = [f"missing key {k}" for k in EVAL_KEYS - set(d)]
    if d.get("schema") != "sscodec-eval/1":
        errs.append("schema != sscodec-eval/1")
    sp = (d.get("sets") or {}).get("speech_heldout")
    if not sp or not sp.get("results"):
        errs.append("no speech_heldout results")
    else:
        for r in sp["results"]:
            if not {"label", "codec", "bitrate_bps", "metrics"} <= set(r) or not METRIC_KEYS <= set(r["metrics"]):
                errs.append(f"speech_heldout result {r.get('label')}: keys")
    pl = d.get("packet_loss")
    if not pl or not pl.get("rates") or "sscodec" not in pl["rates"][0]:
        errs.append("packet_loss: no rates")
    return errs


def _f(v, nd=2):
    return "–" if v is None else f"{v:.{nd}f}"


def bench_markdown(d: dict) -> str:
    device = d.get("device")  # android-bench documents (sscodec_bench on a phone / here)
    L = ["## Speed (`sscodec android-bench`)" if device else "## Speed (`sscodec bench`)", ""]
    if d.get("emulated"):
        L += [f"**EMULATED ({d.get('emulation') or 'emulator'}): these numbers are NOT timings of a phone; the run "
              "only shows that the bundle works and what it outputs.**", ""]
    m = d["model"]
    how = ("paths interleaved frame by frame" if d["settings"].get("interleaved", True)
           else "sscodec_bench through libsscodec.so")
    where = ""
    if device:
        c = d.get("core") or {}
        ghz = f" at {c['max_freq_khz'] / 1e6:.2f} GHz" if c.get("max_freq_khz") else ""
        where = (f"device: {device.get('name') or device.get('serial')} ({d['machine'].get('platform')}), "
                 f"pinned to core {c.get('pinned')} ({c.get('cpu') or '?'}{ghz}); ")
    L.append(f"Model `{m['model_id']}` at {m['bitrate_bps']} bps ({m['num_quantizers']} quantizers); "
             f"{d['settings']['frames']} frames, 1 thread, {how}; {where}"
             f"machine: {d['machine']['cpu']} ({d['machine']['cpus']} CPUs, load {d['machine']['loadavg_1m_start']}"
             f"→{d['machine'].get('loadavg_1m_end')}); commit `{d.get('commit')}`."
             + (" **Quick run: numbers not meaningful.**" if d.get("quick") else ""))
    L += ["", "| codec | precision | path | encoder | RVQ enc | RVQ dec | decoder | total median | total p99 | RTF |",
          "|---|---|---|---|---|---|---|---|---|---|"]

    def row(codec, prec, name, st):
        return (f"| {codec} | {prec} | {name} | " + " | ".join(_f(st.get(s, {}).get("median_ms"), 3)
                for s in ("encoder", "rvq_encode", "rvq_decode", "decoder"))
                + f" | {_f(st['total']['median_ms'], 3)} | {_f(st['total']['p99_ms'], 3)} | {_f(st['total']['rtf'], 1)} |")

    for p, paths in d["sscodec"].items():
        for name in ("native_scheduler", "native_runners", "python_interpreter"):
            if name in paths:
                L.append(row("sscodec", p, name, paths[name]))
    if d.get("lyra_v2"):
        for name in ("native_scheduler", "native_runners", "python_interpreter"):
            if name in d["lyra_v2"]:
                L.append(row(f"Lyra v2 {d['lyra_v2']['bitrate_bps']} bps", "(as shipped)", name, d["lyra_v2"][name]))
    if d.get("opus"):
        o = d["opus"]["opuslib"]
        L.append(f"| Opus {d['opus']['bitrate_bps']} bps | – | {d['opus']['libopus']} | encode {_f(o['encode']['median_ms'], 3)} | | | "
                 f"decode {_f(o['decode']['median_ms'], 3)} | {_f(o['total']['median_ms'], 3)} | {_f(o['total']['p99_ms'], 3)} | {_f(o['total']['rtf'], 1)} |")
    L += ["", "Stage times are medians in ms per 20 ms frame (the total's median is not the sum of stage medians). "
          "RTF = 20 ms / median total."]
    if device:
        L[-1] += " Total = encode (push + process + pull packet) + decode (push packet + process + pull audio); p90 of total: " + ", ".join(
            f"{p} {_f(paths['native_scheduler']['total'].get('p90_ms'), 3)} ms" for p, paths in d["sscodec"].items()
            if "native_scheduler" in paths) + "."
    ratios = {k: v for k, v in (d.get("ratios") or {}).items() if k != "reference"}
    if ratios:
        L += ["", "Ratios (median total per frame): " + ", ".join(f"{k} = {v}" for k, v in ratios.items())
              + f" (reference: {d['ratios'].get('reference')})."]
    pk = d.get("peak") or {}
    macs = {k: v for k, v in (d.get("macs") or {}).items() if isinstance(v, dict)}
    if macs:
        L += ["", "| graphs | MACs / frame | achieved GFLOP/s | fraction of peak | time at peak (ms) |", "|---|---|---|---|---|"]
        for k, v in macs.items():
            L.append(f"| {k} | {v['total_macs'] / 1e6:.2f} M | {_f(v.get('achieved_gflops'))} | "
                     f"{_f(100 * v['fraction_of_measured_peak'] if v.get('fraction_of_measured_peak') is not None else None, 1)} % | "
                     f"{_f(v.get('min_time_at_peak_ms'), 4)} |")
    if pk:
        mp, tp = pk.get("measured_matmul", {}), pk.get("theoretical_fma", {})
        L += ["", f"Peak: measured {mp.get('gflops')} GFLOP/s ({mp.get('method')}); theoretical {tp.get('gflops')} GFLOP/s "
              f"({tp.get('method')}). {d['macs'].get('note', '')}."]
    elif (d.get("macs") or {}).get("note"):
        L += ["", d["macs"]["note"] + "."]
    mem = d.get("memory") or {}
    if "codec_rss_mib" in mem or not mem:
        L += ["", f"Memory: a streaming encoder+decoder pair adds {mem.get('codec_rss_mib')} MiB RSS to a Python+numpy+sscodec "
              f"process ({mem.get('python_baseline_rss_mib')} MiB → {mem.get('rss_after_stream_mib')} MiB after streaming "
              f"{mem.get('stream_seconds')} s; process peak {mem.get('peak_rss_mib')} MiB)."]
    elif "peak_rss_mib" in mem:  # one sscodec_bench report
        L += ["", f"Memory: peak RSS {mem['peak_rss_mib']} MiB ({mem.get('method')})."]
    else:  # {precision: {"peak_rss_mib", "rss_mib", "method"}} from sscodec_bench
        L += ["", "Memory (peak RSS of the whole benchmark process: encoder + decoder stream, LiteRT, libc): "
              + ", ".join(f"{p} {v.get('peak_rss_mib')} MiB" for p, v in mem.items() if isinstance(v, dict)) + "."]
    s = d.get("scheduler")
    if "scheduler" not in d:
        pass
    elif s:
        o, pc = s["overhead"], s["pacing_1x"]
        L += ["", f"Scheduler (`{s['model']}`): overhead {o['overhead_us_per_frame']:.1f} µs/frame "
              f"({o['overhead_pct_of_model']:.2f} % of graph time); at 1× pacing for {pc['seconds']} s "
              f"({pc['frames']} frames, worker thread): {pc['deadline_misses']} deadline misses, latency p50 "
              f"{pc['latency_ms']['p50_ms']:.2f} / p99 {pc['latency_ms']['p99_ms']:.2f} / max {pc['latency_ms']['max_ms']:.2f} ms, "
              f"{pc['samples_underrun']} underrun samples."]
    else:
        L += ["", "Scheduler statistics: unavailable."]
    if d.get("unavailable"):
        L += ["", "Unavailable: " + "; ".join(f"{u['what']} ({u['why']})" for u in d["unavailable"])]
    return "\n".join(L) + "\n"


def eval_markdown(d: dict) -> str:
    L = ["## Quality (`sscodec eval`)", ""]
    s = d["settings"]
    L.append(f"{s['seconds_per_clip']} s clips at 16 kHz; delay removed by alignment; metrics: ViSQOL v3 speech mode "
             f"(lattice), PESQ-WB, STOI, log-mel distance; commit `{d['commit']}`."
             + (" **Quick run: numbers not meaningful.**" if d.get("quick") else ""))
    for name, st in d["sets"].items():
        L += ["", f"### {name}", "", st["description"] + ".", ""]
        if isinstance(st.get("clips"), list):
            srcs = sorted({c["source"] for c in st["clips"]})
            L.append(f"{len(st['clips'])} clips; sources/speakers: {', '.join(srcs)}.")
            L.append("")
        L += ["| config | kbps | ViSQOL | PESQ-WB | STOI | mel dist |", "|---|---|---|---|---|---|"]
        for r in st["results"]:
            m = r["metrics"]
            kb = "–" if r.get("bitrate_bps") is None else f"{r['bitrate_bps'] / 1000:g}"
            L.append(f"| {r['label']} | {kb} | {_f(m['visqol'])} | {_f(m['pesq'])} | {_f(m['stoi'], 3)} | {_f(m['mel_distance'], 3)} |")
    pl = d.get("packet_loss")
    if pl:
        L += ["", "### Packet loss", "", f"{pl['loss_model']}; {pl['concealment']}; {pl['bitrate_bps']} bps.", "",
              "| loss | sscodec ViSQOL | PESQ | STOI | Opus 6k ViSQOL | PESQ | STOI |", "|---|---|---|---|---|---|---|"]
        for e in pl["rates"]:
            a = e["sscodec"]["metrics"]
            o = e.get("opus", {}).get("metrics", {})
            L.append(f"| {100 * e['loss_rate']:.0f} % | {_f(a['visqol'])} | {_f(a['pesq'])} | {_f(a['stoi'], 3)} | "
                     f"{_f(o.get('visqol'))} | {_f(o.get('pesq'))} | {_f(o.get('stoi'), 3)} |")
    if d.get("bars"):
        L += bars_markdown(d["bars"])
    if d.get("unavailable"):
        L += ["", "Unavailable: " + "; ".join(f"{u['what']} ({u['why']})" for u in d["unavailable"])]
    return "\n".join(L) + "\n"


def _diff(v, nd=2):
    """'+0.12 [+0.03, +0.20]*' — mean paired difference, its 95 % interval, * when it excludes 0."""
    if v is None:
        return "–"
    lo, hi = v["ci95"]
    return f"{v['mean']:+.{nd}f} [{lo:+.{nd}f}, {hi:+.{nd}f}]" + ("*" if v["significant"] else "")


def _verdict(met):
    return "undetermined (no per-clip scores)" if met is None else "**met**" if met else "**not met**"


def _bar_rows(title, comparisons, met) -> list:
    """One table row per (comparison label, {metric: difference}); the bar's title on the first
    row, its verdict on the last."""
    rows = []
    for i, (label, dv) in enumerate(comparisons):
        rows.append(f"| {title if i == 0 else ''} | {label} | {_diff(dv.get('visqol'))} | {_diff(dv.get('pesq'))} | "
                    f"{_diff(dv.get('stoi'), 3)} | {_verdict(met) if i == len(comparisons) - 1 else ''} |")
    return rows


def bars_markdown(b: dict) -> list:
    """Lines of the "Bars" section from :func:`sscodec.benchmarks.bars.judge`'s dict."""
    L = ["", "### Bars", "", f"Differences are {b['method']}; * = the interval excludes 0.", "",
         "| bar | comparison | ViSQOL | PESQ-WB | STOI | verdict |", "|---|---|---|---|---|---|"]
    o = b.get("opus_6k")
    if o:
        L += _bar_rows(f"6 kbps beats Opus, ViSQOL ≥ {o['visqol_floor']:g}",
                       [(f"{o['sscodec']} − {o['opus']} (ViSQOL {_f(o['visqol'])})", o["differences"])], o["met"])
    m = b.get("monotonic")
    if m:
        for prec, p in m["precisions"].items():
            L += _bar_rows(f"rises with bitrate ({prec})",
                           [(f"{s['to']} − {s['from']}", s["differences"]) for s in p["steps"]], p["met"])
    dn = b.get("denoise")
    if dn:
        L += _bar_rows("denoise helps (noisy input)",
                       [(f"{side} side − off", s["differences"]) for side, s in dn["sides"].items()], dn["met"])
    if not (o or m or dn):
        L.append("| – | this run has none of the rows the bars compare | | | | |")
    return L


def write_summary(out_dir) -> Path:
    """summary.md from whichever of bench.json / eval.json exist in out_dir."""
    out = Path(out_dir)
    parts = ["# sscodec benchmarks", "",
             "Generated by `sscodec bench` and `sscodec eval`; every number is in `bench.json` / `eval.json`.", ""]
    if (out / "eval.json").is_file():
        parts += [eval_markdown(json.loads((out / "eval.json").read_text())), "",
                  "![rate-quality](rate_quality.png)", ""]
        if (out / "packet_loss.png").is_file():
            parts += ["![packet loss](packet_loss.png)", ""]
    if (out / "bench.json").is_file():
        parts += [bench_markdown(json.loads((out / "bench.json").read_text())), "", "![stage times](stage_times.png)", ""]
    p = out / "summary.md"
    p.write_text("\n".join(parts))
    return p


def write_json(doc: dict, path) -> Path:
    return atomic_write.write_text(path, json.dumps(doc, indent=1, default=str) + "\n")
