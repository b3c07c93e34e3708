"""Activation ops: Keras's values and defaults, VJPs against finite differences."""

import math

import numpy as np
import pytest

from engine import activations
from engine.ops import nn_activations as nn
from engine.ops.core import Tensor
from engine.ops.tape import GradientTape
from engine.variables import Variable

from .op_gradcheck import check_op_gradients

R = np.random.default_rng(5)


def _away_from_kinks(shape, kinks=(0.0,), gap=0.05):
    """float64 values at least `gap` from each kink (finite differences straddle none)."""
    x = R.uniform(-4, 4, size=shape)
    for k in kinks:
        near = np.abs(x - k) < gap
        x[near] = k + gap * 2 * np.sign(x[near] - k + 1e-12)
    return x


ELEMENTWISE = [
    (nn.relu, ()), (nn.relu6, (0.0, 6.0)), (nn.sigmoid, ()), (nn.softplus, ()),
    (nn.softsign, ()), (nn.silu, ()), (nn.selu, ()), (nn.log_sigmoid, ()),
    (nn.leaky_relu, ()), (lambda x: nn.leaky_relu(x, negative_slope=0.1), ()),
    (nn.elu, ()), (lambda x: nn.elu(x, alpha=0.5), ()), (nn.gelu, ()),
    (nn.hard_sigmoid, (-3.0, 3.0)), (nn.hard_silu, (-3.0, 3.0)), (nn.celu, ()),
    (lambda x: nn.celu(x, alpha=2.0), ()), (nn.hard_tanh, (-1.0, 1.0)),
    (nn.hard_shrink, (-0.5, 0.5)), (nn.soft_shrink, (-0.5, 0.5)), (nn.tanh_shrink, ()),
    (lambda x: nn.threshold(x, 0.3, -2.0), (0.3,)), (nn.sparse_sigmoid, (-1.0, 1.0)),
    (nn.sparse_plus, (-1.0, 1.0)), (nn.squareplus, ()),
]


@pytest.mark.parametrize("fn, kinks", ELEMENTWISE)
def test_elementwise_vjps(fn, kinks):
    check_op_gradients(fn, [_away_from_kinks((3, 4), kinks + (0.0,))])


def test_exact_gelu_vjp_within_the_erf_approximation():
    # NumPy's erf is Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): differences see it.
    check_op_gradients(lambda x: nn.gelu(x, approximate=False), [R.standard_normal((3, 4))],
                       rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("axis", [-1, 0, 1, (0, 2)])
def test_softmax_and_log_softmax_vjps(axis):
    x = R.standard_normal((2, 3, 4))
    check_op_gradients(lambda a: nn.softmax(a, axis=axis), [x])
    check_op_gradients(lambda a: nn.log_softmax(a, axis=axis), [x])


def test_glu_and_sparsemax_vjps():
    check_op_gradients(nn.glu, [R.standard_normal((3, 4))])
    check_op_gradients(lambda a: nn.glu(a, axis=0), [R.standard_normal((4, 3))])
    x = np.array([[0.3, -1.2, 0.9, 0.75], [2.0, 0.1, -0.4, 1.1]])
    check_op_gradients(nn.sparsemax, [x])


def test_values_match_keras():
    x = np.array([-10.0, -3.0, -1.0, -0.25, 0.0, 0.5, 2.0, 7.0], np.float32)
    sig = 1 / (1 + np.exp(-x.astype(np.float64)))
    np.testing.assert_allclose(nn.relu6(x).numpy(), np.clip(x, 0, 6))
    np.testing.assert_allclose(nn.leaky_relu(x).numpy(), np.where(x > 0, x, 0.2 * x))
    np.testing.assert_allclose(nn.log_sigmoid(x).numpy(), np.log(sig), rtol=1e-6)
    np.testing.assert_allclose(nn.hard_silu(x).numpy(), x * np.clip(x / 6 + 0.5, 0, 1))
    tanh_form = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    np.testing.assert_allclose(nn.gelu(x).numpy(), tanh_form, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(nn.elu(x, alpha=0.5).numpy(),
                               np.where(x > 0, x, 0.5 * np.expm1(x)), rtol=1e-6)
    np.testing.assert_allclose(nn.sparsemax(np.array([[0.1, 1.1, 0.3]])).numpy(),
                               [[0.0, 0.9, 0.1]], atol=1e-7)
    np.testing.assert_allclose(nn.sparsemax(np.array([-0.5, 0, 1, 2, 3])).numpy(),
                               [0, 0, 0, 0, 1])  # Keras's test
    assert nn.swish is nn.silu and nn.hard_swish is nn.hard_silu


def test_ops_compute_what_the_layers_activations_compute():
    x = R.standard_normal((4, 5)).astype(np.float32)
    for name in ("relu", "sigmoid", "softplus", "selu", "softsign", "silu", "hard_sigmoid"):
        np.testing.assert_array_equal(getattr(nn, name)(x).numpy(),
                                      activations.get(name).forward(x))
    np.testing.assert_array_equal(nn.softmax(x).numpy(), activations.softmax(x))


def test_dtypes_and_inputs():
    assert nn.relu(np.ones(3, np.float64)).dtype == np.float64
    assert nn.sigmoid([1, 2]).dtype == np.float32  # lists and ints become floatx
    assert nn.relu(np.arange(3)).dtype == np.float32
    assert nn.relu(2.5).shape == ()
    w = Variable(np.array([-1.0, 2.0], np.float32))
    with GradientTape() as tape:
        y = nn.relu(w) * 3.0
    np.testing.assert_allclose(np.asarray(tape.gradient(y, w)), [0.0, 3.0])


def test_no_node_without_a_tape():
    assert nn.softmax(Tensor(np.ones((2, 3)))).node is None
