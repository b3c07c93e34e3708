"""Convolution layers: gradients, golden values against naive loops, shapes, errors, GPU."""

import math

import numpy as np
import pytest

from engine import backend, layers, registry
from engine.errors import ShapeError, SpecError
from engine.layers import conv_utils as cu

from gradcheck import check_layer_gradients

CONV_CLASSES = ("Conv1D", "Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose")


# ----- naive references: plain loops over output (or input) positions ------------------------
def tf_same_pads(size, kernel, stride, dilation=1):
    """TensorFlow's SAME rule, written out independently of conv_utils."""
    extent = (kernel - 1) * dilation + 1
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + extent - size, 0)
    return total // 2, total - total // 2


def pads_for(x_shape, kernel, strides, dilation, padding):
    if padding == "valid":
        return ((0, 0), (0, 0))
    return tuple(tf_same_pads(n, k, s, d)
                 for n, k, s, d in zip(x_shape[1:3], kernel, strides, dilation))


def naive_conv2d(x, kernel, strides=(1, 1), dilation=(1, 1), padding="valid"):
    (kh, kw, _, filters), (sh, sw), (dh, dw) = kernel.shape, strides, dilation
    xp = np.pad(x, ((0, 0), *pads_for(x.shape, (kh, kw), strides, dilation, padding), (0, 0)))
    out_h = (xp.shape[1] - (kh - 1) * dh - 1) // sh + 1
    out_w = (xp.shape[2] - (kw - 1) * dw - 1) // sw + 1
    out = np.zeros((x.shape[0], out_h, out_w, filters))
    for y in range(out_h):
        for z in range(out_w):
            for i in range(kh):
                for j in range(kw):
                    out[:, y, z] += xp[:, y * sh + i * dh, z * sw + j * dw] @ kernel[i, j]
    return out


def naive_depthwise(x, kernel, strides=(1, 1), dilation=(1, 1), padding="valid"):
    kh, kw, channels, mult = kernel.shape
    out = np.zeros(naive_conv2d(x, np.zeros((kh, kw, channels, 1)), strides, dilation,
                                padding).shape[:3] + (channels * mult,))
    for c in range(channels):
        for m in range(mult):
            out[..., c * mult + m] = naive_conv2d(x[..., c:c + 1], kernel[:, :, c:c + 1, m:m + 1],
                                                  strides, dilation, padding)[..., 0]
    return out


def naive_conv2d_transpose(x, kernel, strides, padding):
    """Each input pixel adds x @ kernel[i, j].T at (y*s + i, z*s + j), then TF's crop."""
    (kh, kw, filters, _), (sh, sw) = kernel.shape, strides
    n, in_h, in_w, _ = x.shape
    full = np.zeros((n, (in_h - 1) * sh + kh + sh, (in_w - 1) * sw + kw + sw, filters))
    for y in range(in_h):
        for z in range(in_w):
            for i in range(kh):
                for j in range(kw):
                    full[:, y * sh + i, z * sw + j] += x[:, y, z] @ kernel[i, j].T
    if padding == "same":
        out_h, out_w = in_h * sh, in_w * sw
        top, left = max(kh - sh, 0) // 2, max(kw - sw, 0) // 2
    else:
        out_h, out_w = in_h * sh + max(kh - sh, 0), in_w * sw + max(kw - sw, 0)
        top = left = 0
    return full[:, top:top + out_h, left:left + out_w]


def built(layer, x, weights):
    layer.build(tuple(x.shape[1:]))
    layer.set_weights(weights)
    return layer


# ----- gradients ------------------------------------------------------------------------------
SETTINGS_2D = [dict(strides=s, padding=p, activation=a)
               for s in (1, 2) for p in ("valid", "same") for a in (None, "relu")]
SETTINGS_2D += [dict(dilation_rate=2, padding="valid"), dict(dilation_rate=2, padding="same"),
                dict(kernel_size=(2, 3), strides=2, padding="same")]


@pytest.mark.parametrize("channels", [3, 9])  # col2im_matmul: few- and many-channel paths
@pytest.mark.parametrize("settings", SETTINGS_2D, ids=str)
def test_conv2d_gradients(settings, channels, rng):
    layer = layers.Conv2D(4, **{"kernel_size": 3, **settings})
    check_layer_gradients(layer, rng.standard_normal((2, 5, 6, channels)))


@pytest.mark.parametrize("settings", SETTINGS_2D, ids=str)
def test_depthwise_conv2d_gradients(settings, rng):
    layer = layers.DepthwiseConv2D(**{"kernel_size": 3, "depth_multiplier": 2, **settings})
    check_layer_gradients(layer, rng.standard_normal((2, 5, 6, 3)))


@pytest.mark.parametrize("settings", SETTINGS_2D, ids=str)
def test_separable_conv2d_gradients(settings, rng):
    layer = layers.SeparableConv2D(4, **{"kernel_size": 3, "depth_multiplier": 2, **settings})
    check_layer_gradients(layer, rng.standard_normal((2, 5, 6, 3)))


@pytest.mark.parametrize("filters", [4, 9])
@pytest.mark.parametrize("settings", SETTINGS_2D + [dict(kernel_size=1, strides=2)], ids=str)
def test_conv2d_transpose_gradients(settings, filters, rng):
    layer = layers.Conv2DTranspose(filters, **{"kernel_size": 3, **settings})
    check_layer_gradients(layer, rng.standard_normal((2, 3, 4, 3)))


@pytest.mark.parametrize("settings", [
    dict(strides=s, padding=p, activation=a)
    for s in (1, 2) for p in ("valid", "same", "causal") for a in (None, "relu")
] + [dict(dilation_rate=2, padding="causal"), dict(dilation_rate=2, padding="same")], ids=str)
def test_conv1d_gradients(settings, rng):
    layer = layers.Conv1D(4, **{"kernel_size": 3, **settings})
    check_layer_gradients(layer, rng.standard_normal((2, 7, 3)))


def test_conv2d_gradients_with_one_channel(rng):
    # im2col copies a one-channel input per kernel position
    check_layer_gradients(layers.Conv2D(2, 3, padding="same"), rng.standard_normal((2, 5, 5, 1)))


@pytest.mark.parametrize("name", CONV_CLASSES)
def test_that_a_layer_told_no_input_gradient_is_needed_returns_none(name, rng):
    cls = registry.get_class("layer", name)
    x = rng.standard_normal((2, 6, 3) if name == "Conv1D" else (2, 6, 6, 3))
    full, first = cls(kernel_size=3), cls(kernel_size=3)
    first.needs_input_gradient = False
    for layer in (full, first):
        layer.build(x.shape[1:])
        layer.set_weights(full.get_weights())
        y = layer.forward(x)
    upstream = rng.standard_normal(y.shape)
    assert full.backward(upstream) is not None and first.backward(upstream) is None
    for key in full.grads:
        np.testing.assert_allclose(first.grads[key], full.grads[key])


def test_that_im2col_and_col2im_are_adjoint(rng):
    for strides, dilation, padding in [((1, 1), (1, 1), "same"), ((2, 3), (1, 1), "same"),
                                       ((1, 1), (2, 1), "valid"), ((2, 2), (1, 1), "valid")]:
        geom = cu.conv_geometry((7, 6), (3, 2), strides, dilation, padding)
        x = rng.standard_normal((2, 7, 6, 3))
        cols = rng.standard_normal((2, *geom.out_size, 3, 2, 3))
        lhs = float((cu.im2col(x, geom) * cols).sum())
        assert lhs == pytest.approx(float((x * cu.col2im(cols, geom)).sum()), rel=1e-10)


def test_that_1d_im2col_and_col2im_are_adjoint(rng):
    geom = cu.conv_geometry_1d(9, 3, 2, 1, "causal")
    x = rng.standard_normal((2, 9, 4))
    cols = rng.standard_normal((2, geom.out_size[1], 3, 4))
    assert cu.im2col_1d(x, geom).shape == cols.shape
    lhs = float((cu.im2col_1d(x, geom) * cols).sum())
    assert lhs == pytest.approx(float((x * cu.col2im_1d(cols, geom)).sum()), rel=1e-10)


# ----- forward golden values ------------------------------------------------------------------
FORWARD_CASES = [
    dict(kernel_size=3), dict(kernel_size=3, strides=2, padding="same"),
    dict(kernel_size=4, strides=2, padding="same"), dict(kernel_size=(2, 4), padding="same"),
    dict(kernel_size=3, dilation_rate=2, padding="same"), dict(kernel_size=2, strides=(2, 3)),
]


@pytest.mark.parametrize("case", FORWARD_CASES, ids=str)
@pytest.mark.parametrize("channels", [1, 3, 9])
def test_conv2d_forward_matches_naive_loops(case, channels, rng):
    x = rng.standard_normal((2, 7, 8, channels))
    kh, kw = np.broadcast_to(case["kernel_size"], 2)
    kernel, bias = rng.standard_normal((kh, kw, channels, 5)), rng.standard_normal(5)
    layer = built(layers.Conv2D(5, **case), x, [kernel, bias])
    ref = naive_conv2d(x, kernel, np.broadcast_to(case.get("strides", 1), 2),
                       np.broadcast_to(case.get("dilation_rate", 1), 2),
                       case.get("padding", "valid")) + bias
    np.testing.assert_allclose(layer(x), ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", FORWARD_CASES, ids=str)
def test_depthwise_and_separable_forward_match_naive_loops(case, rng):
    x = rng.standard_normal((2, 7, 8, 3))
    kh, kw = np.broadcast_to(case["kernel_size"], 2)
    depthwise, pointwise = rng.standard_normal((kh, kw, 3, 2)), rng.standard_normal((1, 1, 6, 4))
    args = (np.broadcast_to(case.get("strides", 1), 2),
            np.broadcast_to(case.get("dilation_rate", 1), 2), case.get("padding", "valid"))
    ref = naive_depthwise(x, depthwise, *args)
    bias6, bias4 = rng.standard_normal(6), rng.standard_normal(4)
    layer = built(layers.DepthwiseConv2D(depth_multiplier=2, **case), x, [depthwise, bias6])
    np.testing.assert_allclose(layer(x), ref + bias6, rtol=1e-5, atol=1e-5)
    layer = built(layers.SeparableConv2D(4, depth_multiplier=2, **case), x,
                  [depthwise, pointwise, bias4])
    np.testing.assert_allclose(layer(x), ref @ pointwise[0, 0] + bias4, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kernel_size,strides,padding", [
    (3, 1, "valid"), (3, 2, "valid"), (3, 2, "same"), (4, 2, "same"), (2, 3, "valid"),
    (2, 3, "same"), ((3, 2), (2, 1), "same"), (1, 2, "valid"),
])
@pytest.mark.parametrize("filters", [5, 9])
def test_conv2d_transpose_forward_matches_naive_loops(kernel_size, strides, padding, filters,
                                                      rng):
    x = rng.standard_normal((2, 3, 4, 3))
    kh, kw = np.broadcast_to(kernel_size, 2)
    kernel, bias = rng.standard_normal((kh, kw, filters, 3)), rng.standard_normal(filters)
    layer = built(layers.Conv2DTranspose(filters, kernel_size, strides=strides,
                                         padding=padding), x, [kernel, bias])
    ref = naive_conv2d_transpose(x, kernel, np.broadcast_to(strides, 2), padding) + bias
    np.testing.assert_allclose(layer(x), ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
@pytest.mark.parametrize("strides,dilation", [(1, 1), (2, 1), (1, 2)])
def test_conv1d_forward_matches_naive_loops(padding, strides, dilation, rng):
    x = rng.standard_normal((2, 9, 3))
    kernel, bias = rng.standard_normal((3, 3, 4)), rng.standard_normal(4)
    layer = built(layers.Conv1D(4, 3, strides=strides, padding=padding, dilation_rate=dilation),
                  x, [kernel, bias])
    extent = 2 * dilation + 1
    if padding == "causal":  # left padding only: output t sees inputs <= t
        x_ref, mode = np.pad(x, ((0, 0), (extent - 1, 0), (0, 0))), "valid"
    else:
        x_ref, mode = x, padding
    ref = naive_conv2d(x_ref[:, None], kernel[None], (1, strides), (1, dilation), mode)[:, 0]
    np.testing.assert_allclose(layer(x), ref + bias, rtol=1e-5, atol=1e-5)


def test_a_tiny_conv2d_computed_by_hand():
    x = np.arange(1, 10, dtype=np.float32).reshape(1, 3, 3, 1)  # [[1,2,3],[4,5,6],[7,8,9]]
    kernel = np.array([[1, 2], [3, 4]], np.float32).reshape(2, 2, 1, 1)
    valid = built(layers.Conv2D(1, 2), x, [kernel, np.array([1.0], np.float32)])
    assert valid(x)[0, :, :, 0].tolist() == [[38, 48], [68, 78]]  # 1+4+12+20 (+1 bias) ...
    # same, stride 2: TF pads the bottom/right only (total padding 1 -> (0, 1))
    same = built(layers.Conv2D(1, 2, strides=2, padding="same", use_bias=False), x, [kernel])
    assert same(x)[0, :, :, 0].tolist() == [[37, 21], [23, 9]]


def test_tiny_conv1d_causal_and_transpose_computed_by_hand():
    seq = np.array([1, 2, 3], np.float32).reshape(1, 3, 1)
    causal = built(layers.Conv1D(1, 2, padding="causal", use_bias=False), seq,
                   [np.array([1, 10], np.float32).reshape(2, 1, 1)])
    assert causal(seq)[0, :, 0].tolist() == [10, 21, 32]  # out[t] = x[t-1] + 10 x[t]
    img = np.array([[1, 2], [3, 4]], np.float32).reshape(1, 2, 2, 1)
    up = built(layers.Conv2DTranspose(1, 2, strides=2, use_bias=False), img,
               [np.ones((2, 2, 1, 1), np.float32)])
    assert up(img)[0, :, :, 0].tolist() == [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4],
                                            [3, 3, 4, 4]]


def test_that_same_padding_puts_the_extra_pixel_at_the_bottom_right():
    assert cu.padding_amounts(5, 2, 1, "same") == (0, 1)
    assert cu.padding_amounts(6, 3, 2, "same") == (0, 1)
    assert cu.padding_amounts(7, 3, 2, "same") == (1, 1)
    assert cu.padding_amounts(6, 4, 2, "same") == (1, 1)
    assert cu.padding_amounts(9, 3, 1, "causal", dilation=2) == (4, 0)


def test_that_outputs_keep_the_input_dtype(rng):
    x = rng.standard_normal((2, 6, 6, 3)).astype(np.float32)
    for name in CONV_CLASSES[1:]:
        layer = registry.get_class("layer", name)(kernel_size=3, padding="same")
        y = layer(x)
        assert y.dtype == np.float32
        assert layer.backward(np.ones_like(y)).dtype == np.float32


# ----- shapes, weights, parameter counts (Keras values) ---------------------------------------
@pytest.mark.parametrize("layer,input_shape,output_shape,params", [
    (lambda: layers.Conv2D(32, 3), (28, 28, 1), (26, 26, 32), 320),
    (lambda: layers.Conv2D(64, 3), (13, 13, 32), (11, 11, 64), 18496),
    (lambda: layers.Conv2D(16, 3, strides=2, padding="same"), (28, 28, 3), (14, 14, 16), 448),
    (lambda: layers.Conv2D(8, 5, padding="same", use_bias=False), (7, 9, 2), (7, 9, 8), 400),
    (lambda: layers.Conv2D(4, 3, dilation_rate=2), (10, 10, 1), (6, 6, 4), 40),
    (lambda: layers.Conv1D(16, 5), (100, 8), (96, 16), 656),
    (lambda: layers.Conv1D(16, 5, padding="causal", strides=2), (100, 8), (50, 16), 656),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=2), (28, 28, 3), (26, 26, 6), 60),
    (lambda: layers.SeparableConv2D(64, 3), (28, 28, 32), (26, 26, 64), 2400),
    (lambda: layers.Conv2DTranspose(16, 3, strides=2, padding="same"), (7, 7, 32), (14, 14, 16),
     4624),
    (lambda: layers.Conv2DTranspose(16, 3, strides=2), (7, 7, 32), (15, 15, 16), 4624),
    (lambda: layers.Conv2DTranspose(4, 2, strides=3), (5, 5, 1), (15, 15, 4), 20),
])
def test_output_shapes_and_param_counts(layer, input_shape, output_shape, params):
    layer = layer()
    assert layer.compute_output_shape(input_shape) == output_shape
    layer.build(input_shape)
    assert layer.count_params() == params


def test_weight_names_and_layouts_follow_keras():
    cases = [
        (layers.Conv2D(8, (3, 2)), (9, 9, 4), {"kernel": (3, 2, 4, 8), "bias": (8,)}),
        (layers.Conv1D(8, 3), (9, 4), {"kernel": (3, 4, 8), "bias": (8,)}),
        (layers.DepthwiseConv2D(3, depth_multiplier=2), (9, 9, 4),
         {"depthwise_kernel": (3, 3, 4, 2), "bias": (8,)}),
        (layers.SeparableConv2D(8, 3, depth_multiplier=2), (9, 9, 4),
         {"depthwise_kernel": (3, 3, 4, 2), "pointwise_kernel": (1, 1, 8, 8), "bias": (8,)}),
        (layers.Conv2DTranspose(8, 3), (9, 9, 4), {"kernel": (3, 3, 8, 4), "bias": (8,)}),
    ]
    for layer, input_shape, expected in cases:
        layer.build(input_shape)
        assert {k: tuple(v.shape) for k, v in layer.params.items()} == expected
        assert list(layer.params) == list(expected)  # Keras weight order


def test_that_conv_layers_are_registered_in_the_convolution_category():
    for name in CONV_CLASSES:
        cls = registry.get_class("layer", name)
        assert cls.CATEGORY == "Convolution"
        assert name in layers.conv.__all__ + layers.conv_variants.__all__


def test_that_configs_normalise_ints_to_tuples_and_padding_to_lower_case():
    config = layers.Conv2D(4, 3, strides=2, padding="SAME").get_config()
    assert config["kernel_size"] == [3, 3] and config["strides"] == [2, 2]
    assert config["padding"] == "same" and config["dilation_rate"] == [1, 1]
    assert layers.Conv2D.from_config(config).get_config() == config
    assert layers.Conv1D(4, 5).get_config()["kernel_size"] == [5]


# ----- errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize("cls,kwargs,argument", [
    ("Conv2D", {"kernel_size": -1}, "kernel_size"), ("Conv2D", {"filters": 0}, "filters"),
    ("Conv2D", {"padding": "full"}, "padding"), ("Conv2D", {"padding": "causal"}, "padding"),
    ("Conv2D", {"strides": 0}, "strides"), ("Conv2D", {"dilation_rate": 0}, "dilation_rate"),
    ("Conv1D", {"kernel_size": (3, 3)}, "kernel_size"), ("Conv1D", {"padding": "full"}, "padding"),
    ("DepthwiseConv2D", {"depth_multiplier": 0}, "depth_multiplier"),
    ("SeparableConv2D", {"filters": 0}, "filters"),
    ("Conv2DTranspose", {"kernel_size": -1}, "kernel_size"),
    ("Conv2D", {"strides": 2, "dilation_rate": 2}, "dilation_rate"),
])
def test_that_bad_arguments_raise_spec_errors_naming_the_argument(cls, kwargs, argument):
    with pytest.raises(SpecError, match=f"`{argument}`"):
        registry.get_class("layer", cls)(**kwargs)


@pytest.mark.parametrize("layer,input_shape,hint", [
    (lambda: layers.Conv2D(4, 3), (28, 28), r"Reshape layer to \(28, 28, 1\)"),
    (lambda: layers.Conv2D(4, 3), (784,), r"Reshape layer to \(28, 28, 1\)"),
    (lambda: layers.Conv2D(4, 3), (10,), r"Reshape layer to \(height, width, channels\)"),
    (lambda: layers.DepthwiseConv2D(3), (28, 28), r"Reshape layer to \(28, 28, 1\)"),
    (lambda: layers.Conv1D(4, 3), (100,), r"Reshape layer to \(100, 1\)"),
    (lambda: layers.Conv1D(4, 3), (8, 8, 3), r"Conv2D"),
])
def test_that_a_wrong_input_rank_suggests_a_reshape(layer, input_shape, hint):
    with pytest.raises(ShapeError, match=hint):
        layer().compute_output_shape(input_shape)


def test_that_an_input_smaller_than_the_kernel_is_a_shape_error():
    with pytest.raises(ShapeError, match="too small for the kernel"):
        layers.Conv2D(4, 5).compute_output_shape((3, 3, 1))
    with pytest.raises(ShapeError, match="too small for the kernel"):
        layers.Conv1D(4, 3, dilation_rate=4).compute_output_shape((8, 2))
    assert layers.Conv2D(4, 5, padding="same").compute_output_shape((3, 3, 1)) == (3, 3, 4)


# ----- GPU ------------------------------------------------------------------------------------
@pytest.mark.gpu
@pytest.mark.parametrize("name", CONV_CLASSES)
def test_that_conv_layers_on_cupy_match_numpy(name, rng):
    cls = registry.get_class("layer", name)
    kwargs = dict(kernel_size=3, strides=2, padding="same", activation="relu")
    if name != "DepthwiseConv2D":
        kwargs["filters"] = 8
    shape = (4, 11, 3) if name == "Conv1D" else (4, 9, 10, 3)
    x = rng.standard_normal(shape).astype(np.float32)
    cpu, gpu = cls(**kwargs), cls(**kwargs)
    cpu.build(shape[1:])
    gpu.device = "gpu"
    gpu.build(shape[1:])
    gpu.set_weights(cpu.get_weights())
    y = cpu.forward(x)
    upstream = rng.standard_normal(y.shape).astype(np.float32)
    dx = cpu.backward(upstream)
    y_gpu = gpu.forward(backend.to_device(x, "gpu"))
    dx_gpu = gpu.backward(backend.to_device(upstream, "gpu"))
    np.testing.assert_allclose(backend.to_numpy(y_gpu), y, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(backend.to_numpy(dx_gpu), dx, rtol=1e-4, atol=1e-4)
    for key in cpu.grads:
        np.testing.assert_allclose(backend.to_numpy(gpu.grads[key]), cpu.grads[key],
                                   rtol=1e-4, atol=1e-3)
