"""Element-wise ops (`keras.ops` unary and binary math, clip, where, comparisons, logic):
values as NumPy's, dtypes as Keras's, VJPs as central differences."""

import numpy as np
import pytest

from engine import ops
from engine.ops.tape import GradientTape
from engine.variables import Variable

from .op_gradcheck import check_op_gradients

R = np.random.default_rng(7)


def _f64(*shape, low=-1.0, high=1.0):
    return R.uniform(low, high, shape)


UNARY = [  # (op, NumPy twin, input domain)
    ("square", np.square, (-2, 2)), ("sqrt", np.sqrt, (0.2, 3)), ("exp", np.exp, (-2, 2)),
    ("exp2", np.exp2, (-2, 2)), ("expm1", np.expm1, (-2, 2)), ("log", np.log, (0.2, 3)),
    ("log1p", np.log1p, (-0.5, 2)), ("log2", np.log2, (0.2, 3)), ("log10", np.log10, (0.2, 3)),
    ("sin", np.sin, (-3, 3)), ("cos", np.cos, (-3, 3)), ("tan", np.tan, (-1, 1)),
    ("arcsin", np.arcsin, (-0.9, 0.9)), ("arccos", np.arccos, (-0.9, 0.9)),
    ("arctan", np.arctan, (-3, 3)), ("sinh", np.sinh, (-2, 2)), ("cosh", np.cosh, (-2, 2)),
    ("tanh", np.tanh, (-2, 2)), ("arcsinh", np.arcsinh, (-2, 2)),
    ("arccosh", np.arccosh, (1.2, 3)), ("arctanh", np.arctanh, (-0.9, 0.9)),
    ("reciprocal", np.reciprocal, (0.5, 2)), ("abs", np.abs, (-2, 2)),
]


@pytest.mark.parametrize("name, twin, domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary_ops_match_numpy_and_their_vjps(name, twin, domain):
    x = _f64(3, 4, low=domain[0], high=domain[1])
    op = getattr(ops, name)
    np.testing.assert_allclose(np.asarray(op(x)), twin(x), rtol=1e-12)
    assert op(x).dtype == np.float64
    check_op_gradients(op, [x])


@pytest.mark.parametrize("name", ["sqrt", "exp", "log", "sin", "tanh", "arctan"])
def test_float_ops_of_ints_are_float32_as_in_keras(name):
    assert getattr(ops, name)(np.array([1, 2, 3], np.int32)).dtype == np.float32
    assert getattr(ops, name)(np.array([1, 2, 3], np.int64)).dtype == np.float32


def test_log_of_zero_is_minus_inf_without_a_warning():
    assert np.isneginf(np.asarray(ops.log(np.zeros(2)))).all()
    assert np.isnan(np.asarray(ops.sqrt(-np.ones(2)))).all()


def test_square_keeps_ints_and_makes_bools_int32():
    assert ops.square(np.array([2, 3], np.int64)).dtype == np.int64
    assert ops.square(np.array([True, False])).dtype == np.int32


def test_piecewise_constant_ops_match_numpy_and_record_nothing():
    x = np.array([-1.5, -0.5, 0.0, 0.4, 2.5])
    for name in ("sign", "floor", "ceil", "round", "trunc"):
        np.testing.assert_array_equal(np.asarray(getattr(ops, name)(x)), getattr(np, name)(x))
    np.testing.assert_array_equal(np.asarray(ops.round(np.array([1.234, 5.678]), 1)),
                                  [1.2, 5.7])
    assert ops.floor(np.array([1, 2])).dtype == np.float32  # Keras: ints -> float
    w = Variable(x)
    with GradientTape() as tape:
        y = ops.floor(w)
    assert y.node is None and tape.gradient(y, w) is None


BINARY = [
    ("arctan2", np.arctan2, [(3, 4), (4,)]),
    ("maximum", np.maximum, [(3, 4), (3, 1)]),
    ("minimum", np.minimum, [(2, 3), (3,)]),
    ("mod", np.mod, [(3, 4), (4,)]),
    ("add", np.add, [(2, 3), (3,)]),
    ("power", np.power, [(3,), (3,)]),
]


@pytest.mark.parametrize("name, twin, shapes", BINARY, ids=[b[0] for b in BINARY])
def test_binary_ops_broadcast_and_differentiate_both_inputs(name, twin, shapes):
    a, b = (_f64(*s, low=0.5, high=2.0) for s in shapes)
    if name == "mod":
        a = a * 3 + 0.05  # away from the jumps of mod
    np.testing.assert_allclose(np.asarray(getattr(ops, name)(a, b)), twin(a, b), rtol=1e-12)
    check_op_gradients(getattr(ops, name), [a, b])


def test_maximum_splits_the_gradient_evenly_on_ties():
    a, b = Variable(np.array([1.0, 2.0, 3.0])), Variable(np.array([1.0, 5.0, 0.0]))
    with GradientTape() as tape:
        y = ops.maximum(a, b)
    ga, gb = tape.gradient(y, [a, b])
    np.testing.assert_allclose(np.asarray(ga), [0.5, 0.0, 1.0])
    np.testing.assert_allclose(np.asarray(gb), [0.5, 1.0, 0.0])


def test_weak_python_numbers_keep_the_tensor_dtype_as_keras():
    i32 = np.array([1, 2, 3], np.int32)
    assert ops.maximum(i32, 2).dtype == np.int32
    assert ops.maximum(i32, 2.5).dtype == np.float32
    assert ops.minimum(np.ones(2, np.float16), 1.0).dtype == np.float16
    assert ops.maximum(np.ones(2, np.int64), np.ones(2, np.float32)).dtype == np.float32
    assert ops.floor_divide(np.array([7, -7]), 2).dtype == np.int64
    np.testing.assert_array_equal(np.asarray(ops.floor_divide(np.array([7, -7]), 2)), [3, -4])


def test_clip_passes_the_gradient_inside_the_bounds_inclusive():
    x = np.array([-2.0, -1.0, 0.3, 1.0, 4.0])
    np.testing.assert_allclose(np.asarray(ops.clip(x, -1.0, 1.0)), np.clip(x, -1, 1))
    w = Variable(x)
    with GradientTape() as tape:
        y = ops.clip(w, -1.0, 1.0)
    np.testing.assert_allclose(np.asarray(tape.gradient(y, w)), [0, 1, 1, 1, 0])
    check_op_gradients(lambda v, lo, hi: ops.clip(v, lo, hi),
                       [np.array([-3.0, 0.2, 3.0]), np.array(-1.0), np.array(1.0)])
    assert ops.clip(np.array([True, False]), 0, 1).dtype == np.int32


def test_where_routes_the_gradient_by_condition():
    cond = np.array([[True, False, True]])
    a, b = _f64(2, 3), _f64(3)
    np.testing.assert_allclose(np.asarray(ops.where(cond, a, b)), np.where(cond, a, b))
    check_op_gradients(lambda x, y: ops.where(cond, x, y), [a, b])
    rows, _ = ops.where(np.array([[0, 1], [1, 0]]))
    np.testing.assert_array_equal(np.asarray(rows), [0, 1])
    assert rows.dtype == np.int32


def test_comparisons_and_logic_are_boolean_and_untracked():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 2.0])
    for name in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal"):
        out = getattr(ops, name)(a, b)
        assert out.dtype == bool and out.node is None
        np.testing.assert_array_equal(np.asarray(out), getattr(np, name)(a, b))
    p, q = np.array([True, True, False]), np.array([True, False, False])
    for name in ("logical_and", "logical_or", "logical_xor"):
        np.testing.assert_array_equal(np.asarray(getattr(ops, name)(p, q)),
                                      getattr(np, name)(p, q))
    np.testing.assert_array_equal(np.asarray(ops.logical_not(p)), [False, False, True])
    z = np.array([np.nan, np.inf, 1.0])
    np.testing.assert_array_equal(np.asarray(ops.isnan(z)), [True, False, False])
    np.testing.assert_array_equal(np.asarray(ops.isinf(z)), [False, True, False])
    np.testing.assert_array_equal(np.asarray(ops.isfinite(z)), [False, False, True])
    assert np.asarray(ops.equal(np.array([1, 2], np.int32), 2)).tolist() == [False, True]


def test_a_variable_through_a_chain_of_elementwise_ops():
    w = Variable(np.array([0.5, 1.0, 2.0], np.float32))
    with GradientTape() as tape:
        loss = ops.sum(ops.log(ops.square(w) + 1.0) * ops.tanh(w))
    (grad,) = tape.gradient(loss, [w])
    x = np.array([0.5, 1.0, 2.0])
    expected = 2 * x / (x * x + 1) * np.tanh(x) + np.log(x * x + 1) * (1 - np.tanh(x) ** 2)
    assert grad.dtype == np.float32
    np.testing.assert_allclose(np.asarray(grad), expected, rtol=1e-5)
