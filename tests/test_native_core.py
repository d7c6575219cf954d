"""Native core (sscodec._native) on tiny committed models: listing, running,
zero-copy binding, state reset, threads/GIL, and clear errors for bad inputs."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from sscodec import _native
from sscodec.litert import aligned_empty, environment, find_litert_library, load_model


@pytest.fixture(scope="module")
def multi(tiny_models):
    return load_model(tiny_models / "tiny_multi.tflite")


@pytest.fixture()
def state(tiny_models):
    return load_model(tiny_models / "tiny_state.tflite")


def _err(excinfo, code):
    assert excinfo.value.code == code, str(excinfo.value)
    assert str(excinfo.value).startswith(code + ": ")
    return str(excinfo.value)


# ---- listing ----------------------------------------------------------------

def test_lists_signatures_and_tensors(multi):
    assert sorted(multi.signature_keys) == ["add", "scale"]
    add = multi.signature("add")
    assert {t.name for t in add.inputs} == {"x", "y"}
    for t in add.inputs:
        assert t.dtype == np.float32 and t.shape == (1, 4) and t.nbytes == 16
    assert [(t.name, t.dtype, t.shape) for t in add.outputs] == [("sum", np.dtype("float32"), (1, 4))]
    scale = multi.signature("scale")
    ins = {t.name: t for t in scale.inputs}
    assert ins["v"].dtype == np.int32 and ins["v"].shape == (2, 3)
    assert ins["k"].dtype == np.int32 and ins["k"].shape == () and ins["k"].nbytes == 4
    assert "TensorInfo(name='k', dtype=int32, shape=[])" in repr(scale)


def test_from_buffer_matches_from_file(tiny_models, multi):
    data = (tiny_models / "tiny_multi.tflite").read_bytes()
    mb = load_model(data)
    assert mb.source == "<memory>"
    assert [repr(s) for s in mb.signatures] == [repr(s) for s in multi.signatures]
    x = np.arange(4, dtype=np.float32).reshape(1, 4)
    np.testing.assert_array_equal(mb.runner("add")(x=x, y=x)["sum"], multi.runner("add")(x=x, y=x)["sum"])
    del data  # the model owns a copy
    assert mb.runner("add")(x=x, y=x)["sum"].tolist() == [[0, 2, 4, 6]]


# ---- running ----------------------------------------------------------------

def test_call_and_scalar_input(multi):
    r = multi.runner("scale")
    v = np.arange(6, dtype=np.int32).reshape(2, 3)
    assert r(v=v, k=np.int32(3))["out"].tolist() == (v * 3).tolist()
    assert r(v=v, k=2)["out"].tolist() == (v * 2).tolist()  # Python int -> tensor dtype


def test_views_are_zero_copy(multi):
    r = multi.runner("add")
    x, y = r.input("x"), r.input("y")
    x[...] = 1.0
    y[...] = np.arange(4, dtype=np.float32)
    r.run()
    out = r.output("sum")
    assert out.tolist() == [[1, 2, 3, 4]]
    assert not out.flags.writeable
    y[0, 0] = 10.0
    r.run()
    assert out.tolist() == [[11, 2, 3, 4]]  # same memory, updated in place
    copy = r.get_output(0)  # a copy: unaffected by later runs
    y[0, 0] = 20.0
    r.run()
    assert copy.tolist() == [[11, 2, 3, 4]] and out.tolist() == [[21, 2, 3, 4]]


def test_bind_caller_memory_zero_copy(multi):
    r = multi.runner("add")
    x = aligned_empty((1, 4), np.float32)
    out = aligned_empty((1, 4), np.float32)
    assert x.ctypes.data % _native.HOST_ALIGNMENT == 0
    r.bind_input("x", x)
    r.bind_output("sum", out)
    r.input("y")[...] = 1.0
    x[...] = [[1, 2, 3, 4]]
    r.run()
    assert out.tolist() == [[2, 3, 4, 5]]
    x[0, 3] = 100
    r.run()
    assert out.tolist() == [[2, 3, 4, 101]]
    r.bind_input("x", None)  # back to the runner's own (zeroed) buffer
    r.run()
    assert out.tolist() == [[1, 1, 1, 1]]


def test_state_lives_in_model_and_reset_state_gives_fresh_stream(state):
    r = state.runner("step")
    one = np.ones((1, 2), np.float32)
    assert [float(r(x=one)["y"][0, 0]) for _ in range(3)] == [2.0, 3.0, 4.0]
    state.reset_state()
    assert float(r(x=one)["y"][0, 0]) == 2.0  # the runner survives the reset


def test_matches_python_interpreter(tiny_models):
    from ai_edge_litert.interpreter import Interpreter

    rng = np.random.default_rng(0)
    it = Interpreter(model_path=str(tiny_models / "tiny_state.tflite"))
    ref = it.get_signature_runner("step")
    r = load_model(tiny_models / "tiny_state.tflite").runner("step")
    for _ in range(5):
        x = rng.standard_normal((1, 2)).astype(np.float32)
        np.testing.assert_array_equal(r(x=x)["y"], ref(x=x)["y"])


def test_num_threads_and_kernels(tiny_models):
    for kernels in ("xnnpack", "builtin", "reference"):
        m = load_model(tiny_models / "tiny_multi.tflite", num_threads=2, kernels=kernels)
        assert m.num_threads == 2
        x = np.ones((1, 4), np.float32)
        assert m.runner("add")(x=x, y=x)["sum"].tolist() == [[2, 2, 2, 2]]


def test_run_releases_gil(tiny_models):
    # Two threads run separate models concurrently and both get right answers.
    results = {}

    def work(i):
        m = load_model(tiny_models / "tiny_multi.tflite")
        r = m.runner("scale")
        v = np.full((2, 3), i, np.int32)
        results[i] = all(r(v=v, k=i)["out"].tolist() == (v * i).tolist() for _ in range(200))

    ts = [threading.Thread(target=work, args=(i,)) for i in range(1, 4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert results == {1: True, 2: True, 3: True}


# ---- errors -----------------------------------------------------------------

def test_missing_model_file(tmp_path):
    with pytest.raises(_native.Error) as e:
        load_model(tmp_path / "nope.tflite")
    assert "nope.tflite" in _err(e, "NOT_FOUND")


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda good: b"", id="empty"),
        pytest.param(lambda good: b"this is not a flatbuffer\n" * 20, id="text"),
        pytest.param(lambda good: np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes(), id="random"),
        pytest.param(lambda good: good[: len(good) // 2], id="truncated"),
        pytest.param(lambda good: good[:8], id="header-only"),
    ],
)
def test_corrupt_model(tmp_path, tiny_models, make):
    data = make((tiny_models / "tiny_multi.tflite").read_bytes())
    p = tmp_path / "bad.tflite"
    p.write_bytes(data)
    with pytest.raises(_native.Error) as e:
        load_model(p)
    assert "not a valid .tflite" in _err(e, "MODEL_LOAD_ERROR")
    with pytest.raises(_native.Error) as e:
        load_model(data)
    _err(e, "MODEL_LOAD_ERROR")


def test_corrupt_model_truncated_real_model(tmp_path, lyra_dir):
    # LiteRtCreateModelFromFile itself segfaults on this; the core must not.
    data = (lyra_dir / "quantizer.tflite").read_bytes()
    p = tmp_path / "half.tflite"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(_native.Error) as e:
        load_model(p)
    _err(e, "MODEL_LOAD_ERROR")


def test_directory_is_not_a_model(tmp_path):
    with pytest.raises(_native.Error) as e:
        load_model(tmp_path)
    _err(e, "MODEL_LOAD_ERROR")


def test_unknown_signature(multi):
    with pytest.raises(_native.Error) as e:
        multi.runner("nope")
    msg = _err(e, "NOT_FOUND")
    assert "'nope'" in msg and "'add'" in msg and "'scale'" in msg
    with pytest.raises(_native.Error) as e:
        multi.signature("nope")
    _err(e, "NOT_FOUND")
    with pytest.raises(_native.Error):
        multi.runner()  # two signatures: the key is required


def test_unknown_tensor_name(multi):
    r = multi.runner("add")
    with pytest.raises(_native.Error) as e:
        r.set_input("z", np.zeros((1, 4), np.float32))
    assert "'x'" in _err(e, "NOT_FOUND")
    with pytest.raises(_native.Error) as e:
        r.output("nope")
    _err(e, "NOT_FOUND")
    with pytest.raises(_native.Error) as e:
        r.input(7)
    _err(e, "INVALID_ARGUMENT")


@pytest.mark.parametrize("shape", [(4,), (1, 5), (4, 1), (1, 1, 4), ()])
def test_wrong_shape(multi, shape):
    r = multi.runner("add")
    with pytest.raises(_native.Error) as e:
        r.set_input("x", np.zeros(shape, np.float32))
    msg = _err(e, "SHAPE_MISMATCH")
    assert "[1,4]" in msg
    with pytest.raises(_native.Error) as e:
        r(x=np.zeros(shape, np.float32), y=np.zeros((1, 4), np.float32))
    _err(e, "SHAPE_MISMATCH")


def test_wrong_shape_scalar(multi):
    r = multi.runner("scale")
    with pytest.raises(_native.Error) as e:
        r.set_input("k", np.array([3], np.int32))
    assert "expects shape []" in _err(e, "SHAPE_MISMATCH")


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.int32, np.int64, np.bool_])
def test_wrong_dtype(multi, dtype):
    r = multi.runner("add")
    with pytest.raises(_native.Error) as e:
        r.set_input("x", np.zeros((1, 4), dtype))
    msg = _err(e, "TYPE_MISMATCH")
    assert "float32" in msg


def test_wrong_dtype_int(multi):
    r = multi.runner("scale")
    with pytest.raises(_native.Error) as e:
        r.set_input("v", np.zeros((2, 3), np.int64))
    _err(e, "TYPE_MISMATCH")


def test_bind_rejects_bad_memory(multi):
    r = multi.runner("add")
    raw = aligned_empty((64,), np.uint8)
    misaligned = raw[4:20].view(np.float32).reshape(1, 4)
    with pytest.raises(_native.Error) as e:
        r.bind_input("x", misaligned)
    assert "aligned" in _err(e, "INVALID_ARGUMENT")
    with pytest.raises(_native.Error) as e:
        r.bind_input("x", aligned_empty((1, 4), np.float64))
    _err(e, "TYPE_MISMATCH")
    with pytest.raises(_native.Error) as e:
        r.bind_input("x", aligned_empty((2, 4), np.float32)[:, ::2].reshape(2, 2)[:1].reshape(1, 2))
    _err(e, "SHAPE_MISMATCH")


def test_bad_options(tiny_models):
    with pytest.raises(_native.Error) as e:
        load_model(tiny_models / "tiny_multi.tflite", num_threads=0)
    _err(e, "INVALID_ARGUMENT")
    with pytest.raises(_native.Error) as e:
        load_model(tiny_models / "tiny_multi.tflite", kernels="gpu")
    _err(e, "INVALID_ARGUMENT")


# ---- libLiteRt.so location --------------------------------------------------

def test_finds_library_in_ai_edge_litert_wheel():
    p = find_litert_library()
    assert p.endswith("ai_edge_litert/libLiteRt.so")
    assert _native.load_library(p) == p


def test_missing_library_native(tmp_path):
    with pytest.raises(_native.Error) as e:
        _native.Environment(str(tmp_path / "libLiteRt.so"))
    assert "does not exist" in _err(e, "LIBRARY_ERROR")


def test_not_a_library(tmp_path):
    p = tmp_path / "libLiteRt.so"
    p.write_text("not an ELF file")
    with pytest.raises(_native.Error) as e:
        _native.Environment(str(p))
    assert "cannot load" in _err(e, "LIBRARY_ERROR")


def test_library_without_litert_symbols():
    import glob

    cands = glob.glob("/lib/*/libm.so.6") + glob.glob("/usr/lib/*/libm.so.6")
    if not cands:
        pytest.skip("no libm.so.6 found")
    with pytest.raises(_native.Error) as e:
        _native.Environment(cands[0])
    assert "missing symbols: LiteRtCreateEnvironment" in _err(e, "LIBRARY_ERROR")


def test_missing_library_python_side(monkeypatch, tmp_path):
    from sscodec import litert

    monkeypatch.setenv("SSCODEC_LITERT_LIB", str(tmp_path / "nowhere" / "libLiteRt.so"))
    with pytest.raises(litert.LiteRtLibraryNotFound, match="SSCODEC_LITERT_LIB"):
        find_litert_library()
    with pytest.raises(litert.LiteRtLibraryNotFound):
        environment()
    monkeypatch.delenv("SSCODEC_LITERT_LIB")
    monkeypatch.setattr(litert.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(litert.LiteRtLibraryNotFound, match="pip install ai-edge-litert"):
        find_litert_library()
    with pytest.raises(litert.LiteRtLibraryNotFound, match="explicit"):
        find_litert_library(tmp_path / "x.so")


def test_env_var_selects_library(monkeypatch):
    real = find_litert_library()
    monkeypatch.setenv("SSCODEC_LITERT_LIB", real)
    assert find_litert_library() == real
    assert _native.Environment("").library_path == real  # C++ side reads it too
