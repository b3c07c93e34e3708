"""Normalization ops: values as Keras computes them, VJPs by finite differences."""

import numpy as np
import pytest

from engine.ops import nn_norm as nn

from .op_gradcheck import check_op_gradients

R = np.random.default_rng(19)


def test_moments_values_and_keepdims():
    x = np.array([0, 1, 2, 3, 100], np.float32)
    mean, var = nn.moments(x, axes=[0])
    np.testing.assert_allclose([float(mean), float(var)], [21.2, 1553.36], rtol=1e-6)
    y = R.standard_normal((2, 3, 4))
    mean, var = nn.moments(y, axes=(0, 2), keepdims=True)
    assert mean.shape == var.shape == (1, 3, 1)
    np.testing.assert_allclose(var.numpy(), y.var(axis=(0, 2), keepdims=True))
    mean, var = nn.moments(y, axes=-1)
    assert mean.shape == (2, 3)
    half = nn.moments(np.ones(4, np.float16), axes=0)[1]
    assert half.dtype == np.float16


@pytest.mark.parametrize("axes, keepdims", [((0,), False), ((0, 2), True), (-1, False)])
def test_moments_vjps(axes, keepdims):
    x = R.standard_normal((2, 3, 4))
    check_op_gradients(lambda a: nn.moments(a, axes, keepdims)[0], [x])
    check_op_gradients(lambda a: nn.moments(a, axes, keepdims)[1], [x])
    check_op_gradients(lambda a: nn.moments(a, axes, keepdims)[0] * 2.0
                       + nn.moments(a, axes, keepdims)[1], [x])


def test_batch_normalization_values_and_vjps():
    x = R.standard_normal((3, 4, 2))
    mean, var = R.standard_normal(4), R.uniform(0.5, 2.0, 4)
    offset, scale = R.standard_normal(4), R.standard_normal(4)
    y = nn.batch_normalization(x, mean, var, axis=1, offset=offset, scale=scale).numpy()
    b = (slice(None), None)
    expected = (x - mean[b]) / np.sqrt(var[b] + 1e-3) * scale[b] + offset[b]
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    check_op_gradients(lambda *a: nn.batch_normalization(a[0], a[1], a[2], 1, a[3], a[4]),
                       [x, mean, var, offset, scale])
    check_op_gradients(lambda a, m, v: nn.batch_normalization(a, m, v, -1, epsilon=0.1),
                       [R.standard_normal((3, 2)), R.standard_normal(2), R.uniform(1, 2, 2)])


def test_normalize():
    x = np.array([[1, 2, 3], [4, 5, 6]], np.float32)
    np.testing.assert_allclose(nn.normalize(x).numpy(),
                               [[0.26726124, 0.5345225, 0.8017837],
                                [0.45584232, 0.5698029, 0.68376344]], rtol=1e-6)
    np.testing.assert_allclose(nn.normalize(x, order=1).numpy(), x / x.sum(-1, keepdims=True),
                               rtol=1e-6)
    assert np.all(nn.normalize(np.zeros(3)).numpy() == 0)
    with pytest.raises(ValueError, match="order"):
        nn.normalize(x, order=0)
    for order in (1, 2, 3):
        check_op_gradients(lambda a, order=order: nn.normalize(a, axis=0, order=order),
                           [R.standard_normal((3, 2))])
    check_op_gradients(lambda a: nn.normalize(a, axis=(0, 1)), [R.standard_normal((2, 3))])


def test_layer_and_rms_normalization():
    x = R.standard_normal((2, 5))
    gamma, beta = R.standard_normal(5), R.standard_normal(5)
    y = nn.layer_normalization(x, gamma, beta, epsilon=1e-3).numpy()
    expected = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(y, expected * gamma + beta, rtol=1e-10)
    check_op_gradients(lambda a, g, b: nn.layer_normalization(a, g, b), [x, gamma, beta])
    check_op_gradients(lambda a, g: nn.layer_normalization(a, g, axis=0, rms_scaling=True),
                       [R.standard_normal((3, 2)), R.standard_normal(3)])
    rms = nn.rms_normalization(x, gamma).numpy()
    np.testing.assert_allclose(rms, x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-7) * gamma)
    check_op_gradients(lambda a, s: nn.rms_normalization(a, s), [x, gamma])
    check_op_gradients(lambda a: nn.rms_normalization(a, axis=0), [R.standard_normal((3, 2))])
