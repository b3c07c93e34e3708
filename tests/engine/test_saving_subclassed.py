"""Saving and loading subclassed models: the file holds the class's registered name, its
config (by default the constructor's arguments, as Keras records them) and the input shapes
it was built for; loading rebuilds it from the class this process registered or was passed,
and never from code in the file."""

import json

import numpy as np
import pytest

import engine
from engine import ops, registry
from engine.errors import CheckpointError, SpecError


pytestmark = pytest.mark.usefixtures("registrations_undone")  # see tests/conftest.py


def classes(register=True):
    """A fresh custom layer and a subclassed model holding it and a built-in Dense."""

    class Scale(engine.layers.Layer):
        def __init__(self, units=4, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                     initializer="random_normal", name="w")

        def call(self, x):
            return ops.tanh(ops.matmul(x, self.w))

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    class TwoStep(engine.Model):
        def __init__(self, units=3, outputs=2, **kwargs):
            super().__init__(**kwargs)
            self.scale = Scale(units)
            self.head = engine.layers.Dense(outputs)

        def call(self, x):
            return self.head(self.scale(x))

    if register:
        engine.saving.register_keras_serializable(package="MyModels")(Scale)
        engine.saving.register_keras_serializable(package="MyModels")(TwoStep)
    return Scale, TwoStep


X = np.random.default_rng(0).random((16, 4)).astype("float32")
Y = np.random.default_rng(1).random((16, 2)).astype("float32")


def trained(model):
    model.compile("adam", "mse")
    model.fit(X, Y, epochs=2, batch_size=8, verbose=0)
    return model


# ----- get_config / from_config -------------------------------------------------------------------
def test_that_the_default_config_is_the_constructor_arguments_and_the_name():
    _, TwoStep = classes()
    assert TwoStep(5, name="mine").get_config() == {"name": "mine", "units": 5, "outputs": 2}


def test_that_from_config_calls_the_constructor_with_the_config():
    _, TwoStep = classes()
    again = TwoStep.from_config(TwoStep(5, outputs=1).get_config())
    assert type(again) is TwoStep and again.scale.units == 5 and again.head.units == 1


def test_that_a_constructor_without_name_or_kwargs_leaves_the_name_out():
    # keras/src/ops/operation_test.py, test_serialization_custom_constructor_with_no_name_...
    class Fixed(engine.Model):
        def __init__(self, alpha, beta=1.0):
            super().__init__()
            self.dense = engine.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

    config = Fixed(alpha=0.2).get_config()
    assert config == {"alpha": 0.2, "beta": 1.0}
    assert Fixed.from_config(config).get_config() == config


def test_that_a_users_get_config_and_from_config_win():
    class Custom(engine.Model):
        def __init__(self, sizes, **kwargs):
            super().__init__(**kwargs)
            self.sizes = list(sizes)
            self.stack = [engine.layers.Dense(u) for u in self.sizes]

        def call(self, x):
            for layer in self.stack:
                x = layer(x)
            return x

        def get_config(self):
            return {"sizes": "-".join(map(str, self.sizes))}

        @classmethod
        def from_config(cls, config):
            return cls([int(s) for s in config["sizes"].split("-")])

    model = Custom((4, 2))
    assert model.get_config() == {"sizes": "4-2"}
    assert Custom.from_config(model.get_config()).sizes == [4, 2]


def test_that_non_plain_constructor_values_need_a_get_config_as_in_keras():
    class Holder(engine.Model):
        def __init__(self, layer, **kwargs):
            super().__init__(**kwargs)
            self.layer = layer

        def call(self, x):
            return self.layer(x)

    with pytest.raises(NotImplementedError, match="Holder .*not plain JSON.*get_config"):
        Holder(engine.layers.Dense(2)).get_config()


def test_that_a_config_missing_an_argument_says_what_from_config_needs():
    _, TwoStep = classes()

    class Needs(TwoStep):
        def __init__(self, depth, **kwargs):
            super().__init__(**kwargs)

    with pytest.raises(TypeError, match="(?s)Unable to revive model Needs.*depth"):
        Needs.from_config({"name": "n"})


def test_that_a_functional_model_keeps_its_spec_as_config():
    inputs = engine.Input((3,))
    model = engine.Model(inputs, engine.layers.Dense(2)(inputs))
    assert model.get_config() == model.to_spec()


# ----- checkpoints in one process ---------------------------------------------------------------
def test_that_a_fitted_model_loads_as_its_class_and_predicts_the_same(tmp_path):
    _, TwoStep = classes()
    model = trained(TwoStep(5))
    model.save(tmp_path / "m.lcm")
    engine.clear_session()
    loaded = engine.load_model(tmp_path / "m.lcm")
    assert type(loaded) is TwoStep and loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    assert loaded.compiled and loaded.training_state["epoch"] == 2
    state, saved = loaded.optimizer.get_state(), model.optimizer.get_state()
    assert state.keys() == saved.keys()
    for key in saved:
        np.testing.assert_array_equal(state[key], saved[key])
    assert loaded.history.history["loss"] == model.history.history["loss"]


def test_that_the_spec_names_the_registered_class_its_config_and_input_shape():
    _, TwoStep = classes()
    spec = trained(TwoStep(5)).to_spec()
    assert spec["subclassed"] == {"class_name": "MyModels>TwoStep",
                                  "config": {"name": "two_step", "units": 5, "outputs": 2}}
    assert [(e["class_name"], e["config"]) for e in spec["layers"]] == [
        ("Input", {"shape": [4]}), ("MyModels>TwoStep", {})]
    json.dumps(spec)


def test_that_weights_are_named_by_the_models_layers():
    _, TwoStep = classes()
    model = trained(TwoStep(5))
    assert [(layer, key) for layer, key, _ in engine.saving.checkpoint.weight_layout(model)] == [
        ("scale", "w"), ("dense", "kernel"), ("dense", "bias")]


def test_that_a_model_built_by_calling_it_saves_built(tmp_path):
    # keras-io guides/keras_core/serialization_and_saving.py: "Call the subclassed model
    # once to create the weights."
    _, TwoStep = classes()
    model = TwoStep()
    expected = model(X)
    model.save(tmp_path / "m.lcm")
    loaded = engine.load_model(tmp_path / "m.lcm")
    assert loaded.built
    np.testing.assert_array_equal(loaded(X), expected)


def test_that_a_model_built_with_build_saves_built(tmp_path):
    _, TwoStep = classes()
    model = TwoStep()
    model.build((None, 4))
    model.save_weights(tmp_path / "m.weights.lcw")
    fresh = TwoStep()
    fresh.build((None, 4))
    fresh.load_weights(tmp_path / "m.weights.lcw")
    np.testing.assert_array_equal(fresh.predict(X, verbose=0), model.predict(X, verbose=0))


def test_that_an_unbuilt_model_saves_and_loads_unbuilt_as_in_keras(tmp_path):
    # keras/src/saving/saving_lib_test.py, test_saving_preserve_unbuilt_state.
    _, TwoStep = classes()
    model = TwoStep()
    model.save(tmp_path / "m.lcm")
    loaded = engine.load_model(tmp_path / "m.lcm")
    assert model.compiled == loaded.compiled
    assert not model.built and not loaded.built
    assert loaded.predict(X, verbose=0).shape == (16, 2)  # builds on its first data


def test_that_weights_of_an_unbuilt_model_are_refused_both_ways(tmp_path):
    # keras/src/saving/saving_lib_test.py, test_save/load_weights_only_with_unbuilt_model.
    _, TwoStep = classes()
    with pytest.raises(CheckpointError, match="has not yet been built.*build"):
        TwoStep().save_weights(tmp_path / "m.weights.lcw")
    built = TwoStep()
    built.predict(X, verbose=0)
    built.save_weights(tmp_path / "m.weights.lcw")
    with pytest.raises(CheckpointError, match="loading weights into a model that has not"):
        TwoStep().load_weights(tmp_path / "m.weights.lcw")


def test_that_an_unregistered_class_is_named_and_loads_when_passed(tmp_path):
    _, TwoStep = classes(register=False)
    trained(TwoStep()).save(tmp_path / "m.lcm")
    with pytest.raises(CheckpointError) as caught:
        engine.load_model(tmp_path / "m.lcm")
    assert "'two_step' (TwoStep)" in str(caught.value)
    assert 'custom_objects={"TwoStep": TwoStep}' in str(caught.value)
    loaded = engine.load_model(tmp_path / "m.lcm", custom_objects={"TwoStep": TwoStep})
    assert type(loaded) is TwoStep


def test_that_a_registered_class_loads_when_passed_by_its_bare_name(tmp_path):
    _, TwoStep = classes()
    trained(TwoStep()).save(tmp_path / "m.lcm")
    registry._REGISTRIES["model"].pop("MyModels>TwoStep")
    with engine.saving.custom_object_scope({"TwoStep": TwoStep}):
        assert type(engine.load_model(tmp_path / "m.lcm")) is TwoStep


def test_that_a_class_named_like_a_registered_model_is_not_saved_as_it(tmp_path):
    classes()  # registers MyModels>TwoStep

    class TwoStep(engine.Model):  # another class claiming that registered name
        def call(self, x):
            return x

    TwoStep.CLASS_NAME = "MyModels>TwoStep"
    with pytest.raises(CheckpointError, match="would load as that class"):
        TwoStep().save(tmp_path / "m.lcm")


def test_that_a_config_that_is_not_json_is_refused_when_saving(tmp_path):
    class Odd(engine.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = engine.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def get_config(self):
            return {"when": object()}

    with pytest.raises(CheckpointError, match="get_config\\(\\) of model 'odd'.*JSON"):
        Odd().save(tmp_path / "m.lcm")


# ----- JSON and configs -----------------------------------------------------------------------------
def test_that_model_from_json_and_model_from_config_rebuild_the_class_built():
    _, TwoStep = classes()
    model = trained(TwoStep(5))
    for again in (engine.models.model_from_json(model.to_json()),
                  engine.Model.from_config(model.to_spec())):
        assert type(again) is TwoStep and again.built and again.scale.units == 5
        assert again.predict(X, verbose=0).shape == (16, 2)


def test_that_model_from_json_names_an_unregistered_class():
    _, TwoStep = classes(register=False)
    with pytest.raises(SpecError, match="'two_step' \\(TwoStep\\)"):
        engine.models.model_from_json(trained(TwoStep()).to_json())


@pytest.mark.parametrize("damage, message", [
    (lambda s: s.update(subclassed=[]), "'class_name' \\(text\\)"),
    (lambda s: s["subclassed"].update(config=3), "'config' \\(an object\\)"),
    (lambda s: s["layers"][0]["config"].update(shape=[10**12]), "at most"),
    (lambda s: s["layers"][0]["config"].update(shape=["4"]), "positive integers or null"),
    (lambda s: s["subclassed"].update(config={"units": "many"}), "could not be built for"),
    (lambda s: s["subclassed"].update(config={"depth": 2}), "could not be rebuilt"),
])
def test_that_a_damaged_subclassed_spec_is_refused_with_what_is_wrong(damage, message):
    _, TwoStep = classes()
    spec = trained(TwoStep()).to_spec()
    damage(spec)
    with pytest.raises(SpecError, match=message):
        engine.Model.from_spec(spec)


def test_that_a_spec_naming_a_class_without_call_is_refused():
    class NoCall(engine.Model):
        pass

    engine.saving.register_keras_serializable(package="MyModels")(NoCall)
    _, TwoStep = classes()
    spec = trained(TwoStep()).to_spec()
    spec["subclassed"]["class_name"] = "MyModels>NoCall"
    with pytest.raises(SpecError, match="defines no call"):
        engine.Model.from_spec(spec)
