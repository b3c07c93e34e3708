"""engine.random: Keras's seeding rules, distributions, and a differentiable dropout."""

import numpy as np
import pytest

from engine import backend
from engine import random as rnd
from engine.ops.core import Tensor
from engine.ops.tape import GradientTape
from tests.engine.ops.op_gradcheck import check_op_gradients


def test_an_int_seed_is_stateless_and_matches_kerass_numpy_backend():
    a = rnd.normal((2, 3), seed=42)
    b = rnd.normal((2, 3), seed=42)
    assert isinstance(a, Tensor) and a.dtype == np.float32 and a.shape == (2, 3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    # keras.src.backend.numpy.random.normal: default_rng(uint32 [seed, 0]).normal(...)
    expected = np.random.default_rng(np.array([42, 0], np.uint32)).normal(size=(2, 3))
    np.testing.assert_array_equal(a.numpy(), expected.astype(np.float32))
    assert not np.array_equal(rnd.normal((2, 3), seed=43).numpy(), a.numpy())


def test_seed_generators_advance_and_repeat():
    g1, g2 = rnd.SeedGenerator(7), rnd.SeedGenerator(7)
    first, second = rnd.uniform((4,), seed=g1), rnd.uniform((4,), seed=g1)
    assert not np.array_equal(first.numpy(), second.numpy())
    np.testing.assert_array_equal(rnd.uniform((4,), seed=g2).numpy(), first.numpy())
    np.testing.assert_array_equal(rnd.uniform((4,), seed=g2).numpy(), second.numpy())
    assert g1.state.numpy().tolist() == [7, 2]
    assert list(g1.next()) == [7, 2] and g1.state.numpy().tolist() == [7, 3]
    assert g1.get_config() == {"seed": 7, "name": "seed_generator"}
    assert rnd.SeedGenerator.from_config(g1.get_config()).state.numpy().tolist() == [7, 0]
    assert not g1.state.trainable
    with pytest.raises(ValueError, match="integer"):
        rnd.SeedGenerator(1.5)
    with pytest.raises(ValueError, match="seed"):
        rnd.normal((2,), seed="x")


def test_seed_none_draws_from_the_engines_generator():
    backend.set_seed(3)
    a = rnd.normal((3,)).numpy()
    gen_a = rnd.SeedGenerator().state.numpy()
    backend.set_seed(3)
    np.testing.assert_array_equal(rnd.normal((3,)).numpy(), a)
    np.testing.assert_array_equal(rnd.SeedGenerator().state.numpy(), gen_a)
    assert not np.array_equal(rnd.normal((3,)).numpy(), a)


def test_distributions():
    u = rnd.uniform((2000,), minval=2.0, maxval=3.0, seed=1).numpy()
    assert u.min() >= 2.0 and u.max() < 3.0
    n = rnd.normal((4000,), mean=1.0, stddev=2.0, dtype="float64", seed=1).numpy()
    assert n.dtype == np.float64 and abs(n.mean() - 1.0) < 0.15 and abs(n.std() - 2.0) < 0.15
    t = rnd.truncated_normal((3000,), mean=0.0, stddev=1.0, seed=2).numpy()
    assert t.shape == (3000,) and np.abs(t).max() <= 2.0
    r = rnd.randint((1000,), 0, 5, seed=3)
    assert r.dtype == np.int32 and set(np.unique(r.numpy())) == {0, 1, 2, 3, 4}
    with pytest.raises(ValueError, match="float"):
        rnd.normal((2,), dtype="int32")
    assert rnd.gamma((5,), 2.0, seed=1).shape == (5,)
    assert rnd.beta((5,), 2.0, 3.0, seed=1).numpy().max() <= 1.0
    assert rnd.binomial((5,), 10, 0.5, seed=1).numpy().max() <= 10


def test_categorical_follows_the_softmax():
    logits = np.log(np.array([[0.1, 0.6, 0.3], [1.0, 1e-9, 1e-9]]))
    s = rnd.categorical(logits, 3000, seed=5)
    assert s.shape == (2, 3000) and s.dtype == np.int64
    freq = np.bincount(s.numpy()[0], minlength=3) / 3000
    np.testing.assert_allclose(freq, [0.1, 0.6, 0.3], atol=0.03)
    assert (s.numpy()[1] == 0).all()
    np.testing.assert_array_equal(rnd.categorical(logits, 5, seed=5).numpy(),
                                  rnd.categorical(logits, 5, seed=5).numpy())


def test_dropout_values_and_gradient_use_one_mask():
    x = Tensor(np.ones((50, 40), np.float32))
    with GradientTape() as tape:
        tape.watch(x)
        y = rnd.dropout(x, 0.25, seed=9)
    values = y.numpy()
    assert set(np.unique(values)).issubset({0.0, np.float32(1 / 0.75)})
    assert abs((values == 0).mean() - 0.25) < 0.03
    np.testing.assert_array_equal(np.asarray(tape.gradient(y, x)), values)
    check_op_gradients(lambda a: rnd.dropout(a, 0.5, seed=4),
                       [np.random.default_rng(0).standard_normal((4, 5))])


def test_dropout_noise_shape_and_edge_rates():
    x = np.ones((6, 8), np.float32)
    y = rnd.dropout(x, 0.5, noise_shape=(None, 1), seed=2).numpy()
    assert all(len(set(row)) == 1 for row in y)  # one draw per row
    assert (rnd.dropout(x, 1.0).numpy() == 0).all()
    np.testing.assert_array_equal(rnd.dropout(x, 0.0).numpy(), x)
    with pytest.raises(ValueError, match="rate"):
        rnd.dropout(x, 1.5)


def test_shuffle_moves_whole_slices_and_differentiates():
    x = np.arange(12.0).reshape(4, 3)
    s = rnd.shuffle(x, seed=1).numpy()
    assert sorted(map(tuple, s)) == sorted(map(tuple, x))
    t = rnd.shuffle(x, axis=1, seed=1).numpy()
    assert sorted(map(tuple, t.T)) == sorted(map(tuple, x.T))
    np.testing.assert_array_equal(rnd.shuffle(x, seed=1).numpy(), s)
    check_op_gradients(lambda a: rnd.shuffle(a, seed=3), [np.random.default_rng(1).random((5, 2))])
