"""Convolution ops: values against a direct loop, Keras's shapes, VJPs by finite differences."""

import itertools

import numpy as np
import pytest

from engine.errors import ShapeError
from engine.layers import Conv2D, Conv2DTranspose
from engine.ops import nn_conv as nn

from .op_gradcheck import check_op_gradients

R = np.random.default_rng(11)


def _pads(n, k, s, d, padding):
    extent = (k - 1) * d + 1
    if padding == "valid":
        return 0, 0
    if padding == "causal":
        return extent - 1, 0
    out = -(-n // s)
    total = max((out - 1) * s + extent - n, 0)
    return total // 2, total - total // 2


def _reference_conv(x, k, strides, padding, dilation):
    """Channels-last convolution by a loop over kernel positions (no im2col)."""
    rank = x.ndim - 2
    strides, dilation = (strides,) * rank if np.isscalar(strides) else strides, \
        (dilation,) * rank if np.isscalar(dilation) else dilation
    pads = [_pads(n, kk, s, d, padding)
            for n, kk, s, d in zip(x.shape[1:-1], k.shape[:-2], strides, dilation)]
    xp_ = np.pad(x, ((0, 0), *pads, (0, 0)))
    outs = [(n + a + b - ((kk - 1) * d + 1)) // s + 1 for n, (a, b), kk, s, d in
            zip(x.shape[1:-1], pads, k.shape[:-2], strides, dilation)]
    y = np.zeros((x.shape[0], *outs, k.shape[-1]))
    for pos in itertools.product(*(range(kk) for kk in k.shape[:-2])):
        index = (slice(None), *(slice(p * d, p * d + s * (o - 1) + 1, s)
                                for p, d, s, o in zip(pos, dilation, strides, outs)))
        y += np.einsum("...c,cf->...f", xp_[index], k[pos])
    return y


@pytest.mark.parametrize("x_shape, k_shape, strides, padding, dilation", [
    ((2, 7, 3), (3, 3, 4), 1, "valid", 1),
    ((2, 8, 2), (3, 2, 3), 2, "same", 1),
    ((1, 9, 2), (3, 2, 2), 1, "causal", 2),
    ((2, 6, 5, 3), (3, 2, 3, 4), (2, 1), "same", 1),
    ((1, 7, 7, 2), (3, 3, 2, 2), 1, "valid", (2, 1)),
    ((1, 5, 4, 3, 2), (2, 3, 2, 2, 3), (1, 2, 1), "same", 1),
    ((1, 7, 8, 9), (3, 3, 9, 16), 2, "same", 1),  # many channels: per-position scatter
])
def test_conv_matches_a_direct_loop(x_shape, k_shape, strides, padding, dilation):
    x, k = R.standard_normal(x_shape), R.standard_normal(k_shape)
    got = nn.conv(x, k, strides=strides, padding=padding, dilation_rate=dilation).numpy()
    np.testing.assert_allclose(got, _reference_conv(x, k, strides, padding, dilation),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("x_shape, k_shape, kwargs", [
    ((2, 5, 2), (3, 2, 3), {}),
    ((1, 6, 2), (2, 2, 2), {"strides": 2, "padding": "same"}),
    ((1, 5, 4, 2), (3, 2, 2, 3), {"padding": "same", "strides": (2, 1)}),
    ((1, 6, 5, 2), (2, 2, 2, 2), {"dilation_rate": 2}),
    ((1, 4, 3, 3, 2), (2, 2, 2, 2, 2), {"padding": "same"}),
    ((1, 5, 4, 4), (3, 3, 2, 4), {}),  # two groups
])
def test_conv_vjps(x_shape, k_shape, kwargs):
    check_op_gradients(lambda x, k: nn.conv(x, k, **kwargs),
                       [R.standard_normal(x_shape), R.standard_normal(k_shape)])


def test_grouped_conv_is_conv_per_group():
    x, k = R.standard_normal((2, 6, 6, 4)), R.standard_normal((3, 3, 2, 6))
    y = nn.conv(x, k).numpy()
    np.testing.assert_allclose(y[..., :3], nn.conv(x[..., :2], k[..., :3]).numpy())
    np.testing.assert_allclose(y[..., 3:], nn.conv(x[..., 2:], k[..., 3:]).numpy())


def test_channels_first_and_vjp():
    x, k = R.standard_normal((2, 3, 6, 5)), R.standard_normal((3, 3, 3, 2))
    last = nn.conv(np.moveaxis(x, 1, -1), k, padding="same").numpy()
    first = nn.conv(x, k, padding="same", data_format="channels_first").numpy()
    np.testing.assert_allclose(first, np.moveaxis(last, -1, 1))
    check_op_gradients(lambda a, b: nn.conv(a, b, data_format="channels_first"),
                       [R.standard_normal((1, 2, 4, 4)), R.standard_normal((2, 2, 2, 3))])


def test_conv_op_and_conv2d_layer_compute_the_same():
    layer = Conv2D(4, 3, padding="same", use_bias=False)
    x = R.standard_normal((2, 8, 8, 3)).astype(np.float32)
    layer.build((8, 8, 3))
    expected = layer.forward(x)
    got = nn.conv(x, layer.params["kernel"], padding="same").numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)
    assert got.dtype == np.float32


def test_conv_errors():
    with pytest.raises(ValueError, match="divisible"):
        nn.conv(np.ones((1, 5, 5, 3)), np.ones((3, 3, 2, 4)))
    with pytest.raises(ShapeError, match="empty output"):
        nn.conv(np.ones((1, 2, 2, 1)), np.ones((3, 3, 1, 1)))
    with pytest.raises(ValueError, match="padding"):
        nn.conv(np.ones((1, 5, 5, 1)), np.ones((3, 3, 1, 1)), padding="full")


# ----- depthwise and separable ----------------------------------------------------------------
def _reference_depthwise(x, k, **kwargs):
    mult = k.shape[-1]
    outs = [_reference_conv(x[..., c:c + 1], k[..., c:c + 1, :], **kwargs)
            for c in range(x.shape[-1])]
    return np.concatenate(outs, axis=-1) if mult else None


@pytest.mark.parametrize("x_shape, k_shape, strides, padding", [
    ((2, 7, 3), (3, 3, 2), 1, "valid"),
    ((1, 6, 5, 2), (3, 2, 2, 3), 2, "same"),
    ((1, 4, 4, 3, 2), (2, 2, 2, 2, 2), 1, "same"),
])
def test_depthwise_conv_values_and_vjps(x_shape, k_shape, strides, padding):
    x, k = R.standard_normal(x_shape), R.standard_normal(k_shape)
    got = nn.depthwise_conv(x, k, strides=strides, padding=padding).numpy()
    ref = _reference_depthwise(x, k, strides=strides, padding=padding, dilation=1)
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-12)
    check_op_gradients(lambda a, b: nn.depthwise_conv(a, b, strides=strides, padding=padding),
                       [x, k])


def test_separable_conv_is_depthwise_then_pointwise_and_differentiates():
    x = R.standard_normal((1, 5, 5, 2))
    dk, pk = R.standard_normal((3, 3, 2, 2)), R.standard_normal((1, 1, 4, 3))
    y = nn.separable_conv(x, dk, pk, padding="same").numpy()
    np.testing.assert_allclose(
        y, nn.conv(nn.depthwise_conv(x, dk, padding="same"), pk).numpy())
    check_op_gradients(lambda a, b, c: nn.separable_conv(a, b, c, strides=2),
                       [x, dk, pk])


# ----- transposed -------------------------------------------------------------------------------
@pytest.mark.parametrize("x_shape, k_shape, strides, padding", [
    ((2, 4, 3), (3, 2, 3), 2, "valid"),
    ((1, 5, 2), (1, 3, 2), 2, "same"),  # kernel smaller than the stride
    ((1, 3, 4, 2), (3, 3, 4, 2), (2, 1), "same"),
    ((1, 3, 3, 2), (2, 3, 3, 2), 3, "valid"),
    ((1, 2, 3, 2, 2), (2, 2, 2, 3, 2), 2, "same"),
])
def test_conv_transpose_is_the_adjoint_of_conv(x_shape, k_shape, strides, padding):
    """<conv_transpose(x, k), y> == <x, conv(y, k)>, TensorFlow's definition."""
    x, k = R.standard_normal(x_shape), R.standard_normal(k_shape)
    out = nn.conv_transpose(x, k, strides=strides, padding=padding).numpy()
    y = R.standard_normal(out.shape)
    back = nn.conv(y, k, strides=strides, padding=padding).numpy()
    assert back.shape == x.shape
    np.testing.assert_allclose((out * y).sum(), (x * back).sum(), rtol=1e-10)
    check_op_gradients(lambda a, b: nn.conv_transpose(a, b, strides=strides, padding=padding),
                       [x, k])


@pytest.mark.parametrize("n, k, s, padding, output_padding, expected", [
    (5, 3, 2, "valid", None, 11), (5, 1, 3, "valid", None, 15), (5, 3, 2, "same", None, 10),
    (5, 3, 2, "valid", 1, 12), (5, 3, 2, "same", 1, 10), (5, 4, 2, "same", 0, 8),
    (5, 3, 2, "same", 0, 9),
])
def test_conv_transpose_output_lengths_follow_keras(n, k, s, padding, output_padding, expected):
    x, kernel = R.standard_normal((1, n, 2)), R.standard_normal((k, 3, 2))
    y = nn.conv_transpose(x, kernel, strides=s, padding=padding, output_padding=output_padding)
    assert y.shape == (1, expected, 3)
    check_op_gradients(lambda a, b: nn.conv_transpose(a, b, strides=s, padding=padding,
                                                      output_padding=output_padding),
                       [x, kernel])


def test_conv_transpose_with_output_padding_matches_torch():
    torch = pytest.importorskip("torch")
    x, k = R.standard_normal((2, 4, 5, 3)), R.standard_normal((3, 3, 2, 3))
    got = nn.conv_transpose(x, k, strides=2, padding="valid", output_padding=1).numpy()
    ref = torch.nn.functional.conv_transpose2d(
        torch.from_numpy(np.moveaxis(x, -1, 1)), torch.from_numpy(k.transpose(3, 2, 0, 1)),
        stride=2, output_padding=1).numpy()
    np.testing.assert_allclose(got, np.moveaxis(ref, 1, -1), rtol=1e-10, atol=1e-12)


def test_conv_transpose_op_and_layer_compute_the_same():
    layer = Conv2DTranspose(3, 3, strides=2, padding="same", use_bias=False)
    layer.build((5, 4, 2))
    x = R.standard_normal((2, 5, 4, 2)).astype(np.float32)
    np.testing.assert_allclose(
        nn.conv_transpose(x, layer.params["kernel"], strides=2, padding="same").numpy(),
        layer.forward(x), rtol=1e-6, atol=1e-6)
