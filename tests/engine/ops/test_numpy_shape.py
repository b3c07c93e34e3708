"""Shape and gathering ops: values as NumPy's, VJPs as central differences."""

import numpy as np
import pytest

from engine import ops
from engine.ops.tape import GradientTape
from engine.variables import Variable

from .op_gradcheck import check_op_gradients

R = np.random.default_rng(5)


def _f64(*shape):
    return R.standard_normal(shape)


X = _f64(2, 3, 4)

SINGLE = [  # (ops call, NumPy twin) on X
    (lambda x: ops.reshape(x, (4, -1)), lambda x: np.reshape(x, (4, -1))),
    (lambda x: ops.ravel(x), np.ravel),
    (lambda x: ops.transpose(x), np.transpose),
    (lambda x: ops.transpose(x, (1, 2, 0)), lambda x: np.transpose(x, (1, 2, 0))),
    (lambda x: ops.moveaxis(x, 0, -1), lambda x: np.moveaxis(x, 0, -1)),
    (lambda x: ops.moveaxis(x, [0, 1], [2, 0]), lambda x: np.moveaxis(x, [0, 1], [2, 0])),
    (lambda x: ops.swapaxes(x, 0, 2), lambda x: np.swapaxes(x, 0, 2)),
    (lambda x: ops.expand_dims(x, 1), lambda x: np.expand_dims(x, 1)),
    (lambda x: ops.expand_dims(x, (0, -1)), lambda x: np.expand_dims(x, (0, -1))),
    (lambda x: ops.squeeze(x[:1]), lambda x: np.squeeze(x[:1])),
    (lambda x: ops.squeeze(x[:, :1], axis=1), lambda x: np.squeeze(x[:, :1], axis=1)),
    (lambda x: ops.broadcast_to(x[:, :1], (5, 2, 3, 4)),
     lambda x: np.broadcast_to(x[:, :1], (5, 2, 3, 4))),
    (lambda x: ops.tile(x, (2, 1, 1)), lambda x: np.tile(x, (2, 1, 1))),
    (lambda x: ops.tile(x, (3, 1, 2, 1)), lambda x: np.tile(x, (3, 1, 2, 1))),
    (lambda x: ops.tile(x, 2), lambda x: np.tile(x, 2)),
    (lambda x: ops.repeat(x, 2), lambda x: np.repeat(x, 2)),
    (lambda x: ops.repeat(x, 3, axis=1), lambda x: np.repeat(x, 3, axis=1)),
    (lambda x: ops.repeat(x, [0, 2, 1], axis=1), lambda x: np.repeat(x, [0, 2, 1], axis=1)),
    (lambda x: ops.flip(x), np.flip),
    (lambda x: ops.flip(x, axis=(0, 2)), lambda x: np.flip(x, axis=(0, 2))),
    (lambda x: ops.roll(x, 2), lambda x: np.roll(x, 2)),
    (lambda x: ops.roll(x, -1, axis=2), lambda x: np.roll(x, -1, axis=2)),
    (lambda x: ops.roll(x, (1, 2), axis=(0, 2)), lambda x: np.roll(x, (1, 2), axis=(0, 2))),
    (lambda x: ops.tril(x), np.tril),
    (lambda x: ops.triu(x, k=1), lambda x: np.triu(x, k=1)),
    (lambda x: ops.take(x, [[0, 2], [2, 2]], axis=1),
     lambda x: np.take(x, [[0, 2], [2, 2]], axis=1)),
    (lambda x: ops.take(x, np.array([5, 0, 5, -1])), lambda x: np.take(x, [5, 0, 5, -1])),
    (lambda x: ops.take_along_axis(x, np.array([[[0], [3], [3]]]), axis=2),
     lambda x: np.take_along_axis(x, np.array([[[0], [3], [3]]]), axis=2)),
    (lambda x: ops.take_along_axis(x, np.array([3, 3, 0]), axis=None),
     lambda x: np.take_along_axis(x.ravel(), np.array([3, 3, 0]), axis=0)),
    (lambda x: ops.sort(x), np.sort),
    (lambda x: ops.sort(x, axis=0), lambda x: np.sort(x, axis=0)),
    (lambda x: ops.slice(x, (0, 1, 1), (2, 2, 2)), lambda x: x[0:2, 1:3, 1:3]),
    (lambda x: ops.pad(x, ((0, 1), (2, 0), (1, 1))),
     lambda x: np.pad(x, ((0, 1), (2, 0), (1, 1)))),
    (lambda x: ops.pad(x, 1, constant_values=2.0), lambda x: np.pad(x, 1, constant_values=2.0)),
]


@pytest.mark.parametrize("op, twin", SINGLE, ids=[str(i) for i in range(len(SINGLE))])
def test_rearrangements_match_numpy_and_their_vjps(op, twin):
    np.testing.assert_allclose(np.asarray(op(X)), twin(X))
    check_op_gradients(op, [X])


@pytest.mark.parametrize("mode", ["edge", "reflect", "symmetric", "wrap"])
def test_pad_modes_that_copy_elements_are_differentiable(mode):
    x = _f64(3, 4)
    width = ((2, 1), (3, 2))
    np.testing.assert_allclose(np.asarray(ops.pad(x, width, mode=mode)),
                               np.pad(x, width, mode=mode))
    check_op_gradients(lambda v: ops.pad(v, width, mode=mode), [x])


def test_pad_refuses_constant_values_with_another_mode():
    with pytest.raises(ValueError, match="constant_values"):
        ops.pad(X, 1, mode="reflect", constant_values=1.0)


def test_joins_split_their_gradient_between_inputs():
    a, b, c = _f64(2, 3), _f64(2, 1), _f64(2, 2)
    np.testing.assert_allclose(np.asarray(ops.concatenate([a, b, c], axis=1)),
                               np.concatenate([a, b, c], axis=1))
    check_op_gradients(lambda *v: ops.concatenate(list(v), axis=-1), [a, b, c])
    check_op_gradients(lambda *v: ops.stack(list(v), axis=1), [a, _f64(2, 3)])
    check_op_gradients(lambda *v: ops.hstack(list(v)), [a, b])
    check_op_gradients(lambda *v: ops.vstack(list(v)), [_f64(3), _f64(2, 3)])
    np.testing.assert_allclose(np.asarray(ops.hstack([_f64(2)[:0], np.ones(2)])), np.ones(2))
    assert ops.concatenate([np.ones(2, np.int32), np.ones(2, np.float32)]).dtype == np.float32


def test_split_pieces_each_differentiate():
    x = _f64(6, 2)
    pieces = ops.split(x, 3)
    assert [p.shape for p in pieces] == [(2, 2)] * 3
    uneven = ops.split(x, [1, 4], axis=0)
    assert [p.shape for p in uneven] == [(1, 2), (3, 2), (2, 2)]
    check_op_gradients(lambda v: ops.split(v, [1, 4])[1] * 2.0, [x])
    w = Variable(x)
    with GradientTape() as tape:
        a, b = ops.split(w, 2, axis=1)
        loss = ops.sum(a * 3.0) + ops.sum(b)
    np.testing.assert_allclose(np.asarray(tape.gradient(loss, w)),
                               np.tile([[3.0, 1.0]], (6, 1)))


def test_slice_update_differentiates_the_input_and_the_update():
    x, u = _f64(4, 5), _f64(2, 3)
    expected = x.copy()
    expected[1:3, 2:5] = u
    np.testing.assert_allclose(np.asarray(ops.slice_update(x, (1, 2), u)), expected)
    check_op_gradients(lambda a, b: ops.slice_update(a, (1, 2), b), [x, u])
    ops.slice_update(x, (0, 0), u)
    assert not np.allclose(x[:2, :3], u)  # the input is never written in place


def test_argsort_and_nonzero_are_int32_indices():
    x = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    np.testing.assert_array_equal(np.asarray(ops.argsort(x)), np.argsort(x))
    assert ops.argsort(x).dtype == np.int32
    rows, cols = ops.nonzero(x)
    np.testing.assert_array_equal(np.asarray(rows), [0, 0, 0, 1, 1])
    np.testing.assert_array_equal(np.asarray(cols), [0, 1, 2, 1, 2])
    assert cols.dtype == np.int32


def test_gathering_from_a_variable_accumulates_repeated_reads():
    w = Variable(np.array([1.0, 2.0, 3.0], np.float32))
    with GradientTape() as tape:
        y = ops.sum(ops.take(w, [0, 0, 2]) * ops.sort(w)[::-1])
    (grad,) = tape.gradient(y, [w])
    # [w0, w0, w2] . [w2, w1, w0] = 2*w0*w2 + w0*w1: d/dw = [2*w2 + w1, w0, 2*w0]
    np.testing.assert_allclose(np.asarray(grad), [8.0, 1.0, 2.0])
