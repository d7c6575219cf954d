"""models/average_checkpoints.py: mean of the trainable weights, the last checkpoint's codebooks."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorflow")

TINY_KERAS = Path(__file__).parent / "data" / "tiny_codec" / "keras"


def _perturbed_copy(out_dir, seed):
    """The tiny model with every weight (codebooks too) shifted by seeded noise, saved to out_dir."""
    from sscodec.models.model_io import load_model_dir, save_model_dir

    gen = load_model_dir(TINY_KERAS)
    rng = np.random.default_rng(seed)
    for v in gen.variables:
        if "float" in str(v.dtype):
            v.assign(np.asarray(v.numpy()) + rng.normal(0, 0.1, v.shape).astype(np.float32))
    save_model_dir(gen, out_dir, {"run_id": f"r{seed}", "step": seed}, inference_only=True)
    return gen


def _checkpoint(run_dir, step, gen):
    """A trainer-format checkpoint of ``gen`` (only what export reads: gen/ arrays + config)."""
    from sscodec.models.config import TrainConfig
    from sscodec.models.model_io import variables_to_arrays

    run_dir.mkdir(parents=True, exist_ok=True)
    np.savez(run_dir / f"ckpt_{step:08d}.npz", **variables_to_arrays(gen.variables, "gen/"))
    (run_dir / f"ckpt_{step:08d}.json").write_text(json.dumps({"step": step, "config": TrainConfig(preset="tiny").to_dict()}))


def test_mean_of_weights_and_last_codebooks(tmp_path):
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    from sscodec.models.average_checkpoints import main
    from sscodec.models.model_io import load_model_dir

    a = _perturbed_copy(tmp_path / "a", 1)
    b = _perturbed_copy(tmp_path / "b", 2)
    run = tmp_path / "run"
    _checkpoint(run, 300, b)
    out = tmp_path / "avg"
    assert main([str(out), str(tmp_path / "a"), f"{run}:300", "--run-id", "avg_test"]) == 0
    avg = load_model_dir(out)
    for va, vb, vm in zip(a.trainable_variables, b.trainable_variables, avg.trainable_variables):
        np.testing.assert_allclose(vm.numpy(), (va.numpy() + vb.numpy()) / 2, rtol=1e-6, atol=1e-6)
    assert a.quantizer.codebooks and all(
        np.array_equal(cm.numpy(), cb.numpy()) for cm, cb in zip(avg.quantizer.codebooks, b.quantizer.codebooks)
    )
    assert not np.array_equal(avg.quantizer.codebooks[0].numpy(), a.quantizer.codebooks[0].numpy())
    info = json.loads((out / "training_run.json").read_text())
    assert info["averaged_from"] == [str(tmp_path / "a"), "run@300"] and info["run_id"] == "avg_test"


def test_bad_input_is_a_clear_error(tmp_path, capsys):
    from sscodec.models.average_checkpoints import main

    assert main([str(tmp_path / "o"), str(TINY_KERAS)]) == 1
    assert "at least two" in capsys.readouterr().err
    assert main([str(tmp_path / "o"), str(TINY_KERAS), f"{tmp_path}:100"]) == 1
    assert "no checkpoint" in capsys.readouterr().err
    assert main([str(tmp_path / "o"), str(TINY_KERAS), str(tmp_path / "missing")]) == 1
    assert "neither a model directory" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()
