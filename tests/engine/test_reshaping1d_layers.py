"""UpSampling1D, ZeroPadding1D, Cropping1D: Keras shapes and configs, values by hand and
against plain loops, gradient checks, errors."""

import json

import numpy as np
import pytest
from gradcheck import check_layer_gradients

from engine import backend, registry
from engine.errors import ShapeError, SpecError
from engine.layers import Cropping1D, UpSampling1D, ZeroPadding1D

ALL = [UpSampling1D, ZeroPadding1D, Cropping1D]


@pytest.mark.parametrize("cls", ALL)
def test_that_every_1d_reshaping_layer_is_registered_and_round_trips_its_config(cls):
    config = cls().get_config()
    assert json.loads(json.dumps(config)) == config
    assert cls.from_config(config).get_config() == config
    assert registry.get_class("layer", cls.__name__) is cls
    assert cls.CATEGORY == "Reshaping" and cls.DESCRIPTION


def test_that_keras_defaults_and_forms_are_stored_as_keras_does():
    assert ZeroPadding1D().padding == (1, 1) and ZeroPadding1D(3).padding == (3, 3)
    assert ZeroPadding1D((0, 2)).padding == (0, 2)
    assert Cropping1D().cropping == (1, 1) and Cropping1D(2).cropping == (2, 2)
    assert UpSampling1D().size == 2


@pytest.mark.parametrize("layer,input_shape,expected", [
    (UpSampling1D(), (5, 3), (10, 3)), (UpSampling1D(size=3), (4, 1), (12, 1)),
    (ZeroPadding1D(), (5, 3), (7, 3)), (ZeroPadding1D((2, 0)), (5, 3), (7, 3)),
    (Cropping1D(), (5, 3), (3, 3)), (Cropping1D((0, 4)), (5, 3), (1, 3)),
])
def test_that_output_shapes_match_keras(layer, input_shape, expected):
    assert layer.compute_output_shape(input_shape) == expected


def test_values_by_hand():
    x = np.array([1, 2, 3], np.float32).reshape(1, 3, 1)
    assert UpSampling1D()(x)[0, :, 0].tolist() == [1, 1, 2, 2, 3, 3]
    assert ZeroPadding1D((1, 2))(x)[0, :, 0].tolist() == [0, 1, 2, 3, 0, 0]
    assert Cropping1D((1, 0))(x)[0, :, 0].tolist() == [2, 3]


def test_that_forwards_match_plain_loops(rng):
    x = rng.standard_normal((2, 6, 3))
    up = np.zeros((2, 18, 3))
    for t in range(18):
        up[:, t] = x[:, t // 3]  # output step t copies input step t // size
    np.testing.assert_array_equal(UpSampling1D(3)(x), up)
    padded = np.zeros((2, 9, 3))
    for t in range(6):
        padded[:, 1 + t] = x[:, t]
    np.testing.assert_array_equal(ZeroPadding1D((1, 2))(x), padded)
    cropped = np.stack([x[:, t] for t in range(2, 5)], axis=1)
    np.testing.assert_array_equal(Cropping1D((2, 1))(x), cropped)


@pytest.mark.parametrize("layer", [UpSampling1D(), UpSampling1D(3), ZeroPadding1D(),
                                   ZeroPadding1D((0, 3)), Cropping1D(), Cropping1D((2, 0))],
                         ids=lambda layer: str(layer.get_config()))
def test_that_1d_reshaping_layers_pass_the_gradient_check(layer, rng):
    check_layer_gradients(layer, rng.standard_normal((2, 5, 3)))


def test_that_1d_reshaping_layers_keep_float32():
    x = np.ones((2, 5, 3), dtype=np.float32)
    for layer in (UpSampling1D(), ZeroPadding1D(), Cropping1D()):
        y = layer(x)
        assert y.dtype == np.float32 and layer.backward(np.ones_like(y)).dtype == np.float32


@pytest.mark.parametrize("cls,kwargs,word", [
    (UpSampling1D, {"size": 0}, "size"), (UpSampling1D, {"size": (2, 2)}, "size"),
    (ZeroPadding1D, {"padding": -1}, "padding"), (ZeroPadding1D, {"padding": (1, 2, 3)},
                                                  "padding"),
    (Cropping1D, {"cropping": (1, -1)}, "cropping"),
])
def test_that_bad_arguments_raise_a_spec_error_naming_them(cls, kwargs, word):
    with pytest.raises(SpecError, match=f"`{word}`"):
        cls(**kwargs)


def test_that_channels_first_padding_is_refused_with_the_fix():
    with pytest.raises(SpecError, match=r"'pad'.*channels_first.*Permute\(\(2, 1\)\)"):
        ZeroPadding1D(data_format="channels_first", name="pad")


@pytest.mark.parametrize("cls", ALL)
def test_that_an_image_input_is_a_shape_error_suggesting_a_reshape(cls):
    with pytest.raises(ShapeError, match=r"rank 2.*Reshape"):
        cls().compute_output_shape((8, 8, 3))


def test_that_cropping_everything_raises_a_shape_error():
    with pytest.raises(ShapeError, match="'crop'.*leaves nothing"):
        Cropping1D((2, 3), name="crop").compute_output_shape((5, 2))


@pytest.mark.gpu
@pytest.mark.parametrize("layer", [UpSampling1D(3), ZeroPadding1D((1, 2)), Cropping1D((2, 1))],
                         ids=lambda layer: type(layer).__name__)
def test_that_1d_reshaping_on_cupy_matches_numpy(layer, rng):
    x = rng.standard_normal((2, 6, 3)).astype(np.float32)
    y = layer(x)
    dx = layer.backward(np.ones_like(y))
    y_gpu = layer(backend.to_device(x, "gpu"))
    dx_gpu = layer.backward(backend.to_device(np.ones_like(y), "gpu"))
    np.testing.assert_array_equal(backend.to_numpy(y_gpu), y)
    np.testing.assert_array_equal(backend.to_numpy(dx_gpu), dx)
