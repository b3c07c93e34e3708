"""Rescaling: y = x * scale + offset."""

import json

import numpy as np
import pytest

from engine import registry
from engine.errors import SpecError
from engine.layers.preprocessing import Rescaling
from tests.engine.gradcheck import check_layer_gradients


def test_that_rescaling_is_registered_and_round_trips_its_config():
    layer = Rescaling(scale=2.0, offset=-1.0)
    config = layer.get_config()
    assert {p.name for p in Rescaling.PARAMS} == set(config) - {"name", "trainable"}
    assert json.loads(json.dumps(config)) == config
    assert Rescaling.from_config(config).get_config() == config
    assert registry.get_class("layer", "Rescaling") is Rescaling
    assert Rescaling.CATEGORY == "Core"


def test_default_maps_pixels_to_unit_range_and_casts_integers_to_float32():
    x = np.array([[0, 51, 255]], dtype=np.uint8)
    y = Rescaling()(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, [[0.0, 0.2, 1.0]], rtol=1e-6)


def test_scale_and_offset_by_hand_keep_float32():
    layer = Rescaling(scale=1 / 127.5, offset=-1.0)
    x = np.array([[0.0, 127.5, 255.0]], dtype=np.float32)
    y = layer(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, [[-1.0, 0.0, 1.0]], atol=1e-6)
    assert layer.compute_output_shape((28, 28, 1)) == (28, 28, 1)


def test_rescaling_gradients(rng):
    check_layer_gradients(Rescaling(scale=0.5, offset=3.0), rng.standard_normal((3, 4, 2)))


@pytest.mark.parametrize("kwargs", [{"scale": "1/255"}, {"offset": None}, {"scale": True}])
def test_that_bad_arguments_raise_a_spec_error(kwargs):
    with pytest.raises(SpecError, match=next(iter(kwargs))):
        Rescaling(**kwargs)
