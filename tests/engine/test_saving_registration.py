"""Safe registration: nothing in a spec or a checkpoint is code; a model using a user's
class loads only where that class is registered or passed (`engine.saving`)."""

import json
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import engine
from engine import ops, registry
from engine.errors import CheckpointError, SpecError


pytestmark = pytest.mark.usefixtures("registrations_undone")  # see tests/conftest.py


def scale_class():
    """A fresh Keras-style layer class: own weight + a tracked Dense sublayer."""

    class Scale(engine.layers.Layer):
        def __init__(self, units=4, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.inner = engine.layers.Dense(units)

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                     initializer="random_normal", name="w")

        def call(self, x):
            return ops.matmul(x, self.w) + self.inner(x)

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return Scale


def functional_with(cls):
    inputs = engine.Input((3,))
    outputs = engine.layers.Dense(2)(cls(4, name="scale")(inputs))
    return engine.Model(inputs, outputs)


# ----- the registration API ------------------------------------------------------------------
def test_that_the_registered_name_is_package_and_class_name_as_in_keras():
    # From the docstring of keras/src/saving/object_registration.py (Keras 3).
    @engine.saving.register_keras_serializable("my_package")
    class MyDense(engine.layers.Dense):
        pass

    assert engine.saving.get_registered_object("my_package>MyDense") == MyDense
    assert engine.saving.get_registered_name(MyDense) == "my_package>MyDense"


def test_that_registration_defaults_to_package_custom_and_accepts_a_name():
    Scale = engine.saving.register_keras_serializable()(scale_class())

    def double(x):
        return 2 * x

    engine.saving.register_keras_serializable(package="fns", name="twice")(double)
    assert engine.saving.get_registered_name(Scale) == "Custom>Scale"
    assert engine.saving.get_registered_object("fns>twice") is double
    assert engine.saving.get_custom_objects()["Custom>Scale"] is Scale


def test_that_a_registered_layer_class_joins_the_layer_table_and_nothing_else():
    Scale = engine.saving.register_keras_serializable()(scale_class())
    assert registry.get_class("layer", "Custom>Scale") is Scale
    assert registry.lookup("loss", "Custom>Scale") is None
    assert registry.lookup("layer", "Scale") is None  # the bare name stays free


def test_that_classes_register_by_their_engine_base():
    @engine.saving.register_keras_serializable(package="t")
    class Halved(engine.losses.MeanSquaredError):
        pass

    @engine.saving.register_keras_serializable(package="t")
    class Clipped(engine.optimizers.Adam):
        pass

    assert registry.get_class("loss", "t>Halved") is Halved
    assert registry.get_class("optimizer", "t>Clipped") is Clipped


def test_that_a_class_without_get_config_is_refused():
    with pytest.raises(ValueError, match="get_config"):
        engine.saving.register_keras_serializable()(type("Plain", (), {}))


def test_that_unregistered_names_give_none_and_the_python_name():
    Scale = scale_class()
    assert engine.saving.get_registered_object("Custom>Scale") is None
    assert engine.saving.get_registered_name(Scale) == "Scale"
    assert engine.saving.get_registered_object("Scale", custom_objects={"Scale": Scale}) is Scale


def test_that_a_custom_object_scope_lasts_for_its_block_only():
    Scale = scale_class()
    with engine.saving.custom_object_scope({"Scale": Scale}) as scope:
        assert isinstance(scope, engine.saving.CustomObjectScope)
        assert engine.saving.get_registered_object("Scale") is Scale
        assert registry.get_class("layer", "Scale") is Scale
    assert engine.saving.get_registered_object("Scale") is None
    assert registry.lookup("layer", "Scale") is None


def test_that_a_custom_object_scope_belongs_to_its_thread():
    Scale = scale_class()
    seen = []
    with engine.saving.custom_object_scope({"Scale": Scale}):
        worker = threading.Thread(target=lambda: seen.append(
            engine.saving.get_registered_object("Scale")))
        worker.start()
        worker.join()
    assert seen == [None]


def test_that_an_inner_scope_replaces_the_outer_one_as_in_keras():
    A, B = scale_class(), scale_class()
    with engine.saving.custom_object_scope({"A": A}):
        with engine.saving.custom_object_scope({"B": B}):
            assert engine.saving.get_registered_object("A") is None
        assert engine.saving.get_registered_object("A") is A


def test_that_custom_objects_must_map_names_to_classes():
    with pytest.raises(SpecError, match="dict of"):
        engine.saving.custom_object_scope(["Scale"])
    with pytest.raises(SpecError, match="'Scale'"):
        engine.saving.custom_object_scope({"Scale": 3})


def test_that_keras_utils_names_are_the_saving_ones():
    for name in ("register_keras_serializable", "custom_object_scope", "CustomObjectScope",
                 "get_registered_object", "get_registered_name", "get_custom_objects"):
        assert getattr(engine.utils, name) is getattr(engine.saving, name)


# ----- specs: get_config / from_config / JSON ---------------------------------------------------
def test_that_a_registered_layer_is_stored_under_its_registered_name_with_its_config():
    Scale = engine.saving.register_keras_serializable(package="MyLayers")(scale_class())
    entry = functional_with(Scale).to_spec()["layers"][1]
    assert entry["class_name"] == "MyLayers>Scale"
    assert entry["config"]["units"] == 4


def test_that_json_naming_an_unregistered_class_is_refused_with_how_to_register_it():
    text = functional_with(scale_class()).to_json()
    with pytest.raises(SpecError) as caught:
        engine.models.model_from_json(text)
    message = str(caught.value)
    assert "'scale' (Scale)" in message
    assert "@engine.saving.register_keras_serializable()" in message
    assert 'custom_objects={"Scale": Scale}' in message


def test_that_custom_objects_and_scopes_make_a_spec_load():
    Scale = scale_class()
    model = functional_with(Scale)
    again = engine.models.model_from_json(model.to_json(), custom_objects={"Scale": Scale})
    assert isinstance(again.get_layer("scale"), Scale)
    assert isinstance(engine.Model.from_config(model.get_config(),
                                               custom_objects={"Scale": Scale})
                      .get_layer("scale"), Scale)
    with engine.saving.custom_object_scope({"Scale": Scale}):
        assert isinstance(engine.Model.from_config(model.get_config()).get_layer("scale"),
                          Scale)
    assert registry.lookup("layer", "Scale") is None  # nothing stays registered


def test_that_a_sequential_config_with_a_custom_layer_rebuilds():
    Scale = scale_class()
    model = engine.Sequential([engine.Input((3,)), Scale(4, name="scale")])
    again = engine.Sequential.from_config(model.get_config(), custom_objects={"Scale": Scale})
    assert [type(layer) for layer in again.layers] == [Scale]
    with pytest.raises(SpecError, match="Sequential.from_config"):
        engine.Sequential.from_config(model.get_config())


def test_that_a_passed_object_of_another_kind_does_not_stand_for_a_layer():
    text = functional_with(scale_class()).to_json()
    with pytest.raises(SpecError, match="not registered"):
        engine.models.model_from_json(text, custom_objects={"Scale": engine.losses.Huber})


# ----- checkpoints in one process ----------------------------------------------------------------
def test_that_sublayer_weights_are_named_by_attribute_path_and_load_back(tmp_path):
    Scale = engine.saving.register_keras_serializable()(scale_class())
    model = functional_with(Scale)
    names = [key for _, key, _ in engine.saving.checkpoint.weight_layout(model)]
    assert names == ["w", "inner/kernel", "inner/bias", "kernel", "bias"]
    model.save(tmp_path / "m.lcm")
    engine.clear_session()  # the sublayer's own name differs when loading
    again = engine.load_model(tmp_path / "m.lcm")
    x = np.random.default_rng(0).random((5, 3)).astype("float32")
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


def test_that_a_subclass_of_a_registered_class_is_saved_under_its_own_name(tmp_path):
    Base = engine.saving.register_keras_serializable()(scale_class())

    class Derived(Base):  # a registered parent's name is not inherited
        pass

    functional_with(Derived).save(tmp_path / "m.lcm")
    with pytest.raises(CheckpointError, match="Derived"):
        engine.load_model(tmp_path / "m.lcm")


def test_that_an_unregistered_class_named_like_a_built_in_is_not_saved_as_it(tmp_path):
    class Dense(engine.layers.Layer):  # a user's own "Dense"
        def call(self, x):
            return x

    inputs = engine.Input((3,))
    model = engine.Model(inputs, Dense()(inputs))
    with pytest.raises(CheckpointError, match="register_keras_serializable"):
        model.save(tmp_path / "m.lcm")


# ----- serialize_keras_object / deserialize_keras_object ----------------------------------------
def test_that_a_regularizer_round_trips_as_in_the_keras_guide():
    # keras-io guides/serialization_and_saving.py, "Arbitrary object serialization".
    my_reg = engine.regularizers.L1(0.005)
    config = engine.saving.serialize_keras_object(my_reg)
    new_reg = engine.saving.deserialize_keras_object(config)
    assert config["class_name"] == "L1" and config["registered_name"] is None
    assert new_reg.get_config() == my_reg.get_config()


def test_that_custom_objects_serialize_under_their_registered_name():
    Scale = engine.saving.register_keras_serializable(package="MyLayers")(scale_class())
    config = engine.saving.serialize_keras_object(Scale(3, name="s"))
    assert config["registered_name"] == "MyLayers>Scale"
    json.dumps(config)
    assert engine.saving.deserialize_keras_object(config).units == 3


def test_that_deserializing_an_unknown_class_names_it_and_imports_nothing():
    config = {"module": "os", "class_name": "system", "config": {},
              "registered_name": "os>system"}
    with pytest.raises(SpecError, match="'os>system'"):
        engine.saving.deserialize_keras_object(config)


def test_that_a_lambda_is_never_serialized():
    with pytest.raises(ValueError, match="lambda"):
        engine.saving.serialize_keras_object(lambda x: x)


# ----- the Keras guide, imports changed ----------------------------------------------------
def test_keras_guide_registering_custom_objects(tmp_path, monkeypatch):
    # keras-io guides/serialization_and_saving.py (Keras 3), "Registering custom objects"
    # and "Using a custom object scope". One change besides the imports: the guide's Dense
    # uses a registered custom activation function (`activation=custom_fn`), which engine
    # layers do not take yet (activations are names), so Dense has no activation here.
    monkeypatch.chdir(tmp_path)
    keras = engine

    keras.saving.get_custom_objects().clear()

    @keras.saving.register_keras_serializable(package="MyLayers")
    class CustomLayer(keras.layers.Layer):
        def __init__(self, factor):
            super().__init__()
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {"factor": self.factor}

    def get_model():
        inputs = keras.Input(shape=(4,))
        mid = CustomLayer(0.5)(inputs)
        outputs = keras.layers.Dense(1)(mid)
        model = keras.Model(inputs, outputs)
        model.compile(optimizer="rmsprop", loss="mean_squared_error")
        return model

    def train_model(model):
        input = np.random.random((4, 4))
        target = np.random.random((4, 1))
        model.fit(input, target, verbose=0)
        return model

    test_input = np.random.random((4, 4))

    model = get_model()
    model = train_model(model)
    model.save("custom_model.lcm")
    reconstructed_model = keras.models.load_model("custom_model.lcm")
    np.testing.assert_allclose(model.predict(test_input, verbose=0),
                               reconstructed_model.predict(test_input, verbose=0))

    custom_objects = {"CustomLayer": CustomLayer}
    with keras.saving.custom_object_scope(custom_objects):
        reconstructed_model = keras.models.load_model("custom_model.lcm")
    np.testing.assert_allclose(model.predict(test_input, verbose=0),
                               reconstructed_model.predict(test_input, verbose=0))


# ----- across processes -------------------------------------------------------------------------
LAYER_MODULE = '''
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
'''

SAVE = '''
import numpy as np
import engine
from my_layers import Scale

x = np.random.default_rng(0).random((32, 3)).astype("float32")
y = np.random.default_rng(1).random((32, 2)).astype("float32")
inputs = engine.Input((3,))
functional = engine.Model(inputs, engine.layers.Dense(2)(Scale(4, name="scale")(inputs)))
sequential = engine.Sequential([engine.Input((3,)), Scale(5), engine.layers.Dense(2)])
for name, model in (("functional", functional), ("sequential", sequential)):
    model.compile("adam", "mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    model.save(name + ".lcm")
    np.save(name + ".npy", model.predict(x, verbose=0))
np.save("x.npy", x)
'''

LOAD = '''
import numpy as np
import engine
{imports}

x = np.load("x.npy")
for name in ("functional", "sequential"):
    try:
        model = engine.load_model(name + ".lcm"{arguments})
    except engine.CheckpointError as exc:
        print("ERROR", exc)
        continue
    np.testing.assert_array_equal(model.predict(x, verbose=0), np.load(name + ".npy"))
    scale = model.get_layer("scale")
    print("LOADED", name, type(scale).__name__, [w.shape for w in scale.get_weights()])
'''


def run_python(folder, code):
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=folder,
                            capture_output=True, text=True, timeout=240,
                            env={"PYTHONPATH": f"{folder}:{_repo_root()}", "PATH": "/usr/bin"})
    assert result.returncode == 0, result.stderr
    return result.stdout


def _repo_root():
    import pathlib

    return str(pathlib.Path(engine.__file__).resolve().parent.parent)


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    """A process that registers `Scale`, trains a functional and a Sequential model with
    it and saves both (with their predictions)."""
    folder = tmp_path_factory.mktemp("saved")
    decorator = '@engine.saving.register_keras_serializable(package="MyLayers")'
    (folder / "my_layers.py").write_text(LAYER_MODULE.format(decorator=decorator))
    (folder / "plain_layers.py").write_text(LAYER_MODULE.format(decorator=""))
    run_python(folder, SAVE)
    return folder


def test_that_a_process_that_imports_the_registered_class_loads_and_predicts_the_same(
        saved_models):
    out = run_python(saved_models, LOAD.format(imports="import my_layers", arguments=""))
    assert "LOADED functional Scale [(3, 4), (3, 4), (4,)]" in out
    assert "LOADED sequential Scale [(3, 5), (3, 5), (5,)]" in out


def test_that_a_process_without_the_registration_gets_an_error_naming_the_class(
        saved_models):
    out = run_python(saved_models, LOAD.format(imports="", arguments=""))
    assert out.count("ERROR") == 2 and "LOADED" not in out
    assert "'scale' (MyLayers>Scale)" in out
    assert "@engine.saving.register_keras_serializable()" in out
    assert 'custom_objects={"Scale": Scale}' in out


def test_that_an_unregistered_class_passed_as_a_custom_object_loads(saved_models):
    out = run_python(saved_models, LOAD.format(
        imports="from plain_layers import Scale",
        arguments=', custom_objects={"Scale": Scale}'))
    assert "LOADED functional Scale" in out and "LOADED sequential Scale" in out


def test_that_a_config_whose_layers_are_not_a_list_is_left_to_the_spec_reader():
    with pytest.raises(SpecError, match="'layers' list"):
        engine.Model.from_config({"format": "layercraft.model", "layers": 3})
