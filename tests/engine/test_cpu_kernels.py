"""The fused CPU kernels (numba, `engine.kernels`) compute what the NumPy path computes.

Every optimizer that has a kernel, in each of its variants, takes the same steps on the same
arrays with the kernels on and off, and must agree bit for bit; the flat path of
fit() and the per-variable path of `apply_gradients` both. Without numba these tests skip
and the NumPy path runs everywhere else in the suite.
"""

import contextlib

import os

import numpy as np
import pytest

from engine import backend, fpu, kernels, optimizers
from engine.kernels import preparing

pytest.importorskip("numba")

VARIANTS = [
    ("Adam", {}),
    ("Adam", {"amsgrad": True}),
    ("Adam", {"weight_decay": 0.01}),
    ("AdamW", {}),
    ("SGD", {}),
    ("SGD", {"momentum": 0.9}),
    ("SGD", {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("RMSprop", {}),
    ("RMSprop", {"momentum": 0.5, "centered": True}),
    ("RMSprop", {"centered": True, "weight_decay": 0.01}),
    ("Adamax", {}),
    ("Adamax", {"weight_decay": 0.01}),
    ("Nadam", {}),
    ("Adagrad", {}),
    ("Adadelta", {"rho": 0.9}),
    ("Lion", {"weight_decay": 0.01}),
    ("Ftrl", {}),
    ("Ftrl", {"l1_regularization_strength": 0.01, "l2_regularization_strength": 0.01,
              "l2_shrinkage_regularization_strength": 0.01, "beta": 0.1}),
    ("Ftrl", {"learning_rate_power": -0.3}),  # the NumPy path: pow's rounding differs
]


@pytest.fixture(scope="module", autouse=True)
def compiled_kernels():
    """Every kernel compiled before the tests compare it with NumPy: a first call only
    starts compiling in the background, and NumPy takes that step."""
    _prepare_all()


def _prepare_all():
    for name, config in VARIANTS:
        _flat_steps(name, config, steps=1, size=8)
    _dense_relu_step()
    assert kernels.wait_until_ready(timeout=120)


def _dense_relu_step():
    from engine import layers

    dense = layers.Dense(3, activation="relu")
    dense.build((None, 4))
    dense.forward(np.ones((2, 4), np.float32), training=True)
    dense.backward(np.ones((2, 3), np.float32))


@pytest.fixture
def numpy_path():
    kernels.set_cpu_kernels(False)
    yield
    kernels.set_cpu_kernels(True)


def _flat_steps(name, config, steps=5, size=10_007, seed=0):
    rng = np.random.default_rng(seed)
    optimizer = getattr(optimizers, name)(learning_rate=0.01, **config)
    w = rng.normal(size=size).astype(np.float32)
    for _ in range(steps):
        g = rng.normal(size=size).astype(np.float32)
        with fpu.flushing():
            optimizer.apply_flat(g, w, [(0, size // 3), (size // 3, size)])
    return w, optimizer.get_state()


@pytest.mark.parametrize(("name", "config"), VARIANTS)
def test_each_kernel_takes_the_numpy_paths_steps_on_a_flat_buffer(name, config, request):
    assert kernels.cpu_kernels_enabled()
    fused_w, fused_state = _flat_steps(name, config)
    request.getfixturevalue("numpy_path")
    plain_w, plain_state = _flat_steps(name, config)
    np.testing.assert_array_equal(fused_w, plain_w)  # bit for bit
    assert fused_state.keys() == plain_state.keys()
    for key in plain_state:
        np.testing.assert_array_equal(fused_state[key], plain_state[key])


@pytest.mark.parametrize(("name", "config"), VARIANTS[:2] + VARIANTS[4:6])
def test_each_kernel_takes_the_numpy_paths_steps_on_separate_variables(name, config,
                                                                       numpy_path):
    def run():
        rng = np.random.default_rng(1)
        weights = [rng.normal(size=(30, 7)).astype(np.float32),
                   rng.normal(size=(7,)).astype(np.float32)]
        optimizer = getattr(optimizers, name)(learning_rate=0.05, **config)
        for _ in range(4):
            optimizer.apply([rng.normal(size=w.shape).astype(np.float32) for w in weights],
                            weights)
        return weights

    plain = run()
    kernels.set_cpu_kernels(True)
    fused = run()
    for a, b in zip(fused, plain):
        np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(fpu._PLATFORM is None, reason="no flush-to-zero bits on this CPU")
@pytest.mark.parametrize("flushing", [True, False])
def test_a_kernel_keeps_denormal_moments_exactly_when_the_numpy_path_would(flushing):
    """Flushed: a denormal momentum becomes 0 (as FTZ does to NumPy's result); unflushed,
    the kernel keeps it: it runs under the calling thread's floating-point state."""
    tiny = np.float32(1e-39)  # denormal in float32
    optimizer = optimizers.SGD(learning_rate=0.0, momentum=0.9)
    w, g = np.ones(64, np.float32), np.zeros(64, np.float32)
    with fpu.flushing():
        optimizer.apply_flat(g, w, [(0, 64)])  # builds the slots
    optimizer._state.flat_slots(np, w)["momentum"][:] = tiny
    region = fpu.flushing() if flushing else contextlib.nullcontext()
    with region:
        optimizer.apply_flat(g, w, [(0, 64)])
    expected = np.float32(0.0) if flushing else tiny * np.float32(0.9)
    np.testing.assert_array_equal(optimizer.get_state()["momentum"], expected)


def test_kernels_can_be_switched_off_and_say_so():
    kernels.set_cpu_kernels(False)
    try:
        assert not kernels.cpu_kernels_enabled()
        assert not kernels.usable(np.ones(3, np.float32))
    finally:
        kernels.set_cpu_kernels(True)
    with pytest.raises(TypeError, match="True or False"):
        kernels.set_cpu_kernels("yes")


def test_arrays_the_kernels_do_not_take_go_down_the_numpy_path():
    assert kernels.usable(np.ones(3, np.float32))
    assert not kernels.usable(np.ones(3, np.float64))
    assert not kernels.usable(np.ones((3, 4), np.float32)[:, 1])  # not contiguous


@pytest.mark.parametrize("name", ["Adam", "SGD", "RMSprop", "Adamax", "Nadam", "Adagrad",
                                  "Adadelta", "Lion", "Ftrl"])
def test_with_numba_the_step_runs_in_the_kernel_not_in_numpy(name, monkeypatch):
    def numpy_path_ran(*args):
        raise AssertionError("the NumPy update ran")

    optimizer = getattr(optimizers, name)(learning_rate=0.1)
    monkeypatch.setattr(type(optimizer), "_update", numpy_path_ran)
    w, g = np.ones(8, np.float32), np.ones(8, np.float32)
    with fpu.flushing():
        optimizer.apply_flat(g, w, [(0, 8)])
    assert (w < 1).all()
    before = w.copy()
    optimizer.apply_flat(g, w, [(0, 8)])  # unflushed too: the kernel follows the thread's mode
    assert (w < before).all()


def test_kernels_that_numba_cannot_set_up_leave_numpy_training(monkeypatch):
    """A numba that cannot compile or cache here (a read-only home, say) must not stop
    training: a warning says the kernels are off, and the NumPy path runs."""
    import importlib

    def broken(name):
        raise RuntimeError("cannot cache function: no locator available")

    preparing.forget()
    monkeypatch.setattr(importlib, "import_module", broken)
    try:
        optimizer = optimizers.Adam(learning_rate=0.1)
        w, g = np.ones(8, np.float32), np.ones(8, np.float32)
        with pytest.warns(RuntimeWarning, match="kernels are off.*NumPy"), fpu.flushing():
            optimizer.apply_flat(g, w, [(0, 8)])
            kernels.wait_until_ready()
        assert (w < 1).all() and not kernels.cpu_kernels_enabled()
    finally:
        monkeypatch.undo()
        kernels.set_cpu_kernels(True)
        preparing.forget()
        _prepare_all()  # again, for the tests after this one


def test_a_first_call_never_waits_for_the_compiler(monkeypatch):
    """The first step with a kernel not yet compiled runs in NumPy while the kernel compiles
    in the background; once it is ready, the kernel takes the steps."""
    updates = []
    real_update = optimizers.SGD._update
    monkeypatch.setattr(optimizers.SGD, "_update",
                        lambda *args: (updates.append(1), real_update(*args))[1])
    preparing.forget()
    optimizer = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    w, g = np.ones(8, np.float32), np.ones(8, np.float32)
    optimizer.apply_flat(g, w, [(0, 8)])
    assert updates == [1]  # NumPy took it: nothing waited for the compiler
    assert kernels.wait_until_ready(timeout=120)
    optimizer.apply_flat(g, w, [(0, 8)])
    assert updates == [1]  # the kernel took this one
    preparing.forget()
    _prepare_all()


@pytest.mark.parametrize("activation", ["relu", "linear"])
@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("layer", ["Dense", "Conv2D"])
def test_bias_and_activation_in_one_pass_equal_the_numpy_path(activation, use_bias, layer,
                                                               request):
    """Forward and backward of a Dense or Conv2D with relu/linear: the fused kernels
    (bias + activation, relu backward) give NumPy's results bit for bit, NaN included."""
    from engine import Input, Sequential, layers

    def run():
        backend.set_seed(0)
        shape, make = ((6,), lambda: layers.Dense(5, activation=activation, use_bias=use_bias,
                                                  bias_initializer="random_normal")) \
            if layer == "Dense" else ((5, 5, 2), lambda: layers.Conv2D(
                4, 3, activation=activation, use_bias=use_bias, bias_initializer="random_normal"))
        model = Sequential([Input(shape), make()])
        x = np.random.default_rng(1).normal(size=(3, *shape)).astype(np.float32)
        x[0, ...] = np.nan if layer == "Dense" else x[0, ...]
        y = model.layers[0].forward(x, training=True)
        grad = np.random.default_rng(2).normal(size=y.shape).astype(np.float32)
        dx = model.layers[0].backward(grad)
        return y, dx, {k: g.copy() for k, g in model.layers[0].grads.items()}

    fused = run()
    request.getfixturevalue("numpy_path")
    plain = run()
    for a, b in zip(fused[:2], plain[:2]):
        np.testing.assert_array_equal(a, b)
    for key in plain[2]:
        np.testing.assert_array_equal(fused[2][key], plain[2][key])


def test_the_relu_backward_kernel_runs_for_float32_and_not_for_float64():
    x = np.array([-1.0, 0.0, 2.0, np.nan], np.float32)
    g = np.array([5.0, 6.0, 7.0, 8.0], np.float32)
    np.testing.assert_array_equal(kernels.relu_backward(x, g), [0.0, 0.0, 7.0, 0.0])
    assert kernels.relu_backward(x.astype(np.float64), g.astype(np.float64)) is None


COMPILES_IN_THIS_PROCESS = """
import numpy as np
from numba.core import event

compiles = []

class Count(event.Listener):
    def on_start(self, ev):
        compiles.append(ev.data["dispatcher"].py_func.__name__)

    def on_end(self, ev):
        pass

event.register("numba:compile", Count())
from engine import fpu, kernels, optimizers
optimizer = optimizers.Adam()
w = np.ones(100, np.float32)
with fpu.flushing():
    optimizer.apply_flat(w, w, [(0, 100)])
    assert kernels.wait_until_ready(timeout=240)
    optimizer.apply_flat(w, w, [(0, 100)])
from engine.kernels import preparing
assert preparing._ready[("optimizer_kernels", "adam")] is not None
print("compiled here:", compiles)
"""


def test_numbas_compiler_never_runs_in_the_training_process(tmp_path):
    """With an empty kernel cache, a child process compiles the kernel into the cache and
    this process only loads it: the compiler, run in a thread beside Qt's GUI thread,
    crashed CI twice."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", COMPILES_IN_THIS_PROCESS], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "compiled here: []" in done.stdout
    assert any(tmp_path.rglob("optimizer_kernels.adam-*.nbi"))  # the child filled the cache


ONE_CHILD_FOR_A_STEPS_KERNELS = """
import subprocess
import numpy as np

children = []
run = subprocess.run
subprocess.run = lambda args, **kw: children.append(args) or run(args, **kw)
from engine import kernels
x = np.ones(8, np.float32)
assert kernels.relu_backward(x, x) is None  # asked for; NumPy computes meanwhile
kernels.bias_activation(x.reshape(2, 4), None, "relu")  # a moment later, the same step
assert kernels.wait_until_ready(timeout=240)
assert kernels.relu_backward(x, x) is not None
print("children:", len([a for a in children if any("fill_cache" in part for part in a)]))
"""


def test_the_kernels_a_step_asks_for_compile_in_one_child_process(tmp_path):
    """Eight child processes, one per kernel, made a convnet's cold first epoch 5 s instead
    of 0.8 s on two cores; one child compiles them all (`preparing.GATHER_S`)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", ONE_CHILD_FOR_A_STEPS_KERNELS], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "children: 1" in done.stdout


def test_the_compiling_child_gives_the_training_the_cores_first():
    """It lowers its priority before it imports NumPy, whose BLAS threads inherit it."""
    import subprocess
    import sys

    code = preparing.CHILD_CODE.replace("from engine.kernels.fill_cache import main",
                                        "print(os.nice(0), 'numpy' in sys.modules)\nmain = len")
    done = subprocess.run([sys.executable, "-c", code, "[]"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.stdout.split() == [str(os.nice(0) + preparing.NICENESS), "False"]


def test_a_kernel_thread_that_died_leaves_no_later_kernel_waiting_forever(monkeypatch):
    """A failure raised out of the kernel thread (its warning made an error, say) ends that
    thread; kernels asked for afterwards still get prepared."""
    import threading

    preparing.forget()
    prepare = preparing._prepare_batch
    failed, asked_meanwhile = threading.Event(), threading.Event()

    def fail_once(batch):
        if not failed.is_set():
            failed.set()
            asked_meanwhile.wait(10)  # a kernel is asked for while this batch runs
            raise RuntimeError("raised out of the kernel thread")
        prepare(batch)

    monkeypatch.setattr(preparing, "_prepare_batch", fail_once)
    monkeypatch.setattr(threading, "excepthook", lambda args: None)  # expected here
    x = np.ones(4, np.float32)
    assert kernels.relu_backward(x, x) is None
    assert failed.wait(10)
    assert kernels.bias_activation(x.reshape(1, 4), None, "relu") is False
    asked_meanwhile.set()
    assert kernels.wait_until_ready(timeout=120)
    assert preparing._ready[("activation_kernels", "relu_backward")] is None  # NumPy
    assert preparing._ready[("activation_kernels", "bias_activation")] is not None
    preparing.forget()
    _prepare_all()


def test_arguments_of_other_types_go_to_numpy_and_compile_nothing():
    """A kernel is loaded for the types its first call had; a read-only array is another
    numba type, and the call goes to NumPy instead of the compiler."""
    x = np.array([-1.0, 2.0], np.float32)
    g = np.array([5.0, 6.0], np.float32)
    np.testing.assert_array_equal(kernels.relu_backward(x, g), [0.0, 6.0])
    x.flags.writeable = False
    assert kernels.relu_backward(x, g) is None


def test_a_kernel_prepared_from_a_worker_thread_finishes_before_the_program_exits():
    """The app trains in a daemon thread; the kernel thread it starts must not inherit
    that, or exit would cut it off half-way."""
    import threading

    preparing.forget()
    x = np.ones(4, np.float32)
    worker = threading.Thread(target=kernels.relu_backward, args=(x, x), daemon=True)
    worker.start()
    worker.join()
    assert [t.daemon for t in preparing._preparing.values()] == [False]
    assert kernels.wait_until_ready(timeout=120)
    preparing.forget()
    _prepare_all()
