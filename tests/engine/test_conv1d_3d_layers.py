"""Conv1DTranspose, DepthwiseConv1D, SeparableConv1D and Conv3D: gradients, golden values
against plain loops, Keras shapes and weight layouts, errors, GPU."""

import numpy as np
import pytest
from gradcheck import check_layer_gradients

from engine import backend, layers, registry
from engine.errors import ShapeError, SpecError
from engine.layers import conv_utils as cu
from engine.layers import conv_utils_nd as nd

NEW_CONV = ("Conv1DTranspose", "DepthwiseConv1D", "SeparableConv1D", "Conv3D")


# ----- plain-loop references ------------------------------------------------------------------
def same_pads(size, kernel, stride, dilation=1):
    """TensorFlow's SAME rule: total padding split with the odd cell after."""
    extent = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + extent - size, 0)
    return total // 2, total - total // 2


def naive_conv3d(x, kernel, strides, dilation, padding):
    """Loops over every output voxel and kernel position."""
    kd, kh, kw, _, filters = kernel.shape
    pads = [(0, 0)] * 3 if padding == "valid" else [
        same_pads(n, k, s, d) for n, k, s, d in zip(x.shape[1:4], kernel.shape, strides,
                                                   dilation)]
    xp = np.pad(x, ((0, 0), *pads, (0, 0)))
    out_shape = [(xp.shape[1 + a] - (kernel.shape[a] - 1) * dilation[a] - 1) // strides[a] + 1
                 for a in range(3)]
    out = np.zeros((x.shape[0], *out_shape, filters))
    for p, q, r in np.ndindex(*out_shape):
        for i, j, k in np.ndindex(kd, kh, kw):
            voxel = xp[:, p * strides[0] + i * dilation[0], q * strides[1] + j * dilation[1],
                       r * strides[2] + k * dilation[2]]
            out[:, p, q, r] += voxel @ kernel[i, j, k]
    return out


def naive_depthwise1d(x, kernel, stride, dilation, padding):
    """out[:, t, c*M + m] = sum_i x[:, t*s + i*d, c] * kernel[i, c, m]."""
    k, channels, mult = kernel.shape
    pads = (0, 0) if padding == "valid" else same_pads(x.shape[1], k, stride, dilation)
    xp = np.pad(x, ((0, 0), pads, (0, 0)))
    length = (xp.shape[1] - (k - 1) * dilation - 1) // stride + 1
    out = np.zeros((x.shape[0], length, channels * mult))
    for t in range(length):
        for i in range(k):
            for c in range(channels):
                for m in range(mult):
                    out[:, t, c * mult + m] += xp[:, t * stride + i * dilation, c] * kernel[i, c, m]
    return out


def naive_conv1d_transpose(x, kernel, stride, dilation, padding):
    """Each input step t adds x[:, t] @ kernel[i].T at t*s + i*d, then TensorFlow's crop."""
    k, filters, _ = kernel.shape
    n, length, _ = x.shape
    extent = (k - 1) * dilation + 1
    full = np.zeros((n, (length - 1) * stride + extent, filters))
    for t in range(length):
        for i in range(k):
            full[:, t * stride + i * dilation] += x[:, t] @ kernel[i].T
    if padding == "same":
        out_len = length * stride
        start = max((length - 1) * stride + extent - out_len, 0) // 2
    else:
        out_len, start = length * stride + max(extent - stride, 0), 0
    full = np.pad(full, ((0, 0), (0, max(start + out_len - full.shape[1], 0)), (0, 0)))
    return full[:, start:start + out_len]


def built(layer, x, weights):
    layer.build(tuple(x.shape[1:]))
    layer.set_weights(weights)
    return layer


# ----- gradients ------------------------------------------------------------------------------
SETTINGS_1D = [{"strides": s, "padding": p, "activation": a}
               for s in (1, 2) for p in ("valid", "same") for a in (None, "relu")]
SETTINGS_1D += [{"dilation_rate": 2, "padding": "valid"}, {"dilation_rate": 2, "padding": "same"},
                {"kernel_size": 4, "strides": 3, "padding": "same"}, {"kernel_size": 1, "strides": 2}]


@pytest.mark.parametrize("settings", SETTINGS_1D, ids=str)
def test_that_depthwise_conv1d_passes_the_gradient_check(settings, rng):
    layer = layers.DepthwiseConv1D(**{"kernel_size": 3, "depth_multiplier": 2, **settings})
    check_layer_gradients(layer, rng.standard_normal((2, 8, 3)))


@pytest.mark.parametrize("settings", SETTINGS_1D, ids=str)
def test_that_separable_conv1d_passes_the_gradient_check(settings, rng):
    layer = layers.SeparableConv1D(4, **{"kernel_size": 3, "depth_multiplier": 2, **settings})
    check_layer_gradients(layer, rng.standard_normal((2, 8, 3)))


@pytest.mark.parametrize("filters", [4, 9])  # col2im_matmul: few- and many-channel paths
@pytest.mark.parametrize("settings", SETTINGS_1D, ids=str)
def test_that_conv1d_transpose_passes_the_gradient_check(settings, filters, rng):
    layer = layers.Conv1DTranspose(filters, **{"kernel_size": 3, **settings})
    check_layer_gradients(layer, rng.standard_normal((2, 5, 3)))


SETTINGS_3D = [{"strides": s, "padding": p, "activation": a}
               for s in (1, 2) for p in ("valid", "same") for a in (None, "relu")]
SETTINGS_3D += [{"dilation_rate": 2, "padding": "same"}, {"dilation_rate": (2, 1, 1)},
                {"kernel_size": (2, 3, 1), "strides": (1, 2, 3), "padding": "same"}]


@pytest.mark.parametrize("settings", SETTINGS_3D, ids=str)
def test_that_conv3d_passes_the_gradient_check(settings, rng):
    layer = layers.Conv3D(4, **{"kernel_size": 3, **settings})
    check_layer_gradients(layer, rng.standard_normal((2, 5, 4, 6, 3)))


@pytest.mark.parametrize("name", NEW_CONV)
def test_that_a_layer_told_no_input_gradient_is_needed_returns_none(name, rng):
    cls = registry.get_class("layer", name)
    x = rng.standard_normal((2, 5, 4, 6, 3) if name == "Conv3D" else (2, 6, 3))
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


def test_that_nd_im2col_and_col2im_are_adjoint(rng):
    for strides, dilation, padding in [((1, 1, 1), (1, 1, 1), "same"),
                                       ((2, 1, 3), (1, 1, 1), "same"),
                                       ((1, 1, 1), (2, 1, 1), "valid")]:
        geom = cu.conv_geometry((5, 6, 7), (3, 2, 3), strides, dilation, padding)
        x = rng.standard_normal((2, 5, 6, 7, 3))
        g = rng.standard_normal((2 * np.prod(geom.out_size), 4))
        weights = rng.standard_normal((3, 2, 3, 3, 4))
        # <im2col(x) W, g> == <x, col2im(g W^T)>
        lhs = float(((nd.im2col_nd(x, geom).reshape(len(g), -1) @ weights.reshape(-1, 4))
                     * g).sum())
        rhs = float((x * nd.col2im_matmul_nd(g, weights, geom)).sum())
        assert lhs == pytest.approx(rhs, rel=1e-10)


# ----- forward golden values ------------------------------------------------------------------
@pytest.mark.parametrize("case", [
    {}, {"strides": 2, "padding": "same"}, {"kernel_size": (2, 4, 3), "padding": "same"},
    {"dilation_rate": 2, "padding": "same"}, {"kernel_size": 2, "strides": (2, 1, 3)},
], ids=str)
@pytest.mark.parametrize("channels", [1, 3])
def test_that_conv3d_forward_matches_plain_loops(case, channels, rng):
    x = rng.standard_normal((2, 5, 6, 7, channels))
    kernel_size = np.broadcast_to(case.get("kernel_size", 3), 3)
    kernel, bias = rng.standard_normal((*kernel_size, channels, 4)), rng.standard_normal(4)
    layer = built(layers.Conv3D(4, **{"kernel_size": 3, **case}), x, [kernel, bias])
    ref = naive_conv3d(x, kernel, np.broadcast_to(case.get("strides", 1), 3),
                       np.broadcast_to(case.get("dilation_rate", 1), 3),
                       case.get("padding", "valid")) + bias
    np.testing.assert_allclose(layer(x), ref, rtol=1e-5, atol=1e-5)


CASES_1D = [(3, 1, 1, "valid"), (3, 2, 1, "same"), (4, 2, 1, "same"), (3, 1, 2, "same"),
            (2, 3, 1, "valid"), (5, 3, 1, "same"), (1, 2, 1, "valid")]


@pytest.mark.parametrize("kernel_size,strides,dilation,padding", CASES_1D)
def test_that_depthwise_and_separable_conv1d_forward_match_plain_loops(
        kernel_size, strides, dilation, padding, rng):
    x = rng.standard_normal((2, 9, 3))
    depthwise = rng.standard_normal((kernel_size, 3, 2))
    pointwise, bias6, bias4 = (rng.standard_normal((1, 6, 4)), rng.standard_normal(6),
                               rng.standard_normal(4))
    args = {"strides": strides, "dilation_rate": dilation, "padding": padding}
    ref = naive_depthwise1d(x, depthwise, strides, dilation, padding)
    layer = built(layers.DepthwiseConv1D(kernel_size, depth_multiplier=2, **args), x,
                  [depthwise, bias6])
    np.testing.assert_allclose(layer(x), ref + bias6, rtol=1e-5, atol=1e-5)
    layer = built(layers.SeparableConv1D(4, kernel_size, depth_multiplier=2, **args), x,
                  [depthwise, pointwise, bias4])
    np.testing.assert_allclose(layer(x), ref @ pointwise[0] + bias4, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kernel_size,strides,dilation,padding", CASES_1D)
@pytest.mark.parametrize("filters", [5, 9])
def test_that_conv1d_transpose_forward_matches_plain_loops(kernel_size, strides, dilation,
                                                           padding, filters, rng):
    x = rng.standard_normal((2, 4, 3))
    kernel, bias = rng.standard_normal((kernel_size, filters, 3)), rng.standard_normal(filters)
    layer = built(layers.Conv1DTranspose(filters, kernel_size, strides=strides,
                                         dilation_rate=dilation, padding=padding),
                  x, [kernel, bias])
    ref = naive_conv1d_transpose(x, kernel, strides, dilation, padding) + bias
    assert layer(x).shape[1:] == layer.compute_output_shape((4, 3))
    np.testing.assert_allclose(layer(x), ref, rtol=1e-5, atol=1e-5)


def test_tiny_1d_variants_computed_by_hand():
    seq = np.array([[1, 10], [2, 20], [3, 30]], np.float32)[None]  # 3 steps, 2 channels
    depthwise = np.array([[1, 1], [-1, 1]], np.float32).reshape(2, 2, 1)
    layer = built(layers.DepthwiseConv1D(2, use_bias=False), seq, [depthwise])
    assert layer(seq)[0].tolist() == [[-1, 30], [-1, 50]]  # x[t] - x[t+1]; x[t] + x[t+1]
    up = np.array([1, 2], np.float32).reshape(1, 2, 1)
    layer = built(layers.Conv1DTranspose(1, 2, strides=2, use_bias=False), up,
                  [np.array([1, 10], np.float32).reshape(2, 1, 1)])
    assert layer(up)[0, :, 0].tolist() == [1, 10, 2, 20]
    cube = np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2, 1)
    layer = built(layers.Conv3D(1, 2, use_bias=False), cube, [np.ones((2, 2, 2, 1, 1),
                                                                      np.float32)])
    assert layer(cube).reshape(-1).tolist() == [28]  # 0 + 1 + ... + 7


def test_that_outputs_keep_float32(rng):
    for name in NEW_CONV:
        x = rng.standard_normal((2, 5, 4, 6, 3) if name == "Conv3D" else (2, 6, 3))
        layer = registry.get_class("layer", name)(kernel_size=3, padding="same")
        y = layer(x.astype(np.float32))
        assert y.dtype == np.float32
        assert layer.backward(np.ones_like(y)).dtype == np.float32


# ----- shapes, weights, parameter counts (Keras values) ---------------------------------------
@pytest.mark.parametrize("layer,input_shape,output_shape,params", [
    (lambda: layers.Conv1DTranspose(16, 7, strides=2, padding="same"), (72, 16), (144, 16),
     1808),
    (lambda: layers.Conv1DTranspose(8, 3, strides=2), (10, 4), (21, 8), 104),
    (lambda: layers.Conv1DTranspose(8, 2, strides=3), (10, 4), (30, 8), 72),
    (lambda: layers.Conv1DTranspose(8, 3, dilation_rate=2), (10, 4), (14, 8), 104),
    (lambda: layers.DepthwiseConv1D(3, depth_multiplier=2), (10, 4), (8, 8), 32),
    (lambda: layers.DepthwiseConv1D(3, strides=2, padding="same"), (11, 4), (6, 4), 16),
    (lambda: layers.SeparableConv1D(64, 3), (100, 32), (98, 64), 2208),
    (lambda: layers.SeparableConv1D(8, 5, strides=2, padding="same", depth_multiplier=2),
     (9, 3), (5, 8), 86),
    (lambda: layers.Conv3D(16, 3, activation="relu"), (46, 46, 46, 1), (44, 44, 44, 16), 448),
    (lambda: layers.Conv3D(8, (3, 3, 1), strides=2, padding="same"), (9, 8, 7, 2), (5, 4, 4, 8),
     152),
    (lambda: layers.Conv3D(4, 3, dilation_rate=2), (10, 10, 10, 1), (6, 6, 6, 4), 112),
])
def test_that_output_shapes_and_param_counts_match_keras(layer, input_shape, output_shape,
                                                         params):
    layer = layer()
    assert layer.compute_output_shape(input_shape) == output_shape
    layer.build(input_shape)
    assert layer.count_params() == params


def test_that_weight_names_and_layouts_follow_keras():
    cases = [
        (layers.Conv1DTranspose(8, 3), (9, 4), {"kernel": (3, 8, 4), "bias": (8,)}),
        (layers.DepthwiseConv1D(3, depth_multiplier=2), (9, 4),
         {"depthwise_kernel": (3, 4, 2), "bias": (8,)}),
        (layers.SeparableConv1D(8, 3, depth_multiplier=2), (9, 4),
         {"depthwise_kernel": (3, 4, 2), "pointwise_kernel": (1, 8, 8), "bias": (8,)}),
        (layers.Conv3D(8, (3, 2, 1)), (9, 9, 9, 4), {"kernel": (3, 2, 1, 4, 8), "bias": (8,)}),
    ]
    for layer, input_shape, expected in cases:
        layer.build(input_shape)
        assert {k: tuple(v.shape) for k, v in layer.params.items()} == expected
        assert list(layer.params) == list(expected)  # Keras weight order


def test_that_the_new_convolutions_sit_in_the_convolution_palette_group():
    for name in NEW_CONV:
        cls = registry.get_class("layer", name)
        assert cls.CATEGORY == "Convolution" and cls.DESCRIPTION
        assert getattr(layers, name) is cls


def test_that_configs_hold_keras_values():
    config = layers.Conv3D(4, 3, strides=2, padding="SAME").get_config()
    assert config["kernel_size"] == [3, 3, 3] and config["strides"] == [2, 2, 2]
    assert config["padding"] == "same" and config["data_format"] == "channels_last"
    assert layers.Conv3D.from_config(config).get_config() == config
    assert layers.Conv1DTranspose(4, 5, data_format="channels_last").get_config()[
        "kernel_size"] == [5]


# ----- errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize("cls,kwargs,argument", [
    ("Conv3D", {"kernel_size": -1}, "kernel_size"), ("Conv3D", {"filters": 0}, "filters"),
    ("Conv3D", {"padding": "causal"}, "padding"), ("Conv3D", {"kernel_size": (3, 3)},
                                                   "kernel_size"),
    ("Conv3D", {"strides": 2, "dilation_rate": 2}, "dilation_rate"),
    ("Conv1DTranspose", {"padding": "causal"}, "padding"),
    ("Conv1DTranspose", {"kernel_size": (3, 3)}, "kernel_size"),
    ("DepthwiseConv1D", {"depth_multiplier": 0}, "depth_multiplier"),
    ("DepthwiseConv1D", {"padding": "full"}, "padding"),
    ("SeparableConv1D", {"filters": 0}, "filters"),
    ("SeparableConv1D", {"strides": 2, "dilation_rate": 2}, "dilation_rate"),
])
def test_that_bad_arguments_raise_spec_errors_naming_the_argument(cls, kwargs, argument):
    with pytest.raises(SpecError, match=f"`{argument}`"):
        registry.get_class("layer", cls)(**kwargs)


@pytest.mark.parametrize("name,permute", [("Conv1DTranspose", r"\(\(2, 1\)\)"),
                                          ("DepthwiseConv1D", r"\(\(2, 1\)\)"),
                                          ("SeparableConv1D", r"\(\(2, 1\)\)"),
                                          ("Conv3D", r"\(\(2, 3, 4, 1\)\)")])
def test_that_channels_first_is_refused_with_the_permute_that_fixes_it(name, permute):
    with pytest.raises(SpecError, match=f"'{name.lower()}.*channels_first.*Permute{permute}"):
        registry.get_class("layer", name)(data_format="channels_first", name=name.lower())


@pytest.mark.parametrize("layer,input_shape,hint", [
    (lambda: layers.Conv3D(4, 3), (8, 8, 8), r"Reshape layer to \(8, 8, 8, 1\)"),
    (lambda: layers.Conv3D(4, 3), (8, 8), r"\(depth, height, width, channels\)"),
    (lambda: layers.Conv1DTranspose(4, 3), (100,), r"Reshape layer to \(100, 1\)"),
    (lambda: layers.DepthwiseConv1D(3), (8, 8, 3), r"Conv2D"),
    (lambda: layers.SeparableConv1D(4, 3), (8, 8, 3), r"Conv2D"),
])
def test_that_a_wrong_input_rank_suggests_a_reshape(layer, input_shape, hint):
    with pytest.raises(ShapeError, match=hint):
        layer().compute_output_shape(input_shape)


def test_that_an_input_smaller_than_the_kernel_is_a_shape_error():
    with pytest.raises(ShapeError, match="'conv3d'.*too small for the kernel"):
        layers.Conv3D(4, 5).compute_output_shape((3, 9, 9, 1))
    with pytest.raises(ShapeError, match="too small for the kernel"):
        layers.DepthwiseConv1D(5).compute_output_shape((3, 2))
    assert layers.Conv3D(4, 5, padding="same").compute_output_shape((3, 3, 3, 1)) == (3, 3, 3, 4)


# ----- GPU ------------------------------------------------------------------------------------
@pytest.mark.gpu
@pytest.mark.parametrize("name", NEW_CONV)
def test_that_the_new_convolutions_on_cupy_match_numpy(name, rng):
    cls = registry.get_class("layer", name)
    kwargs = {"kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu"}
    if name != "DepthwiseConv1D":
        kwargs["filters"] = 8
    shape = (4, 7, 6, 5, 3) if name == "Conv3D" else (4, 11, 3)
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
