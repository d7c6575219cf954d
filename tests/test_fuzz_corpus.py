"""The committed fuzz seed corpus: up to date, and clean under the Python harness."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "native" / "fuzz" / "corpus"


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def harness():
    return _load("fuzz_python_parsers", REPO / "tests" / "fuzz" / "fuzz_python_parsers.py")


def test_corpus_is_generated_by_make_corpus(tmp_path):
    mk = _load("make_corpus", REPO / "native" / "fuzz" / "make_corpus.py")
    assert mk.main(["--out", str(tmp_path)]) == 0
    for sub in ("packet", "container"):
        want = {p.name: p.read_bytes() for p in (tmp_path / sub).iterdir()}
        have = {p.name: p.read_bytes() for p in (CORPUS / sub).iterdir()}
        assert have == want, f"corpus/{sub} is stale: run python native/fuzz/make_corpus.py"


def test_fuzz_format_mappings_agree(harness):
    mk = _load("make_corpus", REPO / "native" / "fuzz" / "make_corpus.py")
    for s0 in range(256):
        for s1 in (0, 1, 3, 200, 255):
            assert harness.fuzz_format(s0, s1) == mk.fuzz_format(s0, s1)
    header = (REPO / "native" / "fuzz" / "fuzz_common.h").read_text()
    assert "{1, 2, 3, 4, 6, 8, 12, 16, 18, 24, 32, 46, 64, 128, 200, 255}" in header
    assert harness.KMAXQ == mk.KMAXQ == (1, 2, 3, 4, 6, 8, 12, 16, 18, 24, 32, 46, 64, 128, 200, 255)


def test_corpus_replays_cleanly(harness):
    files = sorted(CORPUS.glob("*/*"))
    assert len(files) >= 20
    for p in files:
        harness.one_input(p.read_bytes())


def test_random_mutations_replay_cleanly(harness):
    rng = np.random.default_rng(0)
    seeds = [p.read_bytes() for p in sorted(CORPUS.glob("*/*"))]
    for i in range(3000):
        b = bytearray(seeds[i % len(seeds)])
        for _ in range(int(rng.integers(1, 4))):
            if b and rng.random() < 0.6:
                j = int(rng.integers(0, len(b)))
                b[j] = int(rng.integers(0, 256))
            elif b:
                del b[int(rng.integers(0, len(b))) :]
        harness.one_input(bytes(b))
