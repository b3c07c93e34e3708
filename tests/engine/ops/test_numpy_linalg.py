"""Products and matrix ops: einsum (explicit, implicit, '...', diagonals), dot, tensordot,
outer, inner, norm, trace, diag: values as NumPy's, VJPs as central differences."""

import numpy as np
import pytest

from engine import ops
from engine.ops.tape import GradientTape
from engine.variables import Variable

from .op_gradcheck import check_op_gradients

R = np.random.default_rng(13)


def _f64(*shape):
    return R.standard_normal(shape)


EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),  # implicit: output "ik"
    ("ba,bc", [(3, 2), (3, 4)]),  # implicit output is sorted: "ac"
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ij->", [(3, 4)]),
    ("ij->j", [(3, 4)]),  # i is summed by the only operand
    ("ii->i", [(3, 3)]),  # a diagonal
    ("ii", [(3, 3)]),  # the trace
    ("iij,jk->ik", [(3, 3, 2), (2, 4)]),
    ("i,j->ij", [(3,), (4,)]),
    ("i,i->", [(5,), (5,)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),  # the ellipsis broadcasts
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),  # and has size-1 dims to sum back
    ("...i,i->...", [(2, 3, 4), (4,)]),
    ("i...->...i", [(3, 2)]),
    ("ij,ij,jk->ik", [(2, 3), (2, 3), (3, 2)]),
    ("...ij", [(2, 3, 4)]),  # implicit with ellipsis: "...ij"
]


@pytest.mark.parametrize("subscripts, shapes", EINSUM, ids=[e[0] for e in EINSUM])
def test_einsum_matches_numpy_and_its_vjp_is_einsum(subscripts, shapes):
    arrays = [_f64(*s) for s in shapes]
    np.testing.assert_allclose(np.asarray(ops.einsum(subscripts, *arrays)),
                               np.einsum(subscripts, *arrays), rtol=1e-12)
    check_op_gradients(lambda *v: ops.einsum(subscripts, *v), arrays)


def test_einsum_promotes_mixed_dtypes_as_keras():
    out = ops.einsum("i,i->", np.ones(3, np.int32), np.ones(3, np.float32))
    assert out.dtype == np.float32 and float(out) == 3.0


@pytest.mark.parametrize("shapes", [[(3,), (3,)], [(2, 3), (3,)], [(3,), (3, 2)],
                                    [(2, 3), (3, 4)], [(2, 3, 4), (5, 4, 2)], [(), (2, 3)]])
def test_dot_follows_numpy(shapes):
    a, b = (_f64(*s) for s in shapes)
    np.testing.assert_allclose(np.asarray(ops.dot(a, b)), np.dot(a, b), rtol=1e-12)
    check_op_gradients(ops.dot, [a, b])


@pytest.mark.parametrize("axes", [2, 1, 0, ([1, 0], [0, 1]), ([2], [0]), [[0, 2], [1, 0]]])
def test_tensordot_follows_numpy(axes):
    a = _f64(3, 2, 4)
    b = {2: _f64(2, 4, 5), 1: _f64(4, 5), 0: _f64(2)}.get(axes) if isinstance(axes, int) \
        else {str(([1, 0], [0, 1])): _f64(2, 3, 5), str(([2], [0])): _f64(4, 2),
              str([[0, 2], [1, 0]]): _f64(4, 3, 2)}[str(axes)]
    np.testing.assert_allclose(np.asarray(ops.tensordot(a, b, axes=axes)),
                               np.tensordot(a, b, axes=axes), rtol=1e-12)
    check_op_gradients(lambda x, y: ops.tensordot(x, y, axes=axes), [a, b])


def test_outer_inner_vdot():
    a, b = _f64(2, 2), _f64(3)
    np.testing.assert_allclose(np.asarray(ops.outer(a, b)), np.outer(a, b))
    check_op_gradients(ops.outer, [a, b])
    c, d = _f64(2, 3), _f64(4, 3)
    np.testing.assert_allclose(np.asarray(ops.inner(c, d)), np.inner(c, d))
    check_op_gradients(ops.inner, [c, d])
    np.testing.assert_allclose(float(ops.vdot(c, c)), np.vdot(c, c))


NORMS = [
    (None, None, (5,)), (None, None, (3, 4)), (None, None, (2, 3, 4)),
    (2, None, (5,)), (1, None, (5,)), (np.inf, None, (5,)), (-np.inf, None, (5,)),
    (3, None, (5,)), (0.5, None, (5,)), (None, 1, (3, 4)), (1, -1, (3, 4)),
    ("fro", None, (3, 4)), ("fro", (0, 1), (2, 3, 2)), (1, None, (3, 4)), (-1, None, (3, 4)),
    (np.inf, None, (3, 4)), (-np.inf, (2, 0), (3, 2, 4)), (None, (1, 2), (2, 3, 4)),
]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("order, axis, shape", NORMS)
def test_norm_matches_numpy_linalg_norm(order, axis, shape, keepdims):
    x = _f64(*shape)
    if order in (np.inf, -np.inf, 1, -1) and len(shape) > 1:
        x = x + np.arange(x.size).reshape(shape) * 0.01  # no ties among the sums
    expected = np.linalg.norm(x, ord=order, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(np.asarray(ops.norm(x, ord=order, axis=axis,
                                                   keepdims=keepdims)), expected, rtol=1e-12)
    check_op_gradients(lambda v: ops.norm(v, ord=order, axis=axis, keepdims=keepdims), [x])


def test_norm_of_zero_has_a_zero_gradient_and_ints_give_float32():
    w = Variable(np.zeros(3))
    with GradientTape() as tape:
        y = ops.norm(w)
    np.testing.assert_array_equal(np.asarray(tape.gradient(y, w)), np.zeros(3))
    assert ops.norm(np.array([3, 4], np.int32)).dtype == np.float32
    assert float(ops.norm(np.array([3, 4], np.int32))) == 5.0
    assert float(ops.norm(np.array([0.0, 2.0, 0.0]), ord=0)) == 1.0
    with pytest.raises(ValueError):
        ops.norm(np.ones(3), ord="fro")


@pytest.mark.parametrize("k", [0, 1, -2])
def test_diag_diagonal_trace(k):
    m, v = _f64(4, 5), _f64(3)
    np.testing.assert_allclose(np.asarray(ops.diag(m, k)), np.diag(m, k))
    np.testing.assert_allclose(np.asarray(ops.diag(v, k)), np.diag(v, k))
    check_op_gradients(lambda x: ops.diag(x, k), [m])
    check_op_gradients(lambda x: ops.diag(x, k), [v])
    t = _f64(3, 4, 2)
    np.testing.assert_allclose(np.asarray(ops.diagonal(t, k, 0, 1)), np.diagonal(t, k, 0, 1))
    check_op_gradients(lambda x: ops.diagonal(x, k, 2, 0), [t])
    np.testing.assert_allclose(float(ops.trace(m, k)), np.trace(m, k))
    check_op_gradients(lambda x: ops.trace(x, k, 1, 2), [t])


def test_a_two_layer_network_under_a_tape():
    w1 = Variable(_f64(3, 4).astype(np.float32))
    w2 = Variable(_f64(4, 2).astype(np.float32))
    x = _f64(5, 3).astype(np.float32)
    with GradientTape() as tape:
        h = ops.tanh(ops.einsum("bi,ij->bj", x, w1))
        loss = ops.mean(ops.square(ops.dot(h, w2)))
    g1, g2 = tape.gradient(loss, [w1, w2])
    h_np = np.tanh(x @ np.asarray(w1))
    out = h_np @ np.asarray(w2)
    d_out = 2 * out / out.size
    np.testing.assert_allclose(np.asarray(g2), h_np.T @ d_out, rtol=1e-4, atol=1e-6)
    d_h = d_out @ np.asarray(w2).T * (1 - h_np ** 2)
    np.testing.assert_allclose(np.asarray(g1), x.T @ d_h, rtol=1e-4, atol=1e-6)
