#!/usr/bin/env bash
# A time-boxed training burst ON THE GPU MACHINE (see tools/gpu/README.md). From the repo root:
#
#   bash tools/gpu/burst.sh MINUTES [INIT_MODEL_DIR]   # default: .gpu/init if there (tools/gpu/half_init.py),
#                                                      # else models/speech16k/keras
#
# 1. installs the wheels in .gpu/whl (keras, soundfile, soxr, ... : absent there) into $TMP/site;
# 2. makes `sscodec` importable without building the native core: a symlink farm
#    $TMP/pkg/sscodec/ = the files of runtime/ (its __init__ imports nothing native) + models/;
# 3. KERAS_BACKEND=jax python -m sscodec.models.train CONFIG RUN --init-from INIT
#    --max-minutes MINUTES --no-progress (no --init-from when RUN already has a checkpoint:
#    it resumes); MINUTES counts from the first step (after data loading and model build);
# 4. copies back to ${OUT:-./out}: export/{config.json,generator.weights.npz,training_run.json},
#    log.csv, eval.csv (if it has rows), train.log (the trainer's output), system.txt
#    (nvidia-smi, versions), gpu.csv (GPU load every 15 s; appended to system.txt when the weights'
#    3 parts of the C = 32 codec would make 9 files) -- at most 8 files, each <= 16 MiB
#    (weights over 16 MiB lose their training-only RVQ statistics, as the shipped export has
#    none: C = 16 speech16k 21.5 -> 15.4 MiB; if still over -- the shipped C = 32 decoder's
#    29 MiB -- they come back as generator.weights.npz.part0, .part1, ... to be joined with
#    cat, in order). Also done on failure. The export's
#    discriminator.weights.npz stays behind (the 8-file limit); a burst warm-started from a
#    model directory that has one (a shipped keras/) does load it.
#
# Knobs (environment): PYTHON (python3), SSCODEC_BURST_CONFIG (tools/gpu/burst.toml),
# SSCODEC_BURST_TMP (/tmp), SSCODEC_BURST_RUN ($TMP/burst_run), SSCODEC_BURST_WHEELS (.gpu/whl),
# SSCODEC_BURST_ARGS (extra trainer arguments, e.g. "--steps 3000"), SSCODEC_BURST_MAX_BYTES.
set -euo pipefail

die() { echo "burst: error: $*" >&2; exit 2; }
say() { echo "burst: $*"; }

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: bash tools/gpu/burst.sh MINUTES [INIT_MODEL_DIR]"
MINUTES=$1
INIT_DEFAULT=models/speech16k/keras  # or its half-size copy, which travels when tree.sh hides it
[ -f .gpu/init/config.json ] && INIT_DEFAULT=.gpu/init
INIT=${2:-$INIT_DEFAULT}
[[ $MINUTES =~ ^[0-9]+([.][0-9]+)?$ ]] || die "MINUTES must be a number, got '$MINUTES'"
[ -f tools/gpu/burst.sh ] && [ -d models ] && [ -f runtime/__init__.py ] || die "run me from the repository root"
ROOT=$(pwd -P)
PY=${PYTHON:-python3}
CONFIG=${SSCODEC_BURST_CONFIG:-tools/gpu/burst.toml}
TMPB=${SSCODEC_BURST_TMP:-/tmp}
RUN=${SSCODEC_BURST_RUN:-$TMPB/burst_run}
WHEELS=${SSCODEC_BURST_WHEELS:-.gpu/whl}
EXTRA=${SSCODEC_BURST_ARGS:-}
DEST=${OUT:-./out}
MAX_BYTES=${SSCODEC_BURST_MAX_BYTES:-$((16 * 1024 * 1024))}  # per returned file (override: tests)
[ -f "$CONFIG" ] || die "no training config $CONFIG"
mkdir -p "$DEST/export" "$TMPB"

SMI_PID=
collect() {  # copy the results to $DEST; runs on every exit
  set +e
  local f
  [ -n "$SMI_PID" ] && kill "$SMI_PID" 2>/dev/null
  rm -f "$DEST"/export/generator.weights.npz.part?  # parts of an earlier collect
  for f in config.json generator.weights.npz training_run.json; do
    [ -f "$RUN/export/$f" ] && cp "$RUN/export/$f" "$DEST/export/$f"
  done
  [ -f "$RUN/log.csv" ] && cp "$RUN/log.csv" "$DEST/log.csv"
  [ -f "$RUN/eval.csv" ] && [ "$(wc -l <"$RUN/eval.csv")" -gt 1 ] && cp "$RUN/eval.csv" "$DEST/eval.csv"
  local w=$DEST/export/generator.weights.npz
  if [ -f "$w" ] && [ "$(stat -c %s "$w")" -gt "$MAX_BYTES" ]; then
    say "weights over $MAX_BYTES bytes: dropping the training-only RVQ statistics (not needed to ship, convert, --init-from)"
    "$PY" - "$w" <<'EOF'
import sys, numpy as np
p = sys.argv[1]
with np.load(p) as z:
    training_only = ("cluster_size_", "embed_sum_", "seed_generator_state")  # as sscodec.models.model_io
    keep = {k: z[k] for k in z.files if not any(t in k.rsplit("/", 1)[-1] for t in training_only)}
np.savez(p[:-4] + ".tmp.npz", **keep)
import os; os.replace(p[:-4] + ".tmp.npz", p)
EOF
  fi
  if [ -f "$w" ] && [ "$(stat -c %s "$w")" -gt "$MAX_BYTES" ]; then  # C = 32 decoder: still ~29 MiB
    split -b "$MAX_BYTES" -d -a 1 "$w" "$w.part" && rm -f "$w"
    say "weights still over $MAX_BYTES bytes: split into $(ls "$w".part? | wc -l) parts; join them here with"
    say "  cat export/generator.weights.npz.part? > export/generator.weights.npz"
  fi
  local n big
  n=$(find "$DEST" -type f | wc -l)
  if [ "$n" -gt 8 ] && [ -f "$DEST/gpu.csv" ] && [ -f "$DEST/system.txt" ]; then  # C = 32 codec: 3 weight parts
    { echo "# gpu.csv"; cat "$DEST/gpu.csv"; } >>"$DEST/system.txt" && rm -f "$DEST/gpu.csv"
    say "$n files: gpu.csv appended to system.txt (only 8 come back)"
    n=$((n - 1))
  fi
  say "returned in $DEST:"
  find "$DEST" -type f -printf '  %P  %s bytes\n' | sort
  big=$(find "$DEST" -type f -size +"$MAX_BYTES"c | wc -l)
  [ "$n" -le 8 ] || say "WARNING: $n files (only 8 come back)"
  [ "$big" -eq 0 ] || say "WARNING: $big file(s) over $MAX_BYTES bytes will not come back"
  [ -f "$RUN/log.csv" ] && say "last log row: $(tail -n 1 "$RUN/log.csv")"
}
trap collect EXIT

ARGS=()  # a new run warm-starts from INIT; a run folder with a checkpoint resumes
if [ -f "$RUN/latest.json" ]; then
  say "$RUN has a checkpoint: resuming it"
else
  [ -f "$INIT/config.json" ] && [ -f "$INIT/generator.weights.npz" ] || die "$INIT is not a model directory"
  ARGS+=(--init-from "$INIT")
fi

# -- 1. wheels --------------------------------------------------------------------------------
if compgen -G "$WHEELS/*.whl" >/dev/null; then
  say "installing $(ls "$WHEELS"/*.whl | wc -l) wheel(s) from $WHEELS into $TMPB/site"
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$TMPB/site" "$WHEELS"/*.whl \
    || die "pip install of $WHEELS/*.whl failed (one version per package, cp312 manylinux wheels?)"
  export PYTHONPATH="$TMPB/site${PYTHONPATH:+:$PYTHONPATH}"
else
  say "no wheels in $WHEELS: using the installed packages"
fi

# -- 2. sscodec without the native core -------------------------------------------------------
PKG=$TMPB/pkg/sscodec
rm -rf "$PKG"  # a folder of symlinks: rm does not follow them
mkdir -p "$PKG"
for f in "$ROOT"/runtime/*; do
  [ "$(basename "$f")" = __pycache__ ] || ln -s "$f" "$PKG/$(basename "$f")"
done
ln -s "$ROOT/models" "$PKG/models"
export PYTHONPATH="$TMPB/pkg${PYTHONPATH:+:$PYTHONPATH}"
export KERAS_BACKEND=jax PYTHONUNBUFFERED=1 SSCODEC_DATA_CACHE="$TMPB/sscodec_cache"

{
  echo "# nvidia-smi"; nvidia-smi 2>&1 || echo "(no nvidia-smi)"
  echo "# versions"
  "$PY" - "$ROOT" <<'EOF' 2>&1
import os, platform, shutil, sys
import jax, keras, numpy, soundfile, soxr
import sscodec.models, sscodec.models.data, sscodec.models.model_io
ok = os.path.realpath(sscodec.models.__file__) == os.path.realpath(os.path.join(sys.argv[1], "models", "__init__.py"))
print("python", platform.python_version(), "jax", jax.__version__, "keras", keras.__version__, "numpy", numpy.__version__,
      "soundfile", soundfile.__version__, "soxr", soxr.__version__)
print("devices", jax.devices())
print("sscodec.models from", sscodec.models.__file__, "" if ok else "(NOT this checkout)")
if shutil.which("nvidia-smi") and jax.default_backend() != "gpu":
    sys.exit("JAX sees no GPU although nvidia-smi is there: not wasting the burst on the CPU")
sys.exit(0 if ok else 3)
EOF
} >"$DEST/system.txt" 2>&1 || { cat "$DEST/system.txt"; die "imports failed (see above): a wheel missing from $WHEELS?"; }
cat "$DEST/system.txt"

# -- 3. train ---------------------------------------------------------------------------------
read -r -a EXTRA_ARGS <<<"$EXTRA"
say "training for $MINUTES min: $CONFIG -> $RUN ${ARGS[*]} ${EXTRA_ARGS[*]}"
if command -v nvidia-smi >/dev/null 2>&1; then  # GPU load while training: does it wait for data?
  nvidia-smi --query-gpu=timestamp,utilization.gpu,memory.used,power.draw --format=csv -l 15 >"$DEST/gpu.csv" 2>&1 &
  SMI_PID=$!
fi
set +e
"$PY" -m sscodec.models.train "$CONFIG" "$RUN" "${ARGS[@]}" --max-minutes "$MINUTES" --no-progress "${EXTRA_ARGS[@]}" 2>&1 \
  | tee "$DEST/train.log"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] && say "trainer finished" || say "trainer FAILED with status $rc (see train.log)"
exit "$rc"
