"""sscodec.atomic_write: a file appears whole at its path or not at all."""
import os
import stat

import numpy as np
import pytest
import soundfile as sf

from sscodec import atomic_write
from sscodec.atomic_write import replacing


def _leftovers(folder, keep):
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_success_replaces_the_file_and_leaves_no_temporary(tmp_path):
    out = tmp_path / "table.csv"
    out.write_text("old\n")
    with replacing(out) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".csv" and tmp != out
        tmp.write_text("new\n")
        assert out.read_text() == "old\n"  # not visible before the block ends
    assert out.read_text() == "new\n"
    assert _leftovers(tmp_path, {"table.csv"}) == []


def test_failure_keeps_the_old_file_and_removes_the_temporary(tmp_path):
    out = tmp_path / "manifest.json"
    out.write_text('{"v": 1}')
    with pytest.raises(RuntimeError, match="disk full"):
        with replacing(out) as tmp:
            tmp.write_text('{"v": 2, "half')
            raise RuntimeError("disk full")
    assert out.read_text() == '{"v": 1}'
    assert _leftovers(tmp_path, {"manifest.json"}) == []


def test_failure_on_a_new_path_creates_nothing(tmp_path):
    with pytest.raises(ValueError):
        with replacing(tmp_path / "new.npz"):
            raise ValueError
    assert list(tmp_path.iterdir()) == []


def test_extension_kept_for_writers_that_choose_a_format_by_it(tmp_path):
    with replacing(tmp_path / "w.npz") as tmp:
        np.savez(tmp, a=np.arange(3))  # np.savez would append .npz to any other name
    with replacing(tmp_path / "x.wav") as tmp:
        sf.write(tmp, np.zeros(160, np.float32), 16000, subtype="PCM_16")
    assert np.load(tmp_path / "w.npz")["a"].tolist() == [0, 1, 2]
    assert sf.info(str(tmp_path / "x.wav")).samplerate == 16000
    assert _leftovers(tmp_path, {"w.npz", "x.wav"}) == []


def test_permissions_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        p = atomic_write.write_text(tmp_path / "a.txt", "hi")
    finally:
        os.umask(old)
    assert p.read_text() == "hi"
    assert stat.S_IMODE(p.stat().st_mode) == 0o644  # mkstemp alone would give 0600
