"""The NumPy/CuPy seam: device choice, reasons, transfers and seeding."""

import numpy as np
import pytest

from engine import Sequential, Input, backend, layers
from engine.errors import DeviceError


def test_that_cpu_is_always_available():
    assert backend.resolve_device("cpu") == "cpu"
    assert backend.xp("cpu") is np


def test_that_auto_picks_the_gpu_only_when_one_answers():
    expected = "gpu" if backend.gpu_available() else "cpu"
    assert backend.resolve_device("auto") == expected


def test_that_asking_for_a_missing_gpu_says_why_and_what_to_do():
    if backend.gpu_available():
        pytest.skip("a GPU is present")
    with pytest.raises(DeviceError) as info:
        backend.resolve_device("gpu")
    message = str(info.value)
    assert backend.gpu_status() in message
    assert "pip install -e .[gpu]" in message and "device='cpu'" in message


def test_that_gpu_status_gives_a_reason_without_a_gpu():
    status = backend.gpu_status()
    assert isinstance(status, str) and status


def test_that_an_unknown_device_lists_the_choices():
    with pytest.raises(DeviceError, match="'cpu', 'gpu', 'auto'"):
        backend.resolve_device("tpu")


def test_that_a_model_on_a_missing_gpu_is_refused_before_any_work():
    if backend.gpu_available():
        pytest.skip("a GPU is present")
    model = Sequential([Input((3,)), layers.Dense(2)])
    with pytest.raises(DeviceError):
        model.compile(optimizer="adam", loss="mse", device="gpu")


def test_that_to_numpy_and_to_device_round_trip_on_cpu():
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    moved = backend.to_device(a, "cpu", dtype=np.float32)
    assert moved.dtype == np.float32
    np.testing.assert_array_equal(backend.to_numpy(moved), a)
    assert backend.device_of(moved) == "cpu"


def test_that_seeding_makes_weights_reproducible():
    backend.set_seed(7)
    first = layers.Dense(4)
    first.build((3,))
    backend.set_seed(7)
    second = layers.Dense(4)
    second.build((3,))
    np.testing.assert_array_equal(first.get_weights()[0], second.get_weights()[0])
