"""Masks as in Keras: Embedding(mask_zero), Masking, and the layers that use or pass them."""

import numpy as np
import pytest

from engine import Input, Model, Sequential, layers, optimizers
from engine.errors import ShapeError
from tests.engine.gradcheck import check_layer_gradients

RNNS = [layers.SimpleRNN, layers.LSTM, layers.GRU]


class WithMask:
    """A layer whose forward always gets `mask`, so the gradient check runs the masked path."""

    def __init__(self, layer, mask):
        self.layer, self.mask = layer, mask

    def __getattr__(self, name):
        return getattr(self.layer, name)

    def forward(self, x, training=False):
        return self.layer.forward(x, training=training, mask=self.mask)

    def backward(self, grad):
        return self.layer.backward(grad)


def _mask(rng, batch=3, steps=6):
    mask = rng.random((batch, steps)) > 0.4
    mask[:, 0] = True  # every sample keeps a step
    return mask


# ----- mask makers -------------------------------------------------------------------------
def test_that_embedding_mask_zero_marks_the_nonzero_indices():
    ids = np.array([[5, 3, 0, 0], [1, 0, 2, 0]])
    layer = layers.Embedding(10, 4, mask_zero=True)
    np.testing.assert_array_equal(layer.compute_mask(ids), ids != 0)
    assert layers.Embedding(10, 4).compute_mask(ids) is None


def test_that_masking_zeroes_the_steps_whose_features_all_equal_mask_value(rng):
    # Keras's docstring example: steps 3 and 5 are padding.
    x = rng.random((4, 10, 8)).astype("float32")
    x[:, 3, :] = 0.0
    x[:, 5, :] = 0.0
    x[0, 7, 0] = 0.0  # one zero feature does not mask a step
    layer = layers.Masking(mask_value=0.0)
    expected = np.ones((4, 10), bool)
    expected[:, [3, 5]] = False
    np.testing.assert_array_equal(layer.compute_mask(x), expected)
    np.testing.assert_array_equal(layer(x), x)


def test_that_masking_with_another_value_sets_the_masked_steps_to_zero(rng):
    x = rng.random((2, 4, 3))
    x[1, 2, :] = -1.0
    y = np.asarray(layers.Masking(mask_value=-1.0)(x))
    assert (y[1, 2] == 0).all()
    np.testing.assert_array_equal(np.delete(y[1], 2, axis=0), np.delete(x[1], 2, axis=0))


def test_that_masking_gradients_pass_only_the_kept_steps(rng):
    # Central differences cannot probe a masked step (any nudge unmasks it), so the kept
    # steps are checked numerically and the masked ones get exactly zero.
    check_layer_gradients(layers.Masking(), rng.standard_normal((2, 5, 3)))
    layer = layers.Masking()
    x = rng.standard_normal((2, 5, 3))
    x[0, 1, :] = 0.0
    layer.forward(x)
    grad = layer.backward(np.ones_like(x))
    assert (grad[0, 1] == 0).all() and (np.delete(grad[0], 1, axis=0) == 1).all()


# ----- RNNs --------------------------------------------------------------------------------
def _kept_run(cls, layer, x, mask, **kwargs):
    """The Keras semantics, written out: the same RNN run on each sample's kept steps only."""
    twin = cls(layer.units, **kwargs)
    twin.build(tuple(x.shape[1:]))
    twin.set_weights(layer.get_weights())
    return np.stack([np.asarray(twin(x[i:i + 1, mask[i]]))[0] for i in range(len(x))])


@pytest.mark.parametrize("cls", RNNS)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_that_a_masked_rnn_ends_in_the_state_of_its_kept_steps(cls, go_backwards, rng):
    x = rng.standard_normal((3, 6, 4))
    mask = _mask(rng)
    layer = cls(5, go_backwards=go_backwards)
    got = np.asarray(layer(x, mask=mask))
    np.testing.assert_allclose(got, _kept_run(cls, layer, x, mask, go_backwards=go_backwards),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", RNNS)
def test_that_masked_steps_repeat_the_previous_output(cls, rng):
    x = rng.standard_normal((3, 6, 4))
    mask = _mask(rng)
    seq = np.asarray(cls(5, return_sequences=True)(x, mask=mask))
    for b, t in zip(*np.nonzero(~mask)):
        np.testing.assert_array_equal(seq[b, t], seq[b, t - 1])


@pytest.mark.parametrize("cls", RNNS)
def test_that_zero_output_for_mask_outputs_zeros_at_masked_steps(cls, rng):
    x = rng.standard_normal((3, 6, 4))
    mask = _mask(rng)
    seq = np.asarray(cls(5, return_sequences=True, zero_output_for_mask=True)(x, mask=mask))
    assert (seq[~mask] == 0).all() and (seq[mask] != 0).any()


@pytest.mark.parametrize("cls", RNNS)
@pytest.mark.parametrize("return_sequences, go_backwards, zero_output", [
    (False, False, False), (True, False, False), (True, True, False), (False, True, False),
    (True, False, True),
])
def test_that_masked_rnn_gradients_match_numerical_ones(cls, return_sequences, go_backwards,
                                                        zero_output, rng):
    x = rng.standard_normal((3, 6, 4))
    layer = cls(3, return_sequences=return_sequences, go_backwards=go_backwards,
                zero_output_for_mask=zero_output)
    check_layer_gradients(WithMask(layer, _mask(rng)), x)


def test_that_gru_without_reset_after_gradients_match_with_a_mask(rng):
    layer = layers.GRU(3, reset_after=False, return_sequences=True)
    check_layer_gradients(WithMask(layer, _mask(rng)), rng.standard_normal((3, 6, 4)))


def test_that_a_mask_of_the_wrong_shape_names_the_layer(rng):
    with pytest.raises(ShapeError, match=r"'lstm_x' \(LSTM\) expects a mask of shape .*"
                                         r"\(batch, timesteps\) = \(3, 6\).*received.*\(3, 5\)"):
        layers.LSTM(2, name="lstm_x")(rng.random((3, 6, 4)), mask=np.ones((3, 5), bool))


# ----- global pooling ----------------------------------------------------------------------
def test_that_global_average_pooling_leaves_masked_steps_out(rng):
    x = rng.standard_normal((3, 6, 4))
    mask = _mask(rng)
    got = np.asarray(layers.GlobalAveragePooling1D()(x, mask=mask))
    expected = np.stack([x[i, mask[i]].mean(axis=0) for i in range(3)])
    np.testing.assert_allclose(got, expected, rtol=1e-6)


@pytest.mark.parametrize("keepdims", [False, True])
def test_that_masked_global_average_pooling_gradients_match(keepdims, rng):
    layer = layers.GlobalAveragePooling1D(keepdims=keepdims)
    check_layer_gradients(WithMask(layer, _mask(rng)), rng.standard_normal((3, 6, 4)))


# ----- propagation through models ----------------------------------------------------------
def _padded_ids(rng, lengths=(5, 2, 4), steps=7, vocab=20):
    ids = np.zeros((len(lengths), steps), "int64")
    for i, n in enumerate(lengths):
        ids[i, :n] = rng.integers(1, vocab, n)
    return ids, lengths


@pytest.mark.parametrize("cls", RNNS)
def test_that_a_sequential_model_ignores_padding_through_its_mask(cls, rng):
    model = Sequential([Input((None,)), layers.Embedding(20, 6, mask_zero=True),
                        layers.Dense(6, activation="relu"), cls(4)])
    ids, lengths = _padded_ids(rng)
    padded = model.predict(ids)
    for i, n in enumerate(lengths):
        np.testing.assert_allclose(padded[i], model.predict(ids[i:i + 1, :n])[0], rtol=1e-5,
                                   atol=1e-6)


def test_that_masks_reach_pooling_after_a_sequence_rnn_and_end_there(rng):
    inputs = Input((None,))
    x = layers.Embedding(20, 6, mask_zero=True)(inputs)
    x = layers.GRU(4, return_sequences=True)(x)
    x = layers.GlobalAveragePooling1D()(x)
    model = Model(inputs, layers.Dense(2)(x))
    assert model.graph.validate() == []
    ids, lengths = _padded_ids(rng)
    padded = model.predict(ids)
    for i, n in enumerate(lengths):
        np.testing.assert_allclose(padded[i], model.predict(ids[i:i + 1, :n])[0], rtol=1e-5,
                                   atol=1e-6)


def test_that_masking_layer_feeds_its_mask_to_an_lstm(rng):
    x = rng.random((3, 6, 2)).astype("float32")
    x[0, 4:] = 0.0
    lstm = layers.LSTM(3)
    model = Sequential([Input((6, 2)), layers.Masking(mask_value=0.0), lstm])
    np.testing.assert_allclose(model.predict(x)[0], np.asarray(lstm(x[:1, :4]))[0], rtol=1e-5)


def test_that_a_mask_ending_in_a_layer_that_drops_it_is_a_warning():
    model_graph = Sequential([Input((None,)), layers.Embedding(20, 6, mask_zero=True),
                              layers.Conv1D(4, 3, name="conv"), layers.LSTM(2)]).graph
    problems = model_graph.validate()
    assert [(p.node, p.severity) for p in problems] == [("conv", "warning")]
    assert "does not support masking" in problems[0].message


def test_that_training_through_a_mask_lowers_the_loss(rng):
    ids, _ = _padded_ids(rng, lengths=(5, 2, 4, 6, 3, 1), steps=6)
    y = (ids > 10).sum(axis=1, keepdims=True).astype("float32")
    model = Sequential([Input((None,)), layers.Embedding(20, 8, mask_zero=True),
                        layers.LSTM(8), layers.Dense(1)])
    model.compile(optimizers.Adam(learning_rate=0.05), "mse")
    history = model.fit(ids, y, epochs=40, batch_size=6, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


def test_that_eager_calls_carry_the_mask_to_the_next_layer(rng):
    ids, _ = _padded_ids(rng)
    embedding = layers.Embedding(20, 6, mask_zero=True)
    lstm = layers.LSTM(3)
    embedded = embedding(ids)
    np.testing.assert_array_equal(embedded._keras_mask, ids != 0)
    np.testing.assert_allclose(lstm(embedded), lstm(np.asarray(embedded),
                                                    mask=embedding.compute_mask(ids)))


def test_that_masking_round_trips_its_config():
    layer = layers.Masking(mask_value=-1.0, name="pad")
    config = layer.get_config()
    assert config == {"name": "pad", "trainable": True, "mask_value": -1.0}
    assert layers.Masking.from_config(config).get_config() == config
    assert layers.Embedding(5, 2, mask_zero=True).get_config()["mask_zero"] is True


def test_that_dropout_and_normalization_pass_a_mask_on_to_the_rnn(rng):
    """Embedding -> Dropout -> LayerNormalization -> LSTM: Keras keeps the mask through both,
    so trailing padding changes nothing."""

    inputs = Input((None,))
    x = layers.Embedding(20, 4, mask_zero=True)(inputs)
    x = layers.Dropout(0.2)(x)
    x = layers.LayerNormalization()(x)
    model = Model(inputs, layers.LSTM(3)(x))
    assert model.graph.validate() == []
    padded = model.predict(np.array([[3, 5, 0, 0, 0, 0]]), verbose=0)
    np.testing.assert_allclose(padded, model.predict(np.array([[3, 5]]), verbose=0),
                               rtol=1e-5)


# ----- attention -------------------------------------------------------------------------------
ATTENTION = [lambda: layers.MultiHeadAttention(num_heads=2, key_dim=3),
             lambda: layers.Attention(), lambda: layers.AdditiveAttention()]


@pytest.mark.parametrize("make", ATTENTION, ids=["mha", "attention", "additive"])
def test_that_sequence_masks_reach_attention_and_go_on_with_the_query(make):
    """Embedding(mask_zero) -> self-attention -> pooling: trailing padding changes nothing."""
    inputs = Input((None,))
    x = layers.Embedding(20, 6, mask_zero=True)(inputs)
    attention = make()
    x = attention(x, x) if isinstance(attention, layers.MultiHeadAttention) else attention([x, x])
    model = Model(inputs, layers.GlobalAveragePooling1D()(x))
    assert model.graph.validate() == []
    padded = model.predict(np.array([[3, 5, 7, 0, 0]]), verbose=0)
    np.testing.assert_allclose(padded, model.predict(np.array([[3, 5, 7]]), verbose=0),
                               rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("make", ATTENTION, ids=["mha", "attention", "additive"])
def test_that_masked_attention_gradients_match_numerical_ones(make, rng):
    x = rng.standard_normal((3, 6, 4))
    mask = _mask(rng)
    check_layer_gradients(WithMask(make(), [mask, mask]), [x, x.copy()])
