"""keras-io examples that use the attention and wrapper layers, run with only the imports
changed and the data shrunk to a few random samples of a fixed length.

- examples/nlp/bidirectional_lstm_imdb.py: the model, verbatim except the Input's `None`
  (variable) length, which is fixed at `maxlen` until sequence masks land (other helper).
- examples/timeseries/timeseries_classification_transformer.py: `transformer_encoder` and
  `build_model` verbatim, with small sizes, except `x + inputs` written as
  `layers.add([x, inputs])` (the engine's symbolic tensors have no arithmetic operators
  yet) and GlobalAveragePooling1D without `data_format="channels_last"` (its only layout).
"""

import numpy as np
import pytest

import engine as keras
from engine import layers


def test_that_the_bidirectional_lstm_imdb_model_builds_and_fits_one_epoch():
    max_features = 50  # keras-io: 20000
    maxlen = 12  # keras-io: 200
    # keras-io: keras.Input(shape=(None,), dtype="int32"); a fixed length until variable
    # lengths (None) land.
    inputs = keras.Input(shape=(maxlen,), dtype="int32")
    # Embed each integer in a 128-dimensional vector
    x = layers.Embedding(max_features, 128)(inputs)
    # Add 2 bidirectional LSTMs
    x = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(x)
    x = layers.Bidirectional(layers.LSTM(64))(x)
    # Add a classifier
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.summary(print_fn=lambda *a, **k: None)

    rng = np.random.default_rng(0)
    x_train = rng.integers(1, max_features, size=(16, maxlen))
    y_train = rng.integers(0, 2, size=(16,))
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=8, epochs=1, verbose=0)

    assert np.isfinite(history.history["loss"][0])
    # Keras's parameter count: 2 x 4 x (128*64 + 64*64 + 64) for the first Bidirectional.
    assert model.layers[2].count_params() == 2 * 4 * (128 * 64 + 64 * 64 + 64)
    assert model.layers[3].output.shape == (None, 128)


def transformer_encoder(inputs, head_size, num_heads, ff_dim, dropout=0):
    # Attention and Normalization
    x = layers.MultiHeadAttention(
        key_dim=head_size, num_heads=num_heads, dropout=dropout
    )(inputs, inputs)
    x = layers.Dropout(dropout)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    res = layers.add([x, inputs])  # keras-io: x + inputs (no symbolic arithmetic yet)

    # Feed Forward Part
    x = layers.Conv1D(filters=ff_dim, kernel_size=1, activation="relu")(res)
    x = layers.Dropout(dropout)(x)
    x = layers.Conv1D(filters=inputs.shape[-1], kernel_size=1)(x)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    return layers.add([x, res])  # keras-io: x + res


def build_model(input_shape, head_size, num_heads, ff_dim, num_transformer_blocks, mlp_units,
                dropout=0, mlp_dropout=0, n_classes=2):
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for _ in range(num_transformer_blocks):
        x = transformer_encoder(x, head_size, num_heads, ff_dim, dropout)

    # keras-io passes data_format="channels_last", the engine's only layout, which its
    # GlobalAveragePooling1D does not take as an argument yet.
    x = layers.GlobalAveragePooling1D()(x)
    for dim in mlp_units:
        x = layers.Dense(dim, activation="relu")(x)
        x = layers.Dropout(mlp_dropout)(x)
    outputs = layers.Dense(n_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def test_that_the_timeseries_transformer_builds_and_fits_one_epoch():
    rng = np.random.default_rng(0)
    x_train = rng.standard_normal((20, 16, 1)).astype("float32")  # FordA: (3601, 500, 1)
    y_train = rng.integers(0, 2, size=(20,))
    model = build_model(
        x_train.shape[1:],
        head_size=8,  # keras-io: 256
        num_heads=2,  # keras-io: 4
        ff_dim=4,
        num_transformer_blocks=2,  # keras-io: 4
        mlp_units=[16],  # keras-io: [128]
        mlp_dropout=0.4,
        dropout=0.25,
    )
    model.compile(
        loss="sparse_categorical_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=1e-4),
        metrics=["sparse_categorical_accuracy"],
    )
    callbacks = [keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True)]
    history = model.fit(x_train, y_train, validation_split=0.2, epochs=1, batch_size=8,
                        callbacks=callbacks, verbose=0)
    loss, accuracy = model.evaluate(x_train, y_train, verbose=0)

    assert np.isfinite(history.history["loss"][0]) and np.isfinite(loss)
    mha = [layer for layer in model.layers if type(layer).__name__ == "MultiHeadAttention"][0]
    # Keras's MHA weights for dim 1, 2 heads of 8: query/key/value (1, 2, 8) + (2, 8) each,
    # output (2, 8, 1) + (1,).
    assert [w.shape for w in mha.get_weights()] == [
        (1, 2, 8), (2, 8), (1, 2, 8), (2, 8), (1, 2, 8), (2, 8), (2, 8, 1), (1,)]


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave"])
def test_that_a_bidirectional_model_saves_and_loads_with_equal_predictions(tmp_path, merge_mode):
    inputs = keras.Input(shape=(5, 3))
    x = layers.Bidirectional(layers.GRU(4, return_sequences=True), merge_mode=merge_mode)(inputs)
    x = layers.MultiHeadAttention(num_heads=2, key_dim=3)(x, x, use_causal_mask=True)
    x = layers.Attention()([x, x])
    x = layers.TimeDistributed(layers.Dense(2))(x)
    outputs = layers.Dot(axes=(1, 1))([x, x])
    model = keras.Model(inputs, outputs)
    data = np.random.default_rng(1).standard_normal((4, 5, 3)).astype("float32")
    path = tmp_path / "model.lcm"
    model.save(str(path))
    again = keras.load_model(str(path))
    np.testing.assert_allclose(again.predict(data, verbose=0), model.predict(data, verbose=0),
                               rtol=1e-5, atol=1e-6)
    assert keras.Model.from_spec(model.to_spec()).to_spec() == model.to_spec()
