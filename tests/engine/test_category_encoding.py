"""CategoryEncoding: the Keras docstring examples, shapes, a direct-loop reference, errors."""

import json

import numpy as np
import pytest

import engine
from engine import layers, registry
from engine.errors import DataError, ShapeError, SpecError
from engine.layers.category_encoding import CategoryEncoding


def test_that_category_encoding_is_registered_with_a_round_tripping_config():
    layer = CategoryEncoding(num_tokens=5, output_mode="count")
    config = layer.get_config()
    assert json.loads(json.dumps(config)) == config
    assert CategoryEncoding.from_config(config).get_config() == config
    assert registry.get_class("layer", "CategoryEncoding") is CategoryEncoding
    assert CategoryEncoding(output_mode="binary").output_mode == "multi_hot"  # Keras alias


def test_that_keras_docstring_examples_come_out():
    one_hot = CategoryEncoding(num_tokens=4, output_mode="one_hot")
    np.testing.assert_array_equal(one_hot([3, 2, 0, 1]), np.eye(4)[[3, 2, 0, 1]])
    multi_hot = CategoryEncoding(num_tokens=4, output_mode="multi_hot")
    np.testing.assert_array_equal(multi_hot([[0, 1], [0, 0], [1, 2], [3, 1]]),
                                  [[1, 1, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0], [0, 1, 0, 1]])
    count = CategoryEncoding(num_tokens=4, output_mode="count")
    weights = np.array([[.1, .2], [.1, .1], [.2, .3], [.4, .2]])
    np.testing.assert_allclose(count([[0, 1], [0, 0], [1, 2], [3, 1]], count_weights=weights),
                               [[.1, .2, 0, 0], [.2, 0, 0, 0], [0, .2, .3, 0], [0, .2, 0, .4]],
                               rtol=1e-6)


def test_that_counts_match_a_direct_loop(rng):
    ids = rng.integers(0, 6, (9, 5))
    expected = np.zeros((9, 6), dtype="float32")
    for row, sample in enumerate(ids):
        for token in sample:
            expected[row, token] += 1
    out = CategoryEncoding(num_tokens=6, output_mode="count")(ids.astype("float32"))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(CategoryEncoding(6)(ids), np.minimum(expected, 1))


@pytest.mark.parametrize("mode,shape,expected", [
    ("one_hot", (1,), (7,)), ("one_hot", (3,), (3, 7)), ("multi_hot", (3,), (7,)),
    ("count", (3,), (7,)), ("one_hot", (), (7,)),
])
def test_that_output_shapes_follow_keras(mode, shape, expected):
    assert CategoryEncoding(7, mode).compute_output_shape(shape) == expected


def test_that_a_model_encodes_float_ids_fed_by_the_engine():
    model = engine.Sequential([engine.Input((2,)), layers.CategoryEncoding(3, "multi_hot"),
                               layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.array([[0, 2], [1, 1]], dtype="float32")
    model.fit(x, np.ones((2, 1), dtype="float32"), epochs=1, verbose=0)
    assert model.layers[-2].compute_output_shape((2,)) == (3,)


def test_that_bad_ids_and_arguments_say_what_to_fix():
    with pytest.raises(DataError, match="Raise num_tokens to at least 5"):
        CategoryEncoding(4)([[0, 4]])
    with pytest.raises(DataError, match="not whole numbers"):
        CategoryEncoding(4)(np.array([[0.5, 1.0]]))
    with pytest.raises(ShapeError, match=r"\(n,\)"):
        CategoryEncoding(4).compute_output_shape((2, 3))
    with pytest.raises(SpecError, match="count_weights"):
        CategoryEncoding(4, "multi_hot")([[0]], count_weights=[[1.0]])
    with pytest.raises(SpecError, match="sparse"):
        CategoryEncoding(4, sparse=True)
    with pytest.raises(SpecError, match="num_tokens"):
        CategoryEncoding(0)
