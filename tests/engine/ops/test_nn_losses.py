"""Cross-entropy ops and encodings: Keras's values, stability, VJPs, loss-class parity."""

import numpy as np
import pytest

from engine import losses
from engine.errors import ShapeError
from engine.ops import nn_losses as nn

from .op_gradcheck import check_op_gradients

R = np.random.default_rng(17)


def _probs(shape, axis=-1):
    e = np.exp(R.standard_normal(shape))
    return e / e.sum(axis=axis, keepdims=True)


def test_binary_crossentropy_values():
    t = np.array([[0.0, 1.0], [1.0, 0.0]])
    p = np.array([[0.1, 0.8], [0.7, 0.2]])
    expected = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(nn.binary_crossentropy(t, p).numpy(), expected)
    z = np.log(p / (1 - p))
    np.testing.assert_allclose(nn.binary_crossentropy(t, z, from_logits=True).numpy(),
                               expected, rtol=1e-12)
    # clipped probabilities; logits stay exact far past where sigmoid saturates
    assert np.isfinite(nn.binary_crossentropy(np.array([1.0]), np.array([0.0])).numpy()).all()
    big = nn.binary_crossentropy(np.array([1.0]), np.array([-50.0]), from_logits=True)
    np.testing.assert_allclose(big.numpy(), [50.0])


def test_binary_crossentropy_vjps():
    t, p = R.uniform(0, 1, (3, 4)), R.uniform(0.05, 0.95, (3, 4))
    check_op_gradients(nn.binary_crossentropy, [t, p])
    check_op_gradients(lambda a, b: nn.binary_crossentropy(a, b, from_logits=True),
                       [t, R.standard_normal((3, 4))])


def test_clipped_probabilities_pass_no_gradient():
    check_op_gradients(nn.binary_crossentropy, [np.array([1.0, 0.0]), np.array([1.2, -0.3])],
                       wrt=[1])


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_categorical_crossentropy(from_logits, axis):
    t = _probs((3, 4, 5), axis)
    o = R.standard_normal((3, 4, 5)) if from_logits else R.uniform(0.1, 1.0, (3, 4, 5))
    got = nn.categorical_crossentropy(t, o, from_logits=from_logits, axis=axis).numpy()
    if from_logits:
        log_p = o - np.log(np.exp(o).sum(axis=axis, keepdims=True))
    else:
        log_p = np.log(o / o.sum(axis=axis, keepdims=True))
    np.testing.assert_allclose(got, -(t * log_p).sum(axis=axis), rtol=1e-12)
    check_op_gradients(
        lambda a, b: nn.categorical_crossentropy(a, b, from_logits=from_logits, axis=axis),
        [t, o])


@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_categorical_crossentropy(from_logits, axis=-1):
    labels = np.array([[0, 3], [2, 1]])
    o = R.standard_normal((2, 2, 4)) if from_logits else R.uniform(0.1, 1.0, (2, 2, 4))
    dense = nn.categorical_crossentropy(np.eye(4)[labels], o, from_logits=from_logits)
    got = nn.sparse_categorical_crossentropy(labels, o, from_logits=from_logits)
    np.testing.assert_allclose(got.numpy(), dense.numpy(), rtol=1e-12)
    np.testing.assert_allclose(
        nn.sparse_categorical_crossentropy(labels[..., None], o, from_logits).numpy(),
        got.numpy())
    check_op_gradients(
        lambda b: nn.sparse_categorical_crossentropy(labels, b, from_logits=from_logits), [o])


def test_sparse_over_another_axis_and_shape_errors():
    labels = np.array([1, 0, 2])
    o = R.standard_normal((4, 3))  # classes on axis 0
    got = nn.sparse_categorical_crossentropy(labels, o, from_logits=True, axis=0).numpy()
    ref = nn.sparse_categorical_crossentropy(labels, o.T, from_logits=True).numpy()
    np.testing.assert_allclose(got, ref)
    with pytest.raises(ShapeError, match="same shape"):
        nn.sparse_categorical_crossentropy(np.array([1, 2]), o)
    with pytest.raises(ShapeError, match="same shape"):
        nn.categorical_crossentropy(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError):
        nn.binary_crossentropy(np.ones(3), np.ones(4))


def test_ops_and_loss_classes_compute_the_same():
    labels = np.array([0, 2, 1, 2])
    logits = R.standard_normal((4, 3)).astype(np.float32)
    probs = _probs((4, 3)).astype(np.float32)
    t = np.eye(3, dtype=np.float32)[labels]
    for from_logits, out in ((False, probs), (True, logits)):
        loss = losses.SparseCategoricalCrossentropy(from_logits=from_logits,
                                                    reduction="none")
        np.testing.assert_allclose(
            nn.sparse_categorical_crossentropy(labels, out, from_logits).numpy(),
            np.asarray(loss(labels, out)), rtol=1e-6)
        loss = losses.CategoricalCrossentropy(from_logits=from_logits, reduction="none")
        np.testing.assert_allclose(nn.categorical_crossentropy(t, out, from_logits).numpy(),
                                   np.asarray(loss(t, out)), rtol=1e-6)
        loss = losses.BinaryCrossentropy(from_logits=from_logits, reduction="none")
        np.testing.assert_allclose(
            nn.binary_crossentropy(t, out, from_logits).numpy().mean(axis=-1),
            np.asarray(loss(t, out)), rtol=1e-6)
    assert nn.categorical_crossentropy(t, probs).dtype == np.float32


def test_one_hot_and_multi_hot():
    y = nn.one_hot(np.array([1, 3, -1]), 4)
    np.testing.assert_array_equal(y.numpy(), [[0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 0, 0]])
    assert y.dtype == np.float32
    assert nn.one_hot(np.array([[0, 1]]), 3, axis=0).shape == (3, 1, 2)
    assert nn.one_hot([1], 2, dtype="int32").dtype == np.int32
    np.testing.assert_array_equal(nn.multi_hot(np.array([0, 4]), num_classes=5).numpy(),
                                  [1, 0, 0, 0, 1])
    np.testing.assert_array_equal(nn.multi_hot(np.array([[0, 1], [2, 2]]), num_tokens=3).numpy(),
                                  [[1, 1, 0], [0, 0, 1]])
    with pytest.raises(ValueError, match="num_classes"):
        nn.multi_hot(np.array([1]))
    with pytest.raises(ValueError, match="sparse"):
        nn.one_hot(np.array([1]), 2, sparse=True)
