"""Every compile configuration the engine accepts survives save_model -> load_model.

Losses, metrics and optimizers are tried as registered names and as objects with
non-default arguments; the reloaded model must compile to the same settings.
"""

import numpy as np
import pytest

from engine import Input, Sequential, layers, load_model, registry
from engine.params import BOOL, FLOAT, INT, STR


#: Optimizers take only one of the three clipping settings; clipnorm stands for them.
MUTUALLY_EXCLUSIVE = {"clipvalue", "global_clipnorm"}


def non_default_kwargs(cls) -> dict:
    """One non-default value for every parameter whose default is a plain value."""
    kwargs = {}
    for param in getattr(cls, "PARAMS", ()):
        if param.name in MUTUALLY_EXCLUSIVE:
            continue
        default = param.default
        if param.kind == BOOL:
            kwargs[param.name] = not default
        elif param.kind == FLOAT:
            kwargs[param.name] = 0.05 if not default else default * 0.5
        elif param.kind == INT and default is not None:
            kwargs[param.name] = default + 1 if default >= 0 else default - 1
        elif param.kind == STR and param.choices:
            kwargs[param.name] = next(c for c in param.choices if c != default)
    return kwargs


def model():
    return Sequential([Input((4,)), layers.Dense(3, activation="softmax")])


def round_trip(tmp_path, **compile_kwargs):
    original = model()
    original.compile(**compile_kwargs)
    path = tmp_path / "m.lcm"
    original.save(path)
    loaded = load_model(path)
    assert loaded.compiled
    assert loaded.compile_config == original.compile_config
    return original, loaded


def object_ids(kind):
    return [cls.__name__ for cls in registry.classes(kind)]


@pytest.mark.parametrize("name", registry.names("loss"))
def test_that_every_loss_name_round_trips(tmp_path, name):
    round_trip(tmp_path, optimizer="sgd", loss=name)


@pytest.mark.parametrize("cls", registry.classes("loss"), ids=object_ids("loss"))
def test_that_every_loss_object_with_non_default_arguments_round_trips(tmp_path, cls):
    original, loaded = round_trip(tmp_path, optimizer="sgd",
                                  loss=cls(**non_default_kwargs(cls)))
    assert type(loaded._compiled_loss.losses[0]) is cls
    assert loaded._compiled_loss.losses[0].get_config() == \
        original._compiled_loss.losses[0].get_config()


@pytest.mark.parametrize("name", registry.names("metric"))
def test_that_every_metric_name_round_trips(tmp_path, name):
    round_trip(tmp_path, optimizer="sgd", loss="mse", metrics=[name])


@pytest.mark.parametrize("cls", registry.classes("metric"), ids=object_ids("metric"))
def test_that_every_metric_object_with_non_default_arguments_round_trips(tmp_path, cls):
    original = cls(**non_default_kwargs(cls))
    _, loaded = round_trip(tmp_path, optimizer="sgd", loss="mse", metrics=[original])
    (spec,) = loaded._metrics.specs
    assert spec == [original.to_config()]


@pytest.mark.parametrize("name", registry.names("optimizer"))
def test_that_every_optimizer_name_round_trips(tmp_path, name):
    round_trip(tmp_path, optimizer=name, loss="mse")


@pytest.mark.parametrize("cls", registry.classes("optimizer"), ids=object_ids("optimizer"))
def test_that_every_optimizer_object_with_non_default_arguments_round_trips(tmp_path, cls):
    original, loaded = round_trip(tmp_path, optimizer=cls(**non_default_kwargs(cls)),
                                  loss="mse")
    assert loaded.optimizer.get_config() == original.optimizer.get_config()


def test_that_the_reported_auc_and_loss_object_checkpoint_trains_on_after_loading(tmp_path):
    """The reproducer of the reliability report: objects in compile broke load_model."""
    from engine import losses, metrics  # noqa: PLC0415

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)
    original = Sequential([Input((4,)), layers.Dense(1, activation="sigmoid")])
    original.compile(optimizer="adam", loss=losses.BinaryCrossentropy(label_smoothing=0.1),
                     metrics=[metrics.AUC(num_thresholds=50), "accuracy"])
    original.fit(x, y, epochs=1, verbose=0)
    original.save(tmp_path / "a.lcm")
    loaded = load_model(tmp_path / "a.lcm")
    expected = original.evaluate(x, y, verbose=0, return_dict=True)
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == pytest.approx(expected)
    history = loaded.fit(x, y, epochs=1, verbose=0)
    assert {"loss", "auc", "accuracy"} <= set(history.history)


def test_that_per_output_dicts_still_mean_per_output(tmp_path):
    inputs = Input((4,))
    from engine import Model  # noqa: PLC0415

    out_a = layers.Dense(2, activation="softmax", name="a")(inputs)
    out_b = layers.Dense(1, name="b")(inputs)
    original = Model(inputs, [out_a, out_b])
    original.compile(optimizer="adam",
                     loss={"a": "sparse_categorical_crossentropy", "b": "mse"},
                     metrics={"a": ["accuracy"], "b": ["mae"]})
    original.save(tmp_path / "two.lcm")
    loaded = load_model(tmp_path / "two.lcm")
    assert loaded.compile_config == original.compile_config
