"""Reductions and scans: sum, mean, max/min (ties share the gradient), prod (exact with
zeros), var/std, arg*, cum*, all/any, count_nonzero, average."""

import numpy as np
import pytest

from engine import ops
from engine.ops.tape import GradientTape
from engine.variables import Variable

from .op_gradcheck import check_op_gradients

R = np.random.default_rng(11)


def _f64(*shape):
    return R.standard_normal(shape)


AXES = [(None, False), (0, False), (1, True), ((0, 2), False), (-1, True)]


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "prod", "var", "std"])
@pytest.mark.parametrize("axis, keepdims", AXES)
def test_reductions_match_numpy_and_their_vjps(name, axis, keepdims):
    x = _f64(2, 3, 4)
    out = getattr(ops, name)(x, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(np.asarray(out), getattr(np, name)(x, axis=axis,
                                                                  keepdims=keepdims))
    check_op_gradients(lambda v: getattr(ops, name)(v, axis=axis, keepdims=keepdims), [x])


def test_max_splits_the_gradient_among_ties():
    w = Variable(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]))
    with GradientTape() as tape:
        y = ops.max(w, axis=1)
    np.testing.assert_allclose(np.asarray(tape.gradient(y, w)),
                               [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


def test_max_with_an_initial_that_wins_has_no_gradient():
    x = np.array([1.0, 2.0])
    assert float(ops.max(x, initial=5.0)) == 5.0
    check_op_gradients(lambda v: ops.max(v, initial=5.0), [x])


def test_prod_is_exact_where_elements_are_zero():
    x = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0], [1.5, -2.0, 0.5]])
    check_op_gradients(lambda v: ops.prod(v, axis=1), [x])
    check_op_gradients(lambda v: ops.prod(v), [np.array([2.0, 0.0, 3.0])])


def test_std_of_a_constant_has_a_zero_gradient_not_nan():
    w = Variable(np.ones(4))
    with GradientTape() as tape:
        y = ops.std(w)
    np.testing.assert_array_equal(np.asarray(tape.gradient(y, w)), np.zeros(4))


def test_reduction_dtypes_follow_keras():
    ints = np.array([[1, 2], [3, 4]], np.int32)
    assert ops.mean(ints).dtype == np.float32
    assert ops.var(ints).dtype == np.float32 and ops.std(ints).dtype == np.float32
    assert ops.sum(np.array([1, 2], np.int8)).dtype == np.int32
    assert ops.sum(np.array([True, True])).dtype == np.int32
    assert ops.sum(ints).dtype == np.int32 and int(ops.sum(ints)) == 10
    assert ops.prod(np.array([2, 3], np.uint8)).dtype == np.uint32
    assert ops.max(ints).dtype == np.int32
    assert ops.mean(np.ones(2, np.float16)).dtype == np.float16


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_scans_match_numpy_and_their_vjps(name, axis):
    x = _f64(3, 4)
    np.testing.assert_allclose(np.asarray(getattr(ops, name)(x, axis=axis)),
                               getattr(np, name)(x, axis=axis))
    check_op_gradients(lambda v: getattr(ops, name)(v, axis=axis), [x])


def test_cumprod_gradient_is_exact_through_zeros():
    check_op_gradients(lambda v: ops.cumprod(v, axis=1),
                       [np.array([[1.5, 0.0, 2.0, -1.0], [0.0, 3.0, 0.0, 2.0]])])


def test_scans_of_bools_are_int32():
    assert ops.cumsum(np.array([True, True, False])).dtype == np.int32


def test_argmax_argmin_are_int32_and_rank_minus_zero_below_zero():
    x = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    np.testing.assert_array_equal(np.asarray(ops.argmax(x, axis=1)), [1, 0])
    np.testing.assert_array_equal(np.asarray(ops.argmin(x, axis=-1)), [0, 1])
    assert ops.argmax(x).dtype == np.int32 and int(ops.argmax(x)) == 3
    assert ops.argmax(x, axis=0, keepdims=True).shape == (1, 3)
    assert int(ops.argmax(np.array([-0.0, 0.0]))) == 1
    assert int(ops.argmin(np.array([0.0, -0.0]))) == 1


def test_all_any_count_nonzero():
    x = np.array([[0, 1, 2], [0, 0, 3]])
    np.testing.assert_array_equal(np.asarray(ops.all(x, axis=0)), [False, False, True])
    np.testing.assert_array_equal(np.asarray(ops.any(x, axis=1, keepdims=True)),
                                  [[True], [True]])
    assert bool(ops.any(x)) and not bool(ops.all(x))
    assert int(ops.count_nonzero(x)) == 3
    np.testing.assert_array_equal(np.asarray(ops.count_nonzero(x, axis=0)), [0, 1, 2])
    assert ops.count_nonzero(x).dtype == np.int32


def test_average_differentiates_values_and_weights():
    x, w = _f64(3, 4), np.abs(_f64(4)) + 0.5
    np.testing.assert_allclose(np.asarray(ops.average(x, axis=1, weights=w)),
                               np.average(x, axis=1, weights=w))
    np.testing.assert_allclose(np.asarray(ops.average(x)), np.average(x))
    check_op_gradients(lambda v, u: ops.average(v, axis=1, weights=u), [x, w])
    full_w = np.abs(_f64(3, 4)) + 0.5
    check_op_gradients(lambda v, u: ops.average(v, weights=u), [x, full_w])
    assert ops.average(np.array([1, 2], np.int32)).dtype == np.float32


def test_a_mean_squared_error_loss_under_a_tape():
    w = Variable(np.array([[1.0, -1.0], [0.5, 2.0]], np.float32))
    x = np.array([[1.0, 2.0]], np.float32)
    target = np.array([[0.0, 1.0]], np.float32)
    with GradientTape() as tape:
        loss = ops.mean(ops.square(ops.matmul(x, w) - target))
    (grad,) = tape.gradient(loss, [w])
    residual = x @ np.asarray(w) - target
    np.testing.assert_allclose(np.asarray(grad), x.T @ residual, rtol=1e-6)
