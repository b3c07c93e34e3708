"""Reshaping layers: shapes, golden forwards, gradient checks, configs and bad arguments."""

import json

import numpy as np
import pytest

from engine import registry
from engine.errors import ShapeError, SpecError
from engine.layers.reshaping import (
    Cropping2D, Flatten, Permute, RepeatVector, Reshape, UpSampling2D, ZeroPadding2D,
)
from tests.engine.gradcheck import check_layer_gradients

ALL = [Flatten, Reshape, Permute, RepeatVector, ZeroPadding2D, UpSampling2D, Cropping2D]


@pytest.mark.parametrize("cls", ALL)
def test_that_every_reshaping_layer_is_registered_and_round_trips_its_config(cls):
    layer = cls()
    config = layer.get_config()
    assert {p.name for p in cls.PARAMS} == set(config) - {"name", "trainable"}
    assert json.loads(json.dumps(config)) == config
    assert cls.from_config(config).get_config() == config
    assert registry.get_class("layer", cls.__name__) is cls
    assert cls.CATEGORY == "Reshaping" and cls.DESCRIPTION


@pytest.mark.parametrize("layer, input_shape, expected", [
    (Flatten(), (28, 28, 1), (784,)),
    (Flatten(), (10,), (10,)),
    (Reshape((28, 28, 1)), (784,), (28, 28, 1)),
    (Reshape((-1, 3)), (12,), (4, 3)),
    (Reshape(), (2, 3, 4), (24,)),
    (Permute((2, 1)), (3, 4), (4, 3)),
    (Permute((3, 1, 2)), (2, 3, 4), (4, 2, 3)),
    (RepeatVector(3), (5,), (3, 5)),
    (ZeroPadding2D(), (28, 28, 1), (30, 30, 1)),
    (ZeroPadding2D(((1, 2), (3, 4))), (4, 4, 2), (7, 11, 2)),
    (ZeroPadding2D((2, 0)), (4, 4, 2), (8, 4, 2)),
    (UpSampling2D(), (3, 4, 2), (6, 8, 2)),
    (UpSampling2D((2, 3)), (3, 4, 2), (6, 12, 2)),
    (Cropping2D(((1, 0), (2, 1))), (5, 6, 1), (4, 3, 1)),
    (Cropping2D(1), (5, 6, 1), (3, 4, 1)),
])
def test_compute_output_shape_matches_keras(layer, input_shape, expected):
    assert layer.compute_output_shape(input_shape) == expected


# ----- Flatten / Reshape -----------------------------------------------------------------------
def test_flatten_forward_is_a_channels_last_reshape_and_backward_restores_the_shape(rng):
    x = rng.standard_normal((2, 3, 4, 2))
    layer = Flatten()
    y = layer(x)
    np.testing.assert_array_equal(y, x.reshape(2, 24))
    assert layer.backward(y).shape == x.shape
    check_layer_gradients(Flatten(), x)


def test_that_a_reshape_size_mismatch_names_both_sizes():
    with pytest.raises(ShapeError, match=r"\(None, 784\) \(784 values\).*\(28, 27\) \(756 values"):
        Reshape((28, 27)).compute_output_shape((784,))
    with pytest.raises(ShapeError, match=r"\(10 values\).*a multiple of 3"):
        Reshape((-1, 3)).compute_output_shape((10,))


@pytest.mark.parametrize("target", [(-1, -1), (0, 4), (2, -2), "28"])
def test_that_bad_target_shapes_raise_a_spec_error(target):
    with pytest.raises(SpecError, match="target_shape"):
        Reshape(target)


def test_reshape_forward_and_gradients(rng):
    x = rng.standard_normal((3, 12))
    np.testing.assert_array_equal(Reshape((2, -1))(x), x.reshape(3, 2, 6))
    assert Reshape(12).target_shape == (12,)
    check_layer_gradients(Reshape((3, 2, 2)), x)


# ----- Permute ---------------------------------------------------------------------------------
def test_permute_forward_matches_numpy_transpose_and_gradients(rng):
    x = rng.standard_normal((2, 3, 4, 5))
    np.testing.assert_array_equal(Permute((3, 1, 2))(x), x.transpose(0, 3, 1, 2))
    check_layer_gradients(Permute((3, 1, 2)), x)
    check_layer_gradients(Permute((2, 1)), rng.standard_normal((2, 3, 4)))


@pytest.mark.parametrize("dims", [(1, 3), (0, 1), (1, 1), (2,)])
def test_that_a_non_permutation_raises_a_spec_error(dims):
    with pytest.raises(SpecError, match="dims"):
        Permute(dims)


def test_that_permute_rejects_an_input_of_another_rank():
    with pytest.raises(ShapeError, match="rank 2"):
        Permute((2, 1)).compute_output_shape((2, 3, 4))


# ----- RepeatVector ----------------------------------------------------------------------------
def test_repeat_vector_forward_backward_and_gradients(rng):
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    layer = RepeatVector(3)
    y = layer(x)
    np.testing.assert_array_equal(y[1], [[3.0, 4.0]] * 3)
    np.testing.assert_array_equal(layer.backward(np.ones_like(y)), np.full((2, 2), 3.0))
    check_layer_gradients(RepeatVector(4), rng.standard_normal((3, 5)))


def test_repeat_vector_bad_arguments_and_shapes():
    with pytest.raises(SpecError, match="`n`"):
        RepeatVector(0)
    with pytest.raises(ShapeError, match="Flatten"):
        RepeatVector(2).compute_output_shape((4, 4))


# ----- ZeroPadding2D ---------------------------------------------------------------------------
def test_zero_padding_stores_keras_forms_as_2_or_4_ints():
    assert ZeroPadding2D().padding == (1, 1)
    assert ZeroPadding2D(2).padding == (2, 2)
    assert ZeroPadding2D(((1, 2), (3, 4))).padding == (1, 2, 3, 4)
    assert ZeroPadding2D(((1, 2), (3, 4))).get_config()["padding"] == [1, 2, 3, 4]


def test_zero_padding_forward_by_hand_and_gradients(rng):
    x = np.arange(4.0).reshape(1, 2, 2, 1)
    y = ZeroPadding2D((1, 0, 0, 2))(x)[0, :, :, 0]
    np.testing.assert_array_equal(y, [[0, 0, 0, 0], [0, 1, 0, 0], [2, 3, 0, 0]])
    check_layer_gradients(ZeroPadding2D(((1, 2), (0, 3))), rng.standard_normal((2, 3, 2, 2)))
    check_layer_gradients(ZeroPadding2D(), rng.standard_normal((1, 2, 3, 1)))


@pytest.mark.parametrize("padding", [(1, 2, 3), (-1, 1), ((1, 2), 3), "1"])
def test_that_bad_padding_raises_a_spec_error(padding):
    with pytest.raises(SpecError, match="padding"):
        ZeroPadding2D(padding)


def test_that_zero_padding_needs_an_image():
    with pytest.raises(ShapeError, match="rank 3"):
        ZeroPadding2D().compute_output_shape((784,))


# ----- UpSampling2D ----------------------------------------------------------------------------
def test_upsampling_forward_repeats_rows_and_columns_and_gradients(rng):
    x = rng.standard_normal((2, 3, 4, 2))
    y = UpSampling2D((2, 3))(x)
    np.testing.assert_array_equal(y, np.repeat(np.repeat(x, 2, axis=1), 3, axis=2))
    layer = UpSampling2D()
    layer(np.ones((1, 1, 1, 1)))
    assert layer.backward(np.arange(4.0).reshape(1, 2, 2, 1)).item() == 6.0
    check_layer_gradients(UpSampling2D((2, 3)), x)


@pytest.mark.parametrize("kwargs, word", [({"interpolation": "bilinear"}, "interpolation"),
                                          ({"size": 0}, "size"), ({"size": (2, 2, 2)}, "size")])
def test_upsampling_bad_arguments(kwargs, word):
    with pytest.raises(SpecError, match=word):
        UpSampling2D(**kwargs)


# ----- Cropping2D ------------------------------------------------------------------------------
def test_cropping_forward_by_hand_and_gradients(rng):
    x = np.arange(12.0).reshape(1, 3, 4, 1)
    layer = Cropping2D(((1, 0), (1, 2)))
    np.testing.assert_array_equal(layer(x)[0, :, :, 0], [[5.0], [9.0]])
    np.testing.assert_array_equal(layer.backward(np.ones((1, 2, 1, 1)))[0, :, :, 0],
                                  [[0, 0, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0]])
    assert Cropping2D().cropping == (0, 0, 0, 0)
    check_layer_gradients(Cropping2D((1, 0, 2, 1)), rng.standard_normal((2, 4, 5, 2)))


def test_that_cropping_everything_raises_a_shape_error():
    with pytest.raises(ShapeError, match="leaves nothing"):
        Cropping2D(((2, 1), (0, 0))).compute_output_shape((3, 5, 1))


@pytest.mark.parametrize("cropping", [(1, 1, 1), (-1, 0)])
def test_that_bad_cropping_raises_a_spec_error(cropping):
    with pytest.raises(SpecError, match="cropping"):
        Cropping2D(cropping)


def test_that_reshaping_layers_keep_float32():
    x = np.ones((2, 4, 4, 2), dtype=np.float32)
    for layer in (Flatten(), Reshape((8, 4)), Permute((3, 1, 2)), ZeroPadding2D(),
                  UpSampling2D(), Cropping2D(1)):
        y = layer(x)
        assert y.dtype == np.float32
        assert layer.backward(np.ones_like(y)).dtype == np.float32
