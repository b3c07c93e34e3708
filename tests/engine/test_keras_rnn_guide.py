"""The Keras guides "Understanding masking & padding" (keras-io
guides/understanding_masking_and_padding.py) and "Working with RNNs" (guides/working_with_rnns.py),
run on the engine.

Each test is one section with the guide's code as written, except the imports
(`tensorflow`/`keras` become the lines below), TensorFlow array calls replaced by their NumPy
twins (`tf.tile`/`tf.expand_dims`/`tf.cast` -> `np.tile`/`np.expand_dims`/`astype`,
`tf.argmax` -> `np.argmax`, `tf.keras.preprocessing` -> `keras.preprocessing`), and data
shrunk (random MNIST-shaped arrays instead of the download). The asserts check what the text
says.

Left out, with the reason:
- Masking guide: `MyLayer`, `TemporalSplit`, `CustomEmbedding`, `MyActivation` and
  `TemporalSoftmax` subclass `keras.layers.Layer` with their own `call()`; the engine has no
  subclassed layers yet. The body of `MyLayer.call` runs below as plain code.
- RNN guide: cross-batch statefulness (`stateful=True`,
  `reset_states`, `layer.states`), `keras.layers.RNN(LSTMCell(...))` and the nested custom
  cell (no RNN wrapper or cell layers), and `matplotlib`/`tf.device`.
- RNN guide, Bidirectional: its section is
  run as written (Bidirectional is in the engine now).
- RNN guide, the encoder-decoder (`return_state=True`, `initial_state=`): run as written, then
  fit one step on random token ids (the guide only builds it).
"""

import numpy as np
import pytest

import engine as keras
from engine import layers


# ===== Understanding masking & padding ======================================================
def _padded_inputs():
    raw_inputs = [
        [711, 632, 71],
        [73, 8, 3215, 55, 927],
        [83, 91, 1, 645, 1253, 927],
    ]
    # By default, this will pad using 0s; it is configurable via the
    # "value" parameter.
    padded_inputs = keras.preprocessing.sequence.pad_sequences(raw_inputs, padding="post")
    return padded_inputs


EXPECTED_MASK = np.array([[True, True, True, False, False, False],
                          [True, True, True, True, True, False],
                          [True, True, True, True, True, True]])


def test_mask_generating_layers_embedding_and_masking():
    padded_inputs = _padded_inputs()

    embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
    masked_output = embedding(padded_inputs)

    print(masked_output._keras_mask)
    np.testing.assert_array_equal(masked_output._keras_mask, EXPECTED_MASK)

    masking_layer = layers.Masking()
    # Simulate the embedding lookup by expanding the 2D input to 3D,
    # with embedding dimension of 10.
    unmasked_embedding = np.tile(np.expand_dims(padded_inputs, axis=-1), [1, 1, 10]).astype(
        np.float32)

    masked_embedding = masking_layer(unmasked_embedding)
    print(masked_embedding._keras_mask)
    # "the mask is a 2D boolean tensor with shape (batch_size, sequence_length)"
    np.testing.assert_array_equal(masked_embedding._keras_mask, EXPECTED_MASK)


def _ignores_padding(model, padded_inputs):
    """The guide's claim: the LSTM "will ignore padded values": each padded sample gives
    what its layers give on the sample without padding (run eagerly, same weights)."""
    full = model.predict(padded_inputs)
    embedding, lstm = [layer for layer in model.layers if layer.weights]
    for i, length in enumerate(EXPECTED_MASK.sum(axis=1)):
        alone = np.asarray(lstm(embedding(padded_inputs[i:i + 1, :length])))[0]
        np.testing.assert_allclose(full[i], alone, rtol=1e-5, atol=1e-7)


def test_mask_propagation_in_the_sequential_api():
    model = keras.Sequential(
        [layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True), layers.LSTM(32),]
    )
    _ignores_padding(model, _padded_inputs())


def test_mask_propagation_in_the_functional_api():
    inputs = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)(inputs)
    outputs = layers.LSTM(32)(x)

    model = keras.Model(inputs, outputs)
    assert model.graph.validate() == []
    _ignores_padding(model, _padded_inputs())


def test_passing_mask_tensors_directly_to_layers():
    # The body of the guide's MyLayer.call, as plain code (no subclassed layers here).
    embedding = layers.Embedding(input_dim=5000, output_dim=16, mask_zero=True)
    lstm = layers.LSTM(32)

    def call(inputs):
        x = embedding(inputs)
        # Note that you could also prepare a `mask` tensor manually.
        # It only needs to be a boolean tensor
        # with the right shape, i.e. (batch_size, timesteps).
        mask = embedding.compute_mask(inputs)
        output = lstm(x, mask=mask)  # The layer will ignore the masked values
        return output

    x = np.random.random((32, 10)) * 100
    x = x.astype("int32")
    output = call(x)
    assert output.shape == (32, 32)

    manual = np.ones((3, 6), bool)
    manual[0, 3:] = False  # "prepare a mask tensor manually"
    ids = _padded_inputs()
    np.testing.assert_allclose(np.asarray(lstm(embedding(ids), mask=manual))[0],
                               np.asarray(lstm(embedding(ids[:1, :3])))[0], rtol=1e-5, atol=1e-7)


# ===== Working with RNNs ====================================================================
def test_built_in_rnn_layers_a_simple_example():
    model = keras.Sequential()
    # Add an Embedding layer expecting input vocab of size 1000, and
    # output embedding dimension of size 64.
    model.add(layers.Embedding(input_dim=1000, output_dim=64))

    # Add a LSTM layer with 128 internal units.
    model.add(layers.LSTM(128))

    # Add a Dense layer with 10 units.
    model.add(layers.Dense(10))

    model.summary()

    assert model(np.random.randint(0, 1000, (2, 7))).shape == (2, 10)
    assert [layer.count_params() for layer in model.layers] == [64000, 98816, 1290]


def test_outputs_and_states():
    model = keras.Sequential()
    model.add(layers.Embedding(input_dim=1000, output_dim=64))

    # The output of GRU will be a 3D tensor of shape (batch_size, timesteps, 256)
    model.add(layers.GRU(256, return_sequences=True))

    # The output of SimpleRNN will be a 2D tensor of shape (batch_size, 128)
    model.add(layers.SimpleRNN(128))

    model.add(layers.Dense(10))

    model.summary()

    model.build((None, None))
    assert model.get_layer(index=1).output.shape == (None, None, 256)
    assert model.get_layer(index=2).output.shape == (None, 128)
    text = model.summary(print_fn=lambda _: None)
    assert "(None, None, 256)" in text


def test_rnn_states_encoder_decoder():
    encoder_vocab = 1000
    decoder_vocab = 2000

    encoder_input = layers.Input(shape=(None,))
    encoder_embedded = layers.Embedding(input_dim=encoder_vocab, output_dim=64)(
        encoder_input
    )

    # Return states in addition to output
    output, state_h, state_c = layers.LSTM(64, return_state=True, name="encoder")(
        encoder_embedded
    )
    encoder_state = [state_h, state_c]

    decoder_input = layers.Input(shape=(None,))
    decoder_embedded = layers.Embedding(input_dim=decoder_vocab, output_dim=64)(
        decoder_input
    )

    # Pass the 2 states to a new LSTM layer, as initial state
    decoder_output = layers.LSTM(64, name="decoder")(
        decoder_embedded, initial_state=encoder_state
    )
    output = layers.Dense(10)(decoder_output)

    model = keras.Model([encoder_input, decoder_input], output)
    model.summary()

    text = model.summary(print_fn=lambda _: None)
    assert "[(None, 64), (None, 64), (None, 64)]" in text
    assert "encoder[0][1], encoder[0][2]" in text
    rng = np.random.default_rng(0)  # random token ids instead of a corpus, shrunk
    x = [rng.integers(0, encoder_vocab, (8, 6)), rng.integers(0, decoder_vocab, (8, 5))]
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, rng.integers(0, 10, 8), batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_bidirectional_rnns():
    model = keras.Sequential()

    model.add(
        layers.Bidirectional(layers.LSTM(64, return_sequences=True), input_shape=(5, 10))
    )
    model.add(layers.Bidirectional(layers.LSTM(32)))
    model.add(layers.Dense(10))

    model.summary()


batch_size = 64
# Each MNIST image batch is a tensor of shape (batch_size, 28, 28).
# Each input sequence will be of size (28, 28) (height is treated like time).
input_dim = 28

units = 64
output_size = 10  # labels are from 0 to 9


# Build the RNN model
def build_model(allow_cudnn_kernel=True):
    # The guide's other branch wraps keras.layers.RNN(LSTMCell(units)): no RNN wrapper here.
    assert allow_cudnn_kernel
    # The LSTM layer with default options uses CuDNN.
    lstm_layer = keras.layers.LSTM(units, input_shape=(None, input_dim))
    model = keras.models.Sequential(
        [
            lstm_layer,
            keras.layers.BatchNormalization(),
            keras.layers.Dense(output_size),
        ]
    )
    return model


def test_using_cudnn_kernels_when_available():
    rng = np.random.default_rng(0)  # MNIST-shaped data instead of the download, shrunk
    x_train, y_train = rng.random((128, 28, 28)), rng.integers(0, 10, 128)
    x_test, y_test = rng.random((32, 28, 28)), rng.integers(0, 10, 32)
    sample, sample_label = x_train[0], y_train[0]

    model = build_model(allow_cudnn_kernel=True)

    model.compile(
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer="sgd",
        metrics=["accuracy"],
    )

    history = model.fit(
        x_train, y_train, validation_data=(x_test, y_test), batch_size=batch_size, epochs=1
    )
    assert set(history.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}

    cpu_model = build_model(allow_cudnn_kernel=True)
    cpu_model.set_weights(model.get_weights())
    result = np.argmax(cpu_model.predict_on_batch(np.expand_dims(sample, 0)), axis=1)
    print(
        "Predicted result is: %s, target result is: %s" % (result, sample_label)  # noqa: UP031
    )
    assert result.shape == (1,)
    # input_shape=(None, input_dim): the same model reads sequences of any length.
    assert cpu_model.predict(x_test[:, :14]).shape == (32, 10)
