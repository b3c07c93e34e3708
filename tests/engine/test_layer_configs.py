"""Every registered layer: declared PARAMS match its config, and configs round-trip JSON."""

import json

import pytest

from engine import layers, registry  # noqa: F401 - importing layers registers them
from engine.errors import SpecError
from engine.params import BOOL, FLOAT, INT, INTS, STR

# Op and nested-model nodes are made from code or the op palette, with their own tests
# (tests/engine/test_op_nodes.py, test_nested_models.py); these cover the layer classes.
LAYER_CLASSES = [cls for cls in registry.classes("layer") if getattr(cls, "IN_PALETTE", True)]


def test_that_the_registry_lists_the_core_layers():
    names = registry.names("layer")
    for expected in ("Input", "Dense", "Activation"):
        assert expected in names


@pytest.mark.parametrize("cls", LAYER_CLASSES, ids=lambda c: c.__name__)
def test_that_params_declarations_equal_config_keys(cls):
    config = cls().get_config()
    assert {p.name for p in cls.PARAMS} | {"name", "trainable"} == set(config)


@pytest.mark.parametrize("cls", LAYER_CLASSES, ids=lambda c: c.__name__)
def test_that_config_round_trips_through_json(cls):
    layer = cls()
    text = json.dumps(layer.get_config())
    again = cls.from_config(json.loads(text))
    assert again.get_config() == layer.get_config()


@pytest.mark.parametrize("cls", LAYER_CLASSES, ids=lambda c: c.__name__)
def test_that_each_param_declares_kind_default_and_help(cls):
    assert cls.CATEGORY in ("Core", "Convolution", "Pooling", "Normalization", "Regularization",
                            "Recurrent", "Merge", "Reshaping", "Preprocessing")
    assert cls.DESCRIPTION
    for p in cls.PARAMS:
        assert p.kind in (INT, FLOAT, BOOL, STR, INTS, "floats", "regularizer",
                          "initializer")
        assert p.help, f"{cls.__name__}.{p.name} has no help text"


@pytest.mark.parametrize("kwargs,argument", [
    ({"units": 0}, "units"), ({"units": -3}, "units"), ({"units": 2.5}, "units"),
    ({"activation": "relux"}, "activation"), ({"kernel_initializer": "nope"}, "kernel_initializer"),
    ({"use_bias": "yes"}, "use_bias"), ({"kernel_regularizer": "l3"}, "kernel_regularizer"),
])
def test_that_bad_dense_arguments_name_the_argument(kwargs, argument):
    with pytest.raises(SpecError, match=f"`{argument}`"):
        layers.Dense(**kwargs)


def test_that_an_unknown_activation_lists_valid_values():
    with pytest.raises(SpecError, match="'relu'.*'tanh'"):
        layers.Dense(4, activation="relux")


def test_that_unknown_keyword_arguments_are_refused():
    with pytest.raises(SpecError, match="Unrecognized keyword arguments passed to Dense"):
        layers.Dense(4, unit=3)
