#!/usr/bin/env bash
# Build the libFuzzer harnesses (clang, ASan+UBSan) and fuzz each for N
# seconds, then the atheris harness for the Python parsers for N seconds.
# Exits non-zero on any crash, invariant failure or build error.
#
#   native/fuzz/run_fuzz.sh [SECONDS=60] [OUT_DIR=build/fuzz]
#
# Env: CXX_FUZZ (default clang++), SKIP_NATIVE=1, SKIP_PYTHON=1,
# REQUIRE_ATHERIS=1 (fail instead of skipping when atheris is missing).
# The committed seed corpus is only read; new inputs go to OUT_DIR/corpus_*,
# crash reproducers to OUT_DIR/crash-*.
set -euo pipefail

SECS=${1:-60}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${2:-$ROOT/build/fuzz}
CXX_FUZZ=${CXX_FUZZ:-clang++}
mkdir -p "$OUT"
cd "$ROOT"

SRCS="native/packet.cc native/crc32.cc native/container_reader.cc native/container_writer.cc native/json.cc native/model_manifest.cc native/status.cc"
FLAGS="-std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Inative"

if [ "${SKIP_NATIVE:-0}" != 1 ]; then
  for t in packet container manifest; do
    echo "== building fuzz_$t"
    # shellcheck disable=SC2086
    "$CXX_FUZZ" $FLAGS "native/fuzz/fuzz_$t.cc" $SRCS -o "$OUT/fuzz_$t"
    mkdir -p "$OUT/corpus_$t"
    echo "== fuzz_$t for ${SECS}s"
    "$OUT/fuzz_$t" "$OUT/corpus_$t" "native/fuzz/corpus/$t" \
      -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len="$([ $t = manifest ] && echo 32768 || echo 4096)" \
      -print_final_stats=1 -artifact_prefix="$OUT/" 2>"$OUT/fuzz_$t.log" \
      || { tail -40 "$OUT/fuzz_$t.log"; echo "fuzz_$t FAILED (log: $OUT/fuzz_$t.log)"; exit 1; }
    grep -E "^stat::number_of_executed_units|^stat::new_units_added|^Done" "$OUT/fuzz_$t.log" || true
  done
fi

if [ "${SKIP_PYTHON:-0}" != 1 ]; then
  PY=${PYTHON:-python}
  if "$PY" -c "import atheris" 2>/dev/null; then
    echo "== atheris (Python parsers) for ${SECS}s"
    (cd "$OUT" && "$PY" "$ROOT/tests/fuzz/fuzz_python_parsers.py" --seconds "$SECS" \
        --corpus "$OUT/corpus_python" >"$OUT/fuzz_python.log" 2>&1) \
      || { tail -40 "$OUT/fuzz_python.log"; echo "atheris FAILED (log: $OUT/fuzz_python.log)"; exit 1; }
    grep -E "^stat::number_of_executed_units|^stat::new_units_added|^Done" "$OUT/fuzz_python.log" || true
  elif [ "${REQUIRE_ATHERIS:-0}" = 1 ]; then
    echo "atheris is not installed (pip install atheris)"; exit 1
  else
    echo "== atheris not installed: skipping the Python fuzz run (pip install atheris)"
  fi
fi
echo "== fuzzing: no crashes"
