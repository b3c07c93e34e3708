"""Creation and conversion ops: Keras's default dtypes, cast, convert_to_tensor,
stop_gradient, shape queries, meshgrid."""

import numpy as np
import pytest

from engine import ops
from engine.ops.core import Tensor
from engine.ops.tape import GradientTape
from engine.variables import Variable

from .op_gradcheck import check_op_gradients


def test_filled_tensors_default_to_floatx():
    for t in (ops.zeros((2, 3)), ops.ones([2]), ops.full((2,), 7), ops.eye(3),
              ops.identity(2), ops.tri(3)):
        assert isinstance(t, Tensor) and t.dtype == np.float32 and t.node is None
    assert ops.zeros(3, dtype="int32").dtype == np.int32
    np.testing.assert_array_equal(np.asarray(ops.eye(3, 4, k=1)), np.eye(3, 4, k=1))
    np.testing.assert_array_equal(np.asarray(ops.full((2, 2), 7)), np.full((2, 2), 7.0))
    np.testing.assert_array_equal(np.asarray(ops.tri(3, k=-1)), np.tri(3, k=-1))


def test_like_ops_keep_the_input_dtype_unless_told():
    x = np.ones((2, 3), np.int32)
    assert ops.zeros_like(x).dtype == np.int32 and ops.zeros_like(x).shape == (2, 3)
    assert ops.ones_like(x, dtype="float16").dtype == np.float16
    np.testing.assert_array_equal(np.asarray(ops.full_like(x, 4)), np.full((2, 3), 4))


def test_arange_and_linspace_dtypes_follow_keras():
    assert ops.arange(5).dtype == np.int32
    np.testing.assert_array_equal(np.asarray(ops.arange(2, 10, 3)), [2, 5, 8])
    assert ops.arange(0, 1, 0.25).dtype == np.float32
    assert ops.arange(3, dtype="float64").dtype == np.float64
    np.testing.assert_allclose(np.asarray(ops.linspace(0, 1, 5)), np.linspace(0, 1, 5))
    assert ops.linspace(0, 1, 5).dtype == np.float32
    values, step = ops.linspace(0.0, 2.0, 5, retstep=True)
    assert float(step) == 0.5 and values.shape == (5,)
    np.testing.assert_allclose(np.asarray(ops.linspace([0, 1], [1, 3], 3, axis=1)),
                               np.linspace([0, 1], [1, 3], 3, axis=1))


def test_python_values_get_keras_default_dtypes():
    assert ops.convert_to_tensor([1.0, 2.0]).dtype == np.float32
    assert ops.convert_to_tensor([1, 2]).dtype == np.int32
    assert ops.convert_to_tensor([True]).dtype == bool
    assert ops.convert_to_tensor(np.ones(2)).dtype == np.float64  # arrays keep theirs
    assert ops.convert_to_tensor([1, 2], dtype="float16").dtype == np.float16
    t = Tensor(np.ones(2))
    assert ops.convert_to_tensor(t) is t
    out = ops.convert_to_numpy(t)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64


def test_cast_passes_float_gradients_and_cuts_integer_ones():
    check_op_gradients(lambda v: ops.cast(v, "float64") * 2.0, [np.array([1.0, -2.0])])
    w = Variable(np.array([1.5, 2.5], np.float32))
    with GradientTape() as tape:
        y = ops.sum(ops.cast(w, "float64") * 3.0) + ops.sum(ops.cast(w, "int32"))
    (grad,) = tape.gradient(y, [w])
    assert grad.dtype == np.float32
    np.testing.assert_allclose(np.asarray(grad), [3.0, 3.0])
    assert Tensor(np.ones(2)).astype("int32").dtype == np.int32
    with pytest.raises(TypeError, match="bfloat16"):
        ops.cast(np.ones(2), "bfloat16")


def test_convert_to_tensor_of_a_variable_stays_differentiable():
    w = Variable(np.array([1.0, 2.0], np.float32))
    with GradientTape() as tape:
        y = ops.sum(ops.square(ops.convert_to_tensor(w)))
    np.testing.assert_allclose(np.asarray(tape.gradient(y, w)), [2.0, 4.0])


def test_stop_gradient_cuts_the_tape():
    w = Variable(np.array([1.0, 2.0], np.float32))
    with GradientTape() as tape:
        y = ops.sum(w * ops.stop_gradient(w))
        stopped = ops.stop_gradient(w)
    assert stopped.node is None
    np.testing.assert_allclose(np.asarray(tape.gradient(y, w)), [1.0, 2.0])


def test_shape_size_ndim_are_python_values():
    x = np.zeros((2, 3, 4))
    assert ops.shape(x) == (2, 3, 4) and isinstance(ops.shape(x), tuple)
    assert ops.shape(Variable(np.zeros((5,)))) == (5,)
    assert ops.size(x) == 24 and ops.ndim(x) == 3


@pytest.mark.parametrize("indexing", ["xy", "ij"])
def test_meshgrid_matches_numpy_and_differentiates(indexing):
    a, b, c = np.arange(3.0), np.arange(4.0) + 1, np.arange(2.0) - 1
    for got, want in zip(ops.meshgrid(a, b, c, indexing=indexing),
                         np.meshgrid(a, b, c, indexing=indexing)):
        np.testing.assert_array_equal(np.asarray(got), want)
    check_op_gradients(lambda u, v: ops.meshgrid(u, v, indexing=indexing)[0] *
                       ops.meshgrid(u, v, indexing=indexing)[1], [a, b])
