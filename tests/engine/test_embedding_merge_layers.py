"""Embedding and the merge layers: golden values, gradients, shapes, config and errors."""

import numpy as np
import pytest

from engine.errors import DataError, ShapeError, SpecError
from engine.layers.embedding import Embedding
from engine.layers.merge import Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract
from tests.engine.gradcheck import check_layer_gradients

ELEMENTWISE = [Add, Subtract, Multiply, Average, Maximum, Minimum]
ALL_MERGE = ELEMENTWISE + [Concatenate]


# ----- Embedding: config and shapes ------------------------------------------------------------
def test_embedding_config_round_trips_with_palette_defaults():
    layer = Embedding()
    config = layer.get_config()
    assert [p.name for p in Embedding.PARAMS] == [
        k for k in config if k not in ("name", "trainable")]
    assert (config["input_dim"], config["output_dim"]) == (1000, 64)
    assert config["embeddings_initializer"] == "uniform"
    assert config["name"] == "embedding"
    assert Embedding.from_config(config).get_config() == config
    assert Embedding.CATEGORY == "Core"


@pytest.mark.parametrize("kwargs", [
    {"input_dim": 0}, {"output_dim": -4}, {"input_dim": 2.5}, {"output_dim": "64"},
    {"embeddings_initializer": "nope"}, {"embeddings_regularizer": "l3"}, {"mask_zero": "yes"},
])
def test_embedding_rejects_bad_arguments(kwargs):
    with pytest.raises(SpecError):
        Embedding(**kwargs)


@pytest.mark.parametrize("shape", [(), (7,), (3, 4)])
def test_embedding_output_shape_appends_output_dim(shape):
    assert Embedding(50, 8).compute_output_shape(shape) == shape + (8,)


def test_embedding_weight_and_param_count():
    layer = Embedding(20, 4)
    assert layer.count_params_for((10,)) == (80, 0)
    layer.build((10,))
    assert list(layer.params) == ["embeddings"]
    assert layer.params["embeddings"].shape == (20, 4)
    assert np.abs(layer.params["embeddings"]).max() <= 0.05  # Keras "uniform": +-0.05


# ----- Embedding: forward, backward, errors ---------------------------------------------------
def table(layer):
    """Fills the embeddings with 0, 1, 2... so each row is easy to recognise."""
    if not layer.built:
        layer.build((1,))
    layer.set_weights([np.arange(layer.input_dim * layer.output_dim, dtype=np.float32)
                       .reshape(layer.input_dim, layer.output_dim)])
    return layer


def test_embedding_looks_up_rows():
    layer = table(Embedding(5, 2))
    y = layer(np.array([[0, 4, 2], [1, 1, 3]]))
    expected = np.array([[[0, 1], [8, 9], [4, 5]], [[2, 3], [2, 3], [6, 7]]], dtype=np.float32)
    np.testing.assert_array_equal(y, expected)
    assert y.dtype == np.float32


def test_embedding_accepts_floats_holding_whole_numbers():
    layer = table(Embedding(5, 2))
    np.testing.assert_array_equal(layer(np.array([[3.0, 0.0]])), [[[6, 7], [0, 1]]])


def test_embedding_backward_scatter_adds_into_rows_and_returns_none():
    layer = Embedding(4, 2)
    layer.build((3,))
    layer.forward(np.array([[1, 3, 1], [1, 0, 0]]))
    grad = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
    assert layer.backward(grad) is None  # integer inputs receive no gradient
    # row 0 <- grad[1, 1] + grad[1, 2]; row 1 <- grad[0, 0] + grad[0, 2] + grad[1, 0]
    expected = np.array([[8 + 10, 9 + 11], [0 + 4 + 6, 1 + 5 + 7], [0, 0], [2, 3]],
                        dtype=np.float32)
    np.testing.assert_array_equal(layer.grads["embeddings"], expected)
    layer.forward(np.array([[2, 2, 2]]))
    layer.backward(np.ones((1, 3, 2), dtype=np.float32))  # overwrites, does not accumulate
    np.testing.assert_array_equal(layer.grads["embeddings"], [[0, 0], [0, 0], [3, 3], [0, 0]])


@pytest.mark.parametrize("shape", [(6,), (2, 5), (3, 2, 2)])
def test_embedding_weight_gradient(shape, rng):
    layer = Embedding(7, 3)
    indices = rng.integers(0, 7, shape)  # repeated indices are likely: checks the summing
    check_layer_gradients(layer, indices, check_inputs=False)


def test_that_an_index_beyond_input_dim_names_the_layer_the_index_and_the_fix():
    layer = Embedding(10, 3, name="words")
    with pytest.raises(DataError) as info:
        layer(np.array([[1, 12, 10], [0, 3, 2]]))
    message = str(info.value)
    assert "'words'" in message and "12" in message and "input_dim=10" in message
    assert "Raise input_dim to at least 13" in message


def test_that_a_negative_index_is_a_data_error():
    with pytest.raises(DataError, match="-1"):
        Embedding(10, 3)(np.array([[1, -1]]))


@pytest.mark.parametrize("x", [np.array([[0.5, 1.0]]), np.array([[np.nan, 1.0]]),
                               np.array([[True, False]])])
def test_that_non_integer_inputs_are_data_errors(x):
    with pytest.raises(DataError, match="integer indices"):
        Embedding(10, 3)(x)


# ----- merge layers: config and shapes ---------------------------------------------------------
@pytest.mark.parametrize("cls", ALL_MERGE)
def test_merge_layers_config_round_trips(cls):
    layer = cls()
    config = layer.get_config()
    assert [p.name for p in cls.PARAMS] == [k for k in config if k not in ("name", "trainable")]
    assert cls.from_config(config).get_config() == config
    assert cls.CATEGORY == "Merge" and cls.MIN_INPUTS == 2
    assert cls.MAX_INPUTS == (2 if cls is Subtract else None)
    assert layer.count_params_for([(4,), (4,)]) == (0, 0)


def test_default_names_are_keras_snake_case():
    assert [cls().name for cls in ALL_MERGE] == [
        "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate"]


@pytest.mark.parametrize("cls", ELEMENTWISE)
@pytest.mark.parametrize("shape", [(5,), (4, 4, 3)])
def test_elementwise_output_shape_is_the_common_shape(cls, shape):
    assert cls().compute_output_shape([shape, shape]) == shape


@pytest.mark.parametrize("shapes,expected", [
    ([(3,), (5,)], (8,)),
    ([(4, 4, 3), (4, 4, 5), (4, 4, 1)], (4, 4, 9)),
])
def test_concatenate_output_shape_adds_the_joined_axis(shapes, expected):
    assert Concatenate().compute_output_shape(shapes) == expected


def test_concatenate_on_another_axis():
    assert Concatenate(axis=1).compute_output_shape([(2, 3), (5, 3)]) == (7, 3)
    assert Concatenate(axis=-2).compute_output_shape([(2, 3), (5, 3)]) == (7, 3)


@pytest.mark.parametrize("cls", [Add, Multiply, Average, Maximum, Minimum])
def test_that_different_shapes_raise_a_shape_error_listing_every_input(cls):
    layer = cls()
    with pytest.raises(ShapeError) as info:
        layer.compute_output_shape([(32,), (64,), (32,)])
    message = str(info.value)
    assert message.startswith(
        f"Layer '{layer.name}' ({cls.__name__}) needs inputs of the same shape, but received "
        "(None, 32), (None, 64), (None, 32). Add a Dense(64)")


def test_that_different_ranks_suggest_reshaping():
    with pytest.raises(ShapeError, match=r"\(None, 4, 4, 3\), \(None, 48\)\. Reshape"):
        Add().compute_output_shape([(4, 4, 3), (48,)])


@pytest.mark.parametrize("shapes,pattern", [
    ([(4, 4, 3), (8, 8, 3)], r"every other axis must match.*\(None, 4, 4, 3\), \(None, 8, 8, 3\)"),
    ([(4, 3), (12,)], r"same rank.*\(None, 4, 3\), \(None, 12\)"),
])
def test_concatenate_shape_errors(shapes, pattern):
    with pytest.raises(ShapeError, match=pattern):
        Concatenate().compute_output_shape(shapes)


@pytest.mark.parametrize("axis", [3, -4])
def test_concatenate_axis_outside_the_inputs_is_a_shape_error(axis):
    with pytest.raises(ShapeError, match=f"axis={axis}"):
        Concatenate(axis=axis).compute_output_shape([(2, 3), (2, 3)])


@pytest.mark.parametrize("kwargs", [{"axis": 0}, {"axis": "x"}, {"axis": 1.5}, {"mode": "sum"}])
def test_concatenate_rejects_bad_arguments(kwargs):
    with pytest.raises(SpecError):
        Concatenate(**kwargs)


@pytest.mark.parametrize("cls", ALL_MERGE)
def test_that_a_single_input_is_refused(cls):
    with pytest.raises(ShapeError, match=r"2 inputs, but received 1: \(None, 4\)"):
        cls().compute_output_shape([(4,)])
    with pytest.raises(ShapeError, match="received 1"):
        cls().compute_output_shape((4,))


def test_that_subtract_takes_exactly_two_inputs():
    with pytest.raises(ShapeError, match="exactly 2 inputs, but received 3"):
        Subtract().compute_output_shape([(4,), (4,), (4,)])


def test_that_inputs_with_different_batch_sizes_are_refused(rng):
    with pytest.raises(ShapeError, match=r"batch sizes \[2, 3\]"):
        Add()([rng.standard_normal((2, 4)), rng.standard_normal((3, 4))])


# ----- merge layers: forward golden values ------------------------------------------------------
A = np.array([[1.0, -2.0, 3.0], [0.0, 5.0, -1.0]])
B = np.array([[4.0, -2.0, -3.0], [2.0, 1.0, 0.0]])
C = np.array([[-1.0, 0.0, 6.0], [2.0, 7.0, -4.0]])


@pytest.mark.parametrize("cls,inputs,expected", [
    (Add, [A, B, C], [[4.0, -4.0, 6.0], [4.0, 13.0, -5.0]]),
    (Subtract, [A, B], [[-3.0, 0.0, 6.0], [-2.0, 4.0, -1.0]]),
    (Multiply, [A, B, C], [[-4.0, -0.0, -54.0], [0.0, 35.0, 0.0]]),
    (Average, [A, B], [[2.5, -2.0, 0.0], [1.0, 3.0, -0.5]]),
    (Maximum, [A, B, C], [[4.0, 0.0, 6.0], [2.0, 7.0, 0.0]]),
    (Minimum, [A, B, C], [[-1.0, -2.0, -3.0], [0.0, 1.0, -4.0]]),
    (Concatenate, [A[:, :1], B], [[1.0, 4.0, -2.0, -3.0], [0.0, 2.0, 1.0, 0.0]]),
])
def test_merge_forward_golden_values(cls, inputs, expected):
    np.testing.assert_array_equal(cls()(inputs), np.array(expected))


def test_merge_layers_keep_float32(rng):
    xs = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(2)]
    for cls in ALL_MERGE:
        layer = cls()
        assert layer(xs).dtype == np.float32
        assert all(g.dtype == np.float32 for g in layer.backward(np.ones((2, 3), np.float32)))


def test_concatenate_images_on_channels(rng):
    a, b = rng.standard_normal((2, 3, 3, 2)), rng.standard_normal((2, 3, 3, 4))
    y = Concatenate()([a, b])
    assert y.shape == (2, 3, 3, 6)
    np.testing.assert_array_equal(y[..., :2], a)
    np.testing.assert_array_equal(y[..., 2:], b)


# ----- merge layers: backward ------------------------------------------------------------------
def test_that_maximum_routes_the_gradient_to_the_first_winner_on_ties():
    layer = Maximum()
    layer([np.array([[1.0, 5.0, 2.0]]), np.array([[3.0, 5.0, 2.0]]), np.array([[0.0, 1.0, 2.0]])])
    grads = layer.backward(np.array([[10.0, 20.0, 30.0]]))
    np.testing.assert_array_equal(grads[0], [[0.0, 20.0, 30.0]])
    np.testing.assert_array_equal(grads[1], [[10.0, 0.0, 0.0]])
    np.testing.assert_array_equal(grads[2], [[0.0, 0.0, 0.0]])


def test_that_minimum_routes_the_gradient_to_the_smallest_input():
    layer = Minimum()
    layer([np.array([[1.0, 5.0]]), np.array([[3.0, -5.0]])])
    grads = layer.backward(np.array([[10.0, 20.0]]))
    np.testing.assert_array_equal(grads[0], [[10.0, 0.0]])
    np.testing.assert_array_equal(grads[1], [[0.0, 20.0]])


def test_multiply_gradient_is_exact_with_zeros():
    layer = Multiply()
    layer([np.array([[0.0, 2.0]]), np.array([[3.0, 0.0]]), np.array([[4.0, 5.0]])])
    grads = layer.backward(np.ones((1, 2)))
    np.testing.assert_array_equal(grads[0], [[12.0, 0.0]])
    np.testing.assert_array_equal(grads[1], [[0.0, 10.0]])
    np.testing.assert_array_equal(grads[2], [[0.0, 0.0]])


def test_that_add_returns_one_separate_gradient_array_per_input():
    layer = Add()
    layer([A, B, C])
    grads = layer.backward(np.ones_like(A))
    assert len(grads) == 3
    assert len({id(g) for g in grads}) == 3
    assert not np.shares_memory(grads[1], grads[2])


@pytest.mark.parametrize("cls", ELEMENTWISE)
@pytest.mark.parametrize("count,shape", [(2, (3, 4)), (3, (2, 2, 3))])
def test_elementwise_merge_gradients(cls, count, shape, rng):
    if cls is Subtract and count != 2:
        count = 2
    inputs = [rng.standard_normal(shape) for _ in range(count)]
    check_layer_gradients(cls(), inputs)


@pytest.mark.parametrize("axis,shapes", [
    (-1, [(2, 3), (2, 1), (2, 2)]),
    (1, [(2, 2, 3), (2, 4, 3)]),
    (-1, [(2, 2, 2, 1), (2, 2, 2, 3)]),
])
def test_concatenate_gradients(axis, shapes, rng):
    check_layer_gradients(Concatenate(axis=axis), [rng.standard_normal(s) for s in shapes])
