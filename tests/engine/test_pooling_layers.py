"""Pooling layers: shapes (Keras values), golden forwards, gradient checks, bad arguments."""

import json
import math

import numpy as np
import pytest

from engine import registry
from engine.errors import ShapeError, SpecError
from engine.layers import (
    AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D, GlobalAveragePooling2D,
    GlobalMaxPooling1D, GlobalMaxPooling2D, MaxPooling1D, MaxPooling2D,
)
from tests.engine.gradcheck import check_layer_gradients

ALL = [MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D, GlobalAveragePooling1D,
       GlobalAveragePooling2D, GlobalMaxPooling1D, GlobalMaxPooling2D]


def naive_pool2d(x, pool, strides, padding, mode):
    """Reference: loops over every output cell; 'same' pads as TF (extra cell after)."""
    n, h, w, c = x.shape
    (ph, pw), (sh, sw) = pool, strides
    if padding == "same":
        oh, ow = math.ceil(h / sh), math.ceil(w / sw)
        top = max((oh - 1) * sh + ph - h, 0) // 2
        left = max((ow - 1) * sw + pw - w, 0) // 2
    else:
        oh, ow, top, left = (h - ph) // sh + 1, (w - pw) // sw + 1, 0, 0
    out = np.zeros((n, oh, ow, c), dtype=x.dtype)
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * sh - top, j * sw - left
            cells = x[:, max(r0, 0):r0 + ph, max(c0, 0):c0 + pw, :]  # real cells only
            out[:, i, j, :] = cells.max(axis=(1, 2)) if mode == "max" else cells.mean(axis=(1, 2))
    return out


def naive_pool1d(x, pool, strides, padding, mode):
    return naive_pool2d(x[:, :, None, :], (pool, 1), (strides, 1), padding, mode)[:, :, 0, :]


# ----- config and registry -------------------------------------------------------------------
@pytest.mark.parametrize("cls", ALL)
def test_that_every_pooling_layer_is_registered_and_round_trips_its_config(cls):
    layer = cls()
    config = layer.get_config()
    assert {p.name for p in cls.PARAMS} == set(config) - {"name", "trainable"}
    assert json.loads(json.dumps(config)) == config
    assert cls.from_config(config).get_config() == config
    assert registry.get_class("layer", cls.__name__) is cls
    assert cls.CATEGORY == "Pooling" and cls.DESCRIPTION


def test_that_strides_none_means_pool_size_and_stays_none_in_the_config():
    layer = MaxPooling2D(pool_size=3)
    assert layer.pool_size == (3, 3)
    assert layer.stride_steps == (3, 3)
    assert layer.get_config()["strides"] is None


def test_that_padding_is_case_insensitive_and_1d_accepts_a_one_tuple():
    assert MaxPooling2D(padding="SAME").padding == "same"
    assert AveragePooling1D(pool_size=(3,), strides=(2,)).get_config()["pool_size"] == 3


def test_that_average_pooling_has_palette_defaults():
    assert AveragePooling2D().pool_size == (2, 2)
    assert AveragePooling1D().pool_size == 2


# ----- output shapes (Keras values) -----------------------------------------------------------
@pytest.mark.parametrize("layer, input_shape, expected", [
    (MaxPooling2D(), (26, 26, 32), (13, 13, 32)),
    (MaxPooling2D(padding="same"), (5, 5, 3), (3, 3, 3)),
    (MaxPooling2D(), (5, 5, 3), (2, 2, 3)),
    (MaxPooling2D(pool_size=3, strides=2), (7, 7, 1), (3, 3, 1)),
    (MaxPooling2D(pool_size=3, strides=2, padding="same"), (7, 7, 1), (4, 4, 1)),
    (AveragePooling2D(pool_size=(2, 3), strides=(1, 2)), (4, 9, 2), (3, 4, 2)),
    (AveragePooling2D(pool_size=3, strides=1, padding="same"), (6, 5, 2), (6, 5, 2)),
    (MaxPooling1D(), (10, 4), (5, 4)),
    (MaxPooling1D(pool_size=3, strides=2), (10, 4), (4, 4)),
    (AveragePooling1D(pool_size=3, strides=2, padding="same"), (10, 4), (5, 4)),
    (GlobalAveragePooling2D(), (8, 8, 16), (16,)),
    (GlobalMaxPooling2D(keepdims=True), (8, 8, 16), (1, 1, 16)),
    (GlobalAveragePooling1D(keepdims=True), (10, 4), (1, 4)),
    (GlobalMaxPooling1D(), (10, 4), (4,)),
])
def test_compute_output_shape_matches_keras(layer, input_shape, expected):
    assert layer.compute_output_shape(input_shape) == expected


@pytest.mark.parametrize("layer, input_shape", [
    (MaxPooling2D(), (784,)),
    (AveragePooling2D(), (28, 28)),
    (MaxPooling1D(), (28, 28, 1)),
    (GlobalAveragePooling2D(), (10, 4)),
    (GlobalMaxPooling1D(), (3,)),
])
def test_that_a_wrong_rank_raises_a_shape_error_naming_the_layer(layer, input_shape):
    with pytest.raises(ShapeError, match=f"'{layer.name}'.*rank"):
        layer.compute_output_shape(input_shape)


def test_that_valid_pooling_larger_than_the_input_suggests_same_padding():
    layer = MaxPooling2D(pool_size=3)
    with pytest.raises(ShapeError, match=r"pool_size \(3, 3\).*\(None, 2, 5, 1\).*same"):
        layer.compute_output_shape((2, 5, 1))
    assert MaxPooling2D(pool_size=3, padding="same").compute_output_shape((2, 5, 1)) == (1, 2, 1)


# ----- bad arguments -------------------------------------------------------------------------
@pytest.mark.parametrize("cls, kwargs, word", [
    (MaxPooling2D, {"pool_size": 0}, "pool_size"),
    (MaxPooling2D, {"pool_size": (2, 2, 2)}, "pool_size"),
    (MaxPooling2D, {"strides": (0, 1)}, "strides"),
    (MaxPooling2D, {"padding": "full"}, "padding"),
    (AveragePooling2D, {"pool_size": "2"}, "pool_size"),
    (MaxPooling1D, {"pool_size": -1}, "pool_size"),
    (AveragePooling1D, {"strides": 0}, "strides"),
    (AveragePooling1D, {"padding": "causal"}, "padding"),
    (GlobalAveragePooling2D, {"keepdims": "yes"}, "keepdims"),
    (GlobalMaxPooling1D, {"data_fromat": "channels_last"}, "data_fromat"),
])
def test_that_bad_arguments_raise_a_spec_error_naming_them(cls, kwargs, word):
    with pytest.raises(SpecError, match=word):
        cls(**kwargs)


# ----- forward golden values -------------------------------------------------------------------
def test_max_and_average_pooling_2x2_by_hand():
    x = np.arange(16, dtype=np.float64).reshape(1, 4, 4, 1)
    np.testing.assert_array_equal(MaxPooling2D()(x)[0, :, :, 0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(AveragePooling2D()(x)[0, :, :, 0], [[2.5, 4.5], [10.5, 12.5]])


def test_that_same_average_pooling_divides_by_the_real_cells_only():
    # 3x3 input, pool 2, stride 2, 'same': one padded row/column after (TF rule).
    x = np.arange(9, dtype=np.float64).reshape(1, 3, 3, 1)
    avg = AveragePooling2D(padding="same")(x)[0, :, :, 0]
    np.testing.assert_allclose(avg, [[(0 + 1 + 3 + 4) / 4, (2 + 5) / 2], [(6 + 7) / 2, 8.0]])
    np.testing.assert_array_equal(MaxPooling2D(padding="same")(x)[0, :, :, 0], [[4, 5], [7, 8]])


def test_that_same_max_pooling_never_picks_padding_over_negative_values():
    x = -np.arange(1, 10, dtype=np.float64).reshape(1, 3, 3, 1)
    np.testing.assert_array_equal(MaxPooling2D(padding="same")(x)[0, :, :, 0],
                                  [[-1, -3], [-7, -9]])


SETTINGS_2D = [
    ((2, 2), None, "valid", (2, 6, 6, 3)),
    ((2, 2), None, "valid", (2, 5, 7, 2)),   # tiles, with a dropped remainder
    ((3, 3), (1, 1), "valid", (2, 5, 5, 2)),  # overlapping windows
    ((3, 3), (2, 2), "same", (1, 7, 6, 2)),
    ((2, 3), (1, 2), "same", (2, 5, 5, 1)),
    ((2, 2), (3, 3), "valid", (1, 7, 8, 2)),  # gaps between windows
    ((2, 2), None, "same", (2, 5, 5, 2)),
    ((1, 1), None, "valid", (1, 3, 3, 2)),
]


@pytest.mark.parametrize("cls, mode", [(MaxPooling2D, "max"), (AveragePooling2D, "avg")])
@pytest.mark.parametrize("pool, strides, padding, shape", SETTINGS_2D)
def test_2d_pooling_forward_matches_a_naive_loop(rng, cls, mode, pool, strides, padding, shape):
    x = rng.standard_normal(shape)
    layer = cls(pool_size=pool, strides=strides, padding=padding)
    expected = naive_pool2d(x, pool, strides or pool, padding, mode)
    y = layer(x)
    assert y.shape[1:] == layer.compute_output_shape(shape[1:])
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cls, mode", [(MaxPooling1D, "max"), (AveragePooling1D, "avg")])
@pytest.mark.parametrize("pool, strides, padding", [
    (2, None, "valid"), (3, 1, "valid"), (3, 2, "same"), (2, 3, "valid"), (4, 3, "same"),
])
def test_1d_pooling_forward_matches_a_naive_loop(rng, cls, mode, pool, strides, padding):
    x = rng.standard_normal((2, 9, 3))
    y = cls(pool_size=pool, strides=strides, padding=padding)(x)
    np.testing.assert_allclose(y, naive_pool1d(x, pool, strides or pool, padding, mode),
                               rtol=1e-12, atol=1e-12)


def test_global_pooling_forward_values(rng):
    x = rng.standard_normal((3, 4, 5, 2))
    np.testing.assert_allclose(GlobalAveragePooling2D()(x), x.mean(axis=(1, 2)))
    np.testing.assert_allclose(GlobalMaxPooling2D(keepdims=True)(x), x.max(axis=(1, 2),
                                                                           keepdims=True))
    seq = rng.standard_normal((3, 7, 2))
    np.testing.assert_allclose(GlobalMaxPooling1D()(seq), seq.max(axis=1))
    np.testing.assert_allclose(GlobalAveragePooling1D(keepdims=True)(seq),
                               seq.mean(axis=1, keepdims=True))


def test_that_pooling_keeps_float32():
    x = np.ones((2, 4, 4, 3), dtype=np.float32)
    for layer in (MaxPooling2D(), AveragePooling2D(padding="same", pool_size=3, strides=2),
                  GlobalAveragePooling2D(), GlobalMaxPooling2D()):
        y = layer(x)
        assert y.dtype == np.float32
        assert layer.backward(np.ones_like(y)).dtype == np.float32


# ----- backward -------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ALL)
def test_that_backward_returns_a_writable_array_of_the_input_shape(rng, cls):
    x = rng.standard_normal((2, 4, 4, 3) if cls.__name__.endswith("2D") else (2, 6, 3))
    layer = cls()
    grad_x = layer.backward(np.ones_like(layer(x)))
    assert grad_x.shape == x.shape
    assert grad_x.flags.writeable and 0 not in grad_x.strides


def test_that_max_pooling_routes_a_tied_window_to_its_first_cell():
    x = np.zeros((1, 2, 2, 1))
    layer = MaxPooling2D()
    layer(x)
    np.testing.assert_array_equal(layer.backward(np.ones((1, 1, 1, 1)))[0, :, :, 0],
                                  [[1, 0], [0, 0]])
    glob = GlobalMaxPooling2D()
    glob(x)
    np.testing.assert_array_equal(glob.backward(np.ones((1, 1)))[0, :, :, 0], [[1, 0], [0, 0]])


def naive_first_max_backward(x, grad, pool):
    """Routes each window's gradient to its row-major-first maximum, by plain loops."""
    dx = np.zeros_like(x)
    (ph, pw), (n, oh, ow, c) = pool, grad.shape
    for b, i, j, k in np.ndindex(n, oh, ow, c):
        window = x[b, i * ph:(i + 1) * ph, j * pw:(j + 1) * pw, k]
        a, e = np.unravel_index(np.argmax(window), window.shape)  # argmax: first maximum
        dx[b, i * ph + a, j * pw + e, k] += grad[b, i, j, k]
    return dx


@pytest.mark.parametrize("pool, shape", [((2, 2), (3, 6, 6, 2)), ((2, 2), (2, 7, 5, 3)),
                                         ((3, 2), (2, 9, 8, 2)), ((2, 3), (2, 5, 7, 1))])
def test_that_tied_tiled_windows_route_to_the_row_major_first_maximum(rng, pool, shape):
    x = rng.integers(0, 3, size=shape).astype(np.float32)  # many ties, in every position
    layer = MaxPooling2D(pool_size=pool)
    y = layer(x)
    grad = rng.standard_normal(y.shape).astype(np.float32)
    np.testing.assert_array_equal(layer.backward(grad), naive_first_max_backward(x, grad, pool))


def test_that_overlapping_max_windows_add_up_at_a_shared_peak():
    x = np.zeros((1, 4, 4, 1))
    x[0, 1, 1, 0] = 5.0  # inside all four 3x3 windows, and the max of each
    layer = MaxPooling2D(pool_size=3, strides=1)
    layer(x)
    dx = layer.backward(np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 2, 2, 1))
    expected = np.zeros((4, 4))
    expected[1, 1] = 1.0 + 2.0 + 3.0 + 4.0
    np.testing.assert_array_equal(dx[0, :, :, 0], expected)


@pytest.mark.parametrize("cls", [MaxPooling2D, AveragePooling2D])
@pytest.mark.parametrize("pool, strides, padding, shape", SETTINGS_2D)
def test_2d_pooling_gradients(rng, cls, pool, strides, padding, shape):
    layer = cls(pool_size=pool, strides=strides, padding=padding)
    check_layer_gradients(layer, rng.standard_normal(shape))


@pytest.mark.parametrize("cls", [MaxPooling1D, AveragePooling1D])
@pytest.mark.parametrize("pool, strides, padding", [(2, None, "valid"), (3, 1, "valid"),
                                                    (3, 2, "same"), (2, 3, "valid")])
def test_1d_pooling_gradients(rng, cls, pool, strides, padding):
    layer = cls(pool_size=pool, strides=strides, padding=padding)
    check_layer_gradients(layer, rng.standard_normal((2, 8, 3)))


@pytest.mark.parametrize("cls, shape", [
    (GlobalAveragePooling1D, (2, 5, 3)), (GlobalMaxPooling1D, (2, 5, 3)),
    (GlobalAveragePooling2D, (2, 3, 4, 2)), (GlobalMaxPooling2D, (2, 3, 4, 2)),
])
@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_gradients(rng, cls, shape, keepdims):
    check_layer_gradients(cls(keepdims=keepdims), rng.standard_normal(shape))


# ----- GPU ------------------------------------------------------------------------------------
@pytest.mark.gpu
@pytest.mark.parametrize("settings", [{}, {"pool_size": 3, "strides": 2, "padding": "same"},
                                      {"pool_size": 3, "strides": 1}])
def test_max_pooling2d_on_cupy_matches_numpy(rng, settings):
    import cupy

    x = rng.standard_normal((2, 7, 6, 3)).astype(np.float32)
    cpu, gpu = MaxPooling2D(**settings), MaxPooling2D(**settings)
    y = cpu(x)
    y_gpu = gpu(cupy.asarray(x))
    assert isinstance(y_gpu, cupy.ndarray)
    np.testing.assert_array_equal(cupy.asnumpy(y_gpu), y)
    grad = rng.standard_normal(y.shape).astype(np.float32)
    dx_gpu = gpu.backward(cupy.asarray(grad))
    assert isinstance(dx_gpu, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(dx_gpu), cpu.backward(grad), rtol=1e-6, atol=1e-6)
