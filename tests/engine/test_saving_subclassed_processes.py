"""A subclassed model holding a custom layer and a built-in Dense, trained and saved in one
process, loads in a fresh process that imports its registered classes and predicts exactly
the same; a process without the registration gets an error naming the class and how to make
it load; an unregistered copy of the class loads when passed as a custom object."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import engine

MODULE = '''
import engine
from engine import ops


{decorator}
class Scale(engine.layers.Layer):
    """Own weight plus a tracked Dense sublayer."""

    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.inner = engine.layers.Dense(units, activation="tanh")

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="random_normal", name="w")

    def call(self, x):
        return ops.matmul(x, self.w) + self.inner(x)

    def get_config(self):
        return {{**super().get_config(), "units": self.units}}


{decorator}
class Regressor(engine.Model):
    """A subclassed model: the custom layer, then a built-in Dense."""

    def __init__(self, units=5, outputs=2, **kwargs):
        super().__init__(**kwargs)
        self.scale = Scale(units)
        self.head = engine.layers.Dense(outputs)

    def call(self, x, training=False):
        return self.head(self.scale(x))
'''

SAVE = '''
import numpy as np
import engine
from my_models import Regressor

engine.clear_session()
engine.backend.set_seed(7)
x = np.random.default_rng(0).random((32, 3)).astype("float32")
y = np.random.default_rng(1).random((32, 2)).astype("float32")
model = Regressor(units=6)
model.compile("adam", "mse")
model.fit(x, y, epochs=3, batch_size=8, verbose=0)
model.save("regressor.lcm")
np.save("x.npy", x)
np.save("predicted.npy", model.predict(x, verbose=0))
print("SAVED", [w.shape for w in model.get_weights()])
'''

LOAD = '''
import numpy as np
import engine
{imports}

x = np.load("x.npy")
try:
    model = engine.load_model("regressor.lcm"{arguments})
except engine.CheckpointError as exc:
    print("ERROR", exc)
    raise SystemExit(0)
np.testing.assert_array_equal(model.predict(x, verbose=0), np.load("predicted.npy"))
print("LOADED", type(model).__name__, model.get_config(), model.compiled,
      [w.shape for w in model.get_weights()])
print("EPOCHS", model.training_state["epoch"])
history = model.fit(x, np.zeros((32, 2), "float32"), epochs=1, verbose=0)  # it trains on
print("TRAINED", bool(np.isfinite(history.history["loss"][0])))
'''


def run_python(folder, code) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=False, cwd=folder,
                            capture_output=True, text=True, timeout=240,
                            env={"PYTHONPATH": f"{folder}:{_repo_root()}", "PATH": "/usr/bin"})
    assert result.returncode == 0, result.stderr
    return result.stdout


def _repo_root() -> str:
    return str(Path(engine.__file__).resolve().parent.parent)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A process that registers the classes, trains the model and saves it (with its
    predictions); the same module without the decorators is `plain_models`."""
    folder = tmp_path_factory.mktemp("subclassed")
    decorator = '@engine.saving.register_keras_serializable(package="MyModels")'
    (folder / "my_models.py").write_text(MODULE.format(decorator=decorator))
    (folder / "plain_models.py").write_text(MODULE.format(decorator=""))
    out = run_python(folder, SAVE)
    assert "SAVED [(3, 6), (3, 6), (6,), (6, 2), (2,)]" in out
    return folder


def test_that_a_process_that_imports_the_registered_classes_predicts_identically(saved):
    out = run_python(saved, LOAD.format(imports="import my_models", arguments=""))
    assert ("LOADED Regressor {'name': 'regressor', 'units': 6, 'outputs': 2} True "
            "[(3, 6), (3, 6), (6,), (6, 2), (2,)]") in out
    assert "EPOCHS 3" in out and "TRAINED True" in out


def test_that_a_process_without_the_registration_gets_an_error_naming_the_class(saved):
    out = run_python(saved, LOAD.format(imports="", arguments=""))
    assert "LOADED" not in out
    assert "'regressor' (MyModels>Regressor)" in out
    assert "@engine.saving.register_keras_serializable()" in out
    assert 'custom_objects={"Regressor": Regressor}' in out


def test_that_an_unregistered_copy_of_the_class_loads_when_passed(saved):
    out = run_python(saved, LOAD.format(imports="from plain_models import Regressor",
                                        arguments=', custom_objects={"Regressor": Regressor}'))
    assert "LOADED Regressor" in out
