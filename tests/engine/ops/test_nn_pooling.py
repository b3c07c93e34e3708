"""Pooling ops: values against a direct loop, VJPs by finite differences, layer parity."""

import itertools

import numpy as np
import pytest

from engine.errors import ShapeError
from engine.layers import AveragePooling2D, MaxPooling2D
from engine.ops import nn_pooling as nn

from .op_gradcheck import check_op_gradients

R = np.random.default_rng(13)


def _reference(x, pool, strides, padding, reduce):
    """Channels-last pooling window by window (pads never counted)."""
    rank = x.ndim - 2
    pool = (pool,) * rank if np.isscalar(pool) else pool
    strides = pool if strides is None else ((strides,) * rank if np.isscalar(strides)
                                            else strides)
    outs, starts = [], []
    for n, p, s in zip(x.shape[1:-1], pool, strides):
        if padding == "same":
            o = -(-n // s)
            before = max((o - 1) * s + p - n, 0) // 2
        else:
            o, before = (n - p) // s + 1, 0
        outs.append(o)
        starts.append([i * s - before for i in range(o)])
    y = np.zeros((x.shape[0], *outs, x.shape[-1]))
    for index in itertools.product(*(range(o) for o in outs)):
        window = x[(slice(None), *(slice(max(st[i], 0), st[i] + p)
                                   for st, i, p in zip(starts, index, pool)))]
        y[(slice(None), *index)] = reduce(window.reshape(x.shape[0], -1, x.shape[-1]), axis=1)
    return y


CASES = [
    ((2, 8, 3), 2, None, "valid"),
    ((1, 7, 2), 3, 2, "same"),
    ((2, 6, 6, 2), 2, None, "valid"),  # tiles: the one-axis-at-a-time path
    ((1, 7, 5, 2), (3, 2), (2, 1), "same"),
    ((1, 5, 5, 1), 3, 1, "valid"),
    ((1, 4, 4, 4, 2), 2, None, "valid"),
    ((1, 5, 4, 3, 1), 2, (2, 1, 2), "same"),
]


@pytest.mark.parametrize("shape, pool, strides, padding", CASES)
def test_max_pool(shape, pool, strides, padding):
    x = R.standard_normal(shape)
    got = nn.max_pool(x, pool, strides, padding).numpy()
    np.testing.assert_array_equal(got, _reference(x, pool, strides, padding, np.max))
    check_op_gradients(lambda a: nn.max_pool(a, pool, strides, padding), [x])


@pytest.mark.parametrize("shape, pool, strides, padding", CASES)
def test_average_pool(shape, pool, strides, padding):
    x = R.standard_normal(shape)
    got = nn.average_pool(x, pool, strides, padding).numpy()
    np.testing.assert_allclose(got, _reference(x, pool, strides, padding, np.mean), rtol=1e-12)
    check_op_gradients(lambda a: nn.average_pool(a, pool, strides, padding), [x])


def test_channels_first():
    x = R.standard_normal((2, 3, 6, 4))
    last = nn.max_pool(np.moveaxis(x, 1, -1), 2).numpy()
    np.testing.assert_array_equal(nn.max_pool(x, 2, data_format="channels_first").numpy(),
                                  np.moveaxis(last, -1, 1))
    check_op_gradients(lambda a: nn.average_pool(a, 2, 1, "same", "channels_first"),
                       [R.standard_normal((1, 2, 3, 3))])
    check_op_gradients(lambda a: nn.max_pool(a, 2, None, "valid", "channels_first"),
                       [R.standard_normal((1, 2, 4, 4))])


def test_ops_and_layers_compute_the_same():
    x = R.standard_normal((2, 9, 8, 3)).astype(np.float32)
    np.testing.assert_array_equal(nn.max_pool(x, 2, padding="same").numpy(),
                                  MaxPooling2D(2, padding="same").forward(x))
    np.testing.assert_array_equal(nn.average_pool(x, 3, 2).numpy(),
                                  AveragePooling2D(3, 2).forward(x))
    assert nn.max_pool(x, 2).dtype == np.float32


def test_a_tie_sends_the_gradient_to_the_first_maximum():
    from engine.ops.core import Tensor
    from engine.ops.tape import GradientTape

    x = Tensor(np.ones((1, 2, 2, 1)))
    with GradientTape() as tape:
        tape.watch(x)
        y = nn.max_pool(x, 2)
    np.testing.assert_array_equal(np.asarray(tape.gradient(y, x))[0, ..., 0], [[1, 0], [0, 0]])


def test_too_small_for_valid():
    with pytest.raises(ShapeError, match="pool_size"):
        nn.max_pool(np.ones((1, 1, 5, 1)), 2)
