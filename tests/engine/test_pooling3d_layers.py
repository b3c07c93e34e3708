"""3-D pooling layers: Keras shapes, golden forwards against plain loops, gradient checks,
tie routing, bad arguments, GPU."""

import json
import math

import numpy as np
import pytest
from gradcheck import check_layer_gradients

from engine import layers, registry
from engine.errors import ShapeError, SpecError
from engine.layers import AveragePooling3D, GlobalAveragePooling3D, GlobalMaxPooling3D, MaxPooling3D

ALL = [MaxPooling3D, AveragePooling3D, GlobalAveragePooling3D, GlobalMaxPooling3D]


def naive_pool3d(x, pool, strides, padding, mode):
    """Loops over every output cell; 'same' pads as TensorFlow (the odd cell after) and
    reduces over the real cells only."""
    size = x.shape[1:4]
    if padding == "same":
        out = [math.ceil(n / s) for n, s in zip(size, strides)]
        before = [max((o - 1) * s + p - n, 0) // 2 for o, s, p, n in zip(out, strides, pool,
                                                                         size)]
    else:
        out, before = [(n - p) // s + 1 for n, p, s in zip(size, pool, strides)], [0, 0, 0]
    y = np.zeros((x.shape[0], *out, x.shape[-1]))
    for cell in np.ndindex(*out):
        starts = [i * s - b for i, s, b in zip(cell, strides, before)]
        window = x[(slice(None), *(slice(max(a, 0), a + p) for a, p in zip(starts, pool)))]
        y[(slice(None), *cell)] = (window.max(axis=(1, 2, 3)) if mode == "max"
                                   else window.mean(axis=(1, 2, 3)))
    return y


# ----- config and registry -------------------------------------------------------------------
@pytest.mark.parametrize("cls", ALL)
def test_that_every_3d_pooling_layer_is_registered_and_round_trips_its_config(cls):
    config = cls().get_config()
    assert json.loads(json.dumps(config)) == config
    assert cls.from_config(config).get_config() == config
    assert registry.get_class("layer", cls.__name__) is cls
    assert cls.CATEGORY == "Pooling" and cls.DESCRIPTION
    assert config["data_format"] == "channels_last"


def test_that_keras_short_names_are_the_same_classes():
    assert layers.MaxPool3D is MaxPooling3D and layers.AvgPool3D is AveragePooling3D
    assert layers.GlobalAvgPool3D is GlobalAveragePooling3D
    assert layers.GlobalMaxPool3D is GlobalMaxPooling3D


def test_that_pool_size_int_means_a_cube_and_strides_none_stays_none():
    layer = MaxPooling3D(pool_size=3)
    assert layer.pool_size == (3, 3, 3) and layer.stride_steps == (3, 3, 3)
    assert layer.get_config()["strides"] is None


@pytest.mark.parametrize("layer,input_shape,expected", [
    (MaxPooling3D(), (8, 8, 8, 3), (4, 4, 4, 3)),
    (MaxPooling3D(pool_size=2), (44, 44, 44, 16), (22, 22, 22, 16)),
    (AveragePooling3D((2, 2, 2), strides=1), (5, 4, 3, 2), (4, 3, 2, 2)),
    (AveragePooling3D(3, strides=2, padding="same"), (7, 6, 5, 1), (4, 3, 3, 1)),
    (MaxPooling3D((1, 2, 3), padding="SAME"), (5, 5, 5, 2), (5, 3, 2, 2)),
    (GlobalAveragePooling3D(), (4, 5, 6, 7), (7,)),
    (GlobalMaxPooling3D(keepdims=True), (4, 5, 6, 7), (1, 1, 1, 7)),
])
def test_that_output_shapes_match_keras(layer, input_shape, expected):
    assert layer.compute_output_shape(input_shape) == expected


# ----- forward --------------------------------------------------------------------------------
SETTINGS = [
    ((2, 2, 2), None, "valid", (2, 4, 6, 4, 3)),   # tiles (fast path)
    ((2, 2, 2), None, "valid", (2, 5, 5, 7, 2)),   # tiles with dropped remainders
    ((3, 3, 3), (1, 1, 1), "valid", (1, 4, 5, 4, 2)),  # overlapping windows
    ((3, 2, 3), (2, 2, 2), "same", (2, 5, 4, 5, 1)),
    ((2, 2, 2), None, "same", (1, 3, 5, 3, 2)),
    ((1, 2, 2), (2, 3, 1), "valid", (1, 5, 7, 3, 2)),  # gaps between windows
]


@pytest.mark.parametrize("cls, mode", [(MaxPooling3D, "max"), (AveragePooling3D, "avg")])
@pytest.mark.parametrize("pool, strides, padding, shape", SETTINGS)
def test_that_3d_pooling_forward_matches_plain_loops(rng, cls, mode, pool, strides, padding,
                                                     shape):
    x = rng.standard_normal(shape)
    layer = cls(pool_size=pool, strides=strides, padding=padding)
    y = layer(x)
    assert y.shape[1:] == layer.compute_output_shape(shape[1:])
    np.testing.assert_allclose(y, naive_pool3d(x, pool, strides or pool, padding, mode),
                               rtol=1e-12, atol=1e-12)


def test_that_global_3d_pooling_reduces_depth_height_and_width(rng):
    x = rng.standard_normal((3, 2, 4, 5, 2))
    np.testing.assert_allclose(GlobalAveragePooling3D()(x), x.mean(axis=(1, 2, 3)))
    np.testing.assert_allclose(GlobalMaxPooling3D(keepdims=True)(x),
                               x.max(axis=(1, 2, 3), keepdims=True))


def test_a_2x2x2_max_and_average_computed_by_hand():
    x = np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2, 1)
    assert MaxPooling3D()(x).reshape(-1).tolist() == [7]
    assert AveragePooling3D()(x).reshape(-1).tolist() == [3.5]


def test_that_3d_pooling_keeps_float32():
    x = np.ones((2, 4, 4, 4, 3), dtype=np.float32)
    for layer in (MaxPooling3D(), AveragePooling3D(3, strides=2, padding="same"),
                  GlobalAveragePooling3D(), GlobalMaxPooling3D()):
        y = layer(x)
        assert y.dtype == np.float32
        assert layer.backward(np.ones_like(y)).dtype == np.float32


# ----- backward -------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [MaxPooling3D, AveragePooling3D])
@pytest.mark.parametrize("pool, strides, padding, shape", SETTINGS)
def test_that_3d_pooling_passes_the_gradient_check(rng, cls, pool, strides, padding, shape):
    layer = cls(pool_size=pool, strides=strides, padding=padding)
    check_layer_gradients(layer, rng.standard_normal(shape))


@pytest.mark.parametrize("cls", [GlobalAveragePooling3D, GlobalMaxPooling3D])
@pytest.mark.parametrize("keepdims", [False, True])
def test_that_global_3d_pooling_passes_the_gradient_check(rng, cls, keepdims):
    check_layer_gradients(cls(keepdims=keepdims), rng.standard_normal((2, 3, 2, 4, 2)))


@pytest.mark.parametrize("shape", [(2, 4, 4, 4, 2), (1, 5, 4, 3, 2)])
def test_that_tied_3d_windows_route_to_the_first_maximum(rng, shape):
    x = rng.integers(0, 2, size=shape).astype(np.float32)  # many ties
    layer = MaxPooling3D()
    y = layer(x)
    grad = rng.standard_normal(y.shape).astype(np.float32)
    expected = np.zeros_like(x)
    for b, i, j, k, c in np.ndindex(*y.shape):
        window = x[b, 2 * i:2 * i + 2, 2 * j:2 * j + 2, 2 * k:2 * k + 2, c]
        a, e, f = np.unravel_index(np.argmax(window), window.shape)  # first maximum
        expected[b, 2 * i + a, 2 * j + e, 2 * k + f, c] += grad[b, i, j, k, c]
    np.testing.assert_array_equal(layer.backward(grad), expected)


# ----- errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize("cls,kwargs,word", [
    (MaxPooling3D, {"pool_size": 0}, "pool_size"), (MaxPooling3D, {"pool_size": (2, 2)},
                                                    "pool_size"),
    (AveragePooling3D, {"strides": -1}, "strides"), (MaxPooling3D, {"padding": "full"},
                                                     "padding"),
    (GlobalMaxPooling3D, {"keepdims": "yes"}, "keepdims"),
])
def test_that_bad_arguments_raise_a_spec_error_naming_them(cls, kwargs, word):
    with pytest.raises(SpecError, match=f"`{word}`"):
        cls(**kwargs)


@pytest.mark.parametrize("cls", ALL)
def test_that_channels_first_is_refused_with_the_permute_that_fixes_it(cls):
    with pytest.raises(SpecError, match=r"channels_first.*Permute\(\(2, 3, 4, 1\)\)"):
        cls(data_format="channels_first")


@pytest.mark.parametrize("cls", ALL)
def test_that_a_wrong_rank_names_the_layer_and_the_expected_axes(cls):
    with pytest.raises(ShapeError, match=r"rank 4.*\(depth, height, width, channels\)"):
        cls(name="pool").compute_output_shape((8, 8, 3))


def test_that_valid_pooling_larger_than_the_input_suggests_same_padding():
    with pytest.raises(ShapeError, match="padding='same'"):
        MaxPooling3D(pool_size=3).compute_output_shape((2, 8, 8, 1))


# ----- GPU ------------------------------------------------------------------------------------
@pytest.mark.gpu
@pytest.mark.parametrize("cls", ALL)
@pytest.mark.parametrize("settings", [{}, {"pool_size": 3, "strides": 2, "padding": "same"}])
def test_that_3d_pooling_on_cupy_matches_numpy(rng, cls, settings):
    import cupy

    if cls in (GlobalAveragePooling3D, GlobalMaxPooling3D):
        settings = {}
    x = rng.standard_normal((2, 5, 6, 4, 3)).astype(np.float32)
    cpu, gpu = cls(**settings), cls(**settings)
    y = cpu(x)
    y_gpu = gpu(cupy.asarray(x))
    np.testing.assert_allclose(cupy.asnumpy(y_gpu), y, rtol=1e-6, atol=1e-6)
    grad = rng.standard_normal(y.shape).astype(np.float32)
    dx_gpu = gpu.backward(cupy.asarray(grad))
    np.testing.assert_allclose(cupy.asnumpy(dx_gpu), cpu.backward(grad), rtol=1e-6, atol=1e-6)
