"""The operators every Tensor and Variable has: values as NumPy's, VJPs as finite differences."""

import numpy as np
import pytest

from engine.ops import core
from engine.ops.tape import GradientTape
from engine.variables import Variable

from .op_gradcheck import check_op_gradients

R = np.random.default_rng(3)


def _f64(*shape):
    return R.standard_normal(shape)


@pytest.mark.parametrize("fn, shapes", [
    (lambda a, b: a + b, [(3, 4), (4,)]),
    (lambda a, b: a - b, [(3, 1), (1, 4)]),
    (lambda a, b: a * b, [(2, 3), (2, 3)]),
    (lambda a, b: a / b, [(2, 3), (3,)]),
    (lambda a: -a, [(5,)]),
    (lambda a: abs(a), [(5,)]),
    (lambda a, b: a @ b, [(3, 4), (4, 2)]),
    (lambda a, b: a @ b, [(2, 3, 4), (4,)]),
    (lambda a, b: a @ b, [(4,), (2, 4, 3)]),
    (lambda a, b: a @ b, [(5, 2, 3), (3, 2)]),
    (lambda a: a[1:, ::2], [(4, 5)]),
    (lambda a: a[[0, 0, 2]], [(3, 2)]),
])
def test_operator_vjps_match_finite_differences(fn, shapes):
    check_op_gradients(fn, [_f64(*s) for s in shapes])


def test_power_differentiates_base_and_exponent():
    base = np.abs(_f64(3)) + 0.5
    check_op_gradients(lambda a, b: a ** b, [base, _f64(3)])


def test_a_variable_read_twice_gets_both_contributions():
    w = Variable(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    x = np.array([[1.0, 1.0]], np.float32)
    with GradientTape() as tape:
        y = (x @ w) * w[0] + 2  # ndarray @ Variable defers to the recorded operator
        loss = y * y
    (grad,) = tape.gradient(loss, [w])
    np.testing.assert_allclose(np.asarray(grad), [[60, 224], [12, 56]])


def test_nothing_is_recorded_without_a_tape():
    w = Variable(np.ones(3, np.float32))
    assert (w * 2).node is None


def test_a_long_chain_does_not_hit_the_recursion_limit():
    w = Variable(np.ones(1, np.float32))
    with GradientTape() as tape:
        y = w
        for _ in range(5000):
            y = y * 1.0
    np.testing.assert_allclose(np.asarray(tape.gradient(y, w)), [1.0])


def test_sum_to_shape_undoes_broadcasting():
    g = np.ones((2, 3, 4))
    assert core.sum_to_shape(g, (3, 1)).shape == (3, 1)
    np.testing.assert_allclose(core.sum_to_shape(g, (3, 1)), np.full((3, 1), 8.0))
