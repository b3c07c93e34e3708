"""The exported PyTorch package trains under torchrun (2 CPU processes, gloo) on the bundled
digits, and the engine takes the weights train.py writes back."""

import importlib.util
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from engine import Input, Sequential, layers, optimizers
from engine.datasets import bundled
from engine.interop.pytorch_export import export

pytestmark = pytest.mark.interop


def _torchrun() -> str:
    beside_python = os.path.join(os.path.dirname(sys.executable), "torchrun")
    found = beside_python if os.path.exists(beside_python) else shutil.which("torchrun")
    if found is None:
        pytest.skip("the torchrun command is not installed")
    return found


def _digits(tmp_path):
    """(x_test, y_test) in memory; the train and test sets as npz files for train.py."""
    (x, y), (x_test, y_test) = bundled.load("digits")
    x, x_test = (a[..., None] / np.float32(16) for a in (x, x_test))  # (n, 8, 8, 1) in [0, 1]
    np.savez(tmp_path / "train.npz", x=x, y=y)
    np.savez(tmp_path / "test.npz", x=x_test, y=y_test)
    return x_test, y_test


def _cnn():
    model = Sequential([
        Input((8, 8, 1)), layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.BatchNormalization(momentum=0.9), layers.MaxPooling2D(), layers.Dropout(0.2),
        layers.Flatten(), layers.Dense(10, activation="softmax")])
    model.compile(optimizer=optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _run_train_py(folder, tmp_path):
    command = [_torchrun(), "--standalone", "--nproc-per-node=2", "train.py",
               "--data", str(tmp_path / "train.npz"),
               "--validation-data", str(tmp_path / "test.npz"),
               "--epochs", "2", "--output", str(tmp_path / "trained.safetensors")]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=150,
                            env={**os.environ, "OMP_NUM_THREADS": "1"}, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    print(result.stdout, f"torchrun took {time.perf_counter() - start:.1f} s", sep="\n")
    return result.stdout


def _torch_predictions(folder, weights, x):
    import torch

    spec = importlib.util.spec_from_file_location("exported_digits_model", folder / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with torch.no_grad():
        return module.build_model(weights)(torch.from_numpy(x)).numpy()


def test_that_torchrun_trains_the_export_and_the_engine_takes_the_weights_back(tmp_path):
    pytest.importorskip("torch")
    x_test, y_test = _digits(tmp_path)
    model = _cnn()
    loss_before = model.evaluate(x_test, y_test, verbose=0)[0]
    export(model, tmp_path / "package", batch_size=32)

    stdout = _run_train_py(tmp_path / "package", tmp_path)
    assert "Epoch 2/2" in stdout and "val_loss" in stdout

    model.load_weights(tmp_path / "trained.safetensors")
    loss_after = model.evaluate(x_test, y_test, verbose=0)[0]
    print(f"engine test loss: {loss_before:.4f} before, {loss_after:.4f} after")
    assert loss_after < 0.5 * loss_before
    torch_predictions = _torch_predictions(tmp_path / "package",
                                           tmp_path / "trained.safetensors", x_test)
    np.testing.assert_allclose(model.predict(x_test, verbose=0), torch_predictions, atol=1e-4)
