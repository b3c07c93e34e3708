"""Denormal floats flush to zero inside the engine's work and nowhere else."""

import threading

import numpy as np
import pytest

from engine import Input, Sequential, backend, callbacks, fpu, layers

pytestmark = pytest.mark.skipif(not fpu.supported(), reason="no FTZ/DAZ control here")
DENORMAL = np.float32(1e-40)


def denormal_times_one() -> float:
    return float(DENORMAL * np.float32(1.0))


class SeesDenormals(callbacks.Callback):
    """Records what a denormal times one gives inside a training step."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append(denormal_times_one())


def fit_once(callback):
    model = Sequential([Input((3,)), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((8, 3), np.float32), np.ones((8, 2), np.float32), batch_size=4,
              epochs=1, verbose=0, callbacks=[callback])
    return model


@pytest.fixture(autouse=True)
def _default_setting():
    yield
    backend.set_flush_denormal(True)


def test_that_a_denormal_times_one_is_zero_inside_a_training_step():
    seen = SeesDenormals()
    fit_once(seen)
    assert seen.seen == [0.0, 0.0]


def test_that_the_users_own_float_math_after_fit_is_untouched():
    fit_once(SeesDenormals())
    assert denormal_times_one() == pytest.approx(1e-40, rel=1e-3)
    assert 5e-324 * 1.0 == 5e-324  # Python floats keep their smallest denormal
    assert not fpu.is_flushing()


def test_that_flushing_can_be_turned_off():
    backend.set_flush_denormal(False)
    seen = SeesDenormals()
    fit_once(seen)
    assert seen.seen[0] == pytest.approx(1e-40, rel=1e-3)
    assert not backend.flush_denormal_enabled()


def test_that_a_caller_who_flushes_already_keeps_flushing_after_an_engine_call():
    with fpu.flushing():
        fit_once(SeesDenormals())
        assert fpu.is_flushing()
    assert not fpu.is_flushing()


def test_that_a_training_thread_flushes_while_the_calling_thread_does_not():
    seen = SeesDenormals()
    thread = threading.Thread(target=fit_once, args=(seen,))
    thread.start()
    thread.join()
    assert seen.seen == [0.0, 0.0]
    assert denormal_times_one() > 0.0


def test_that_eager_calls_tape_gradients_and_optimizer_steps_flush():
    model = Sequential([Input((3,)), layers.Dense(2)])
    seen = []
    model.layers[-1].forward = (lambda forward: lambda *a, **k: (
        seen.append(denormal_times_one()), forward(*a, **k))[1])(model.layers[-1].forward)
    model(np.ones((1, 3), np.float32))
    assert seen == [0.0]


def test_that_the_setting_refuses_anything_but_a_bool():
    with pytest.raises(TypeError, match="True or False"):
        backend.set_flush_denormal("yes")


def test_that_threads_started_while_flushing_flush_too():
    """How the BLAS workers get it: NumPy's import runs inside `flushing()`, and a thread
    copies the floating-point state of the thread that starts it (POSIX)."""
    seen = []
    with fpu.flushing():
        worker = threading.Thread(target=lambda: seen.append(fpu.is_flushing()))
        worker.start()
    worker.join()
    assert seen == [True] and not fpu.is_flushing()
