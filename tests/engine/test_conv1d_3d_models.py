"""The new 1-D and 3-D layers inside models: keras-io examples run with only their imports
changed, and specs and checkpoints that round-trip every new layer."""

import json

import numpy as np
import pytest

import engine as keras
from engine import Input, Model, Sequential, layers, load_model

NEW_LAYER_NAMES = {"Conv1DTranspose", "DepthwiseConv1D", "SeparableConv1D", "Conv3D",
                   "MaxPooling3D", "AveragePooling3D", "GlobalAveragePooling3D",
                   "GlobalMaxPooling3D", "UpSampling1D", "ZeroPadding1D", "Cropping1D"}


# ----- keras-io examples, imports changed -------------------------------------------------------
def test_the_autoencoder_from_the_keras_io_timeseries_anomaly_detection_example(rng):
    # keras-io examples/timeseries/timeseries_anomaly_detection.py, "Build a model": copied as
    # written, `from tensorflow import keras` / `from tensorflow.keras import layers` being
    # engine's. The data: 64 noisy daily cycles of the example's TIME_STEPS = 288 steps.
    steps = np.arange(288)
    x_train = (np.sin(2 * np.pi * steps / 288)[None, :, None]
               + 0.1 * rng.standard_normal((64, 288, 1))).astype(np.float32)
    model = keras.Sequential(
        [
            layers.Input(shape=(x_train.shape[1], x_train.shape[2])),
            layers.Conv1D(
                filters=32, kernel_size=7, padding="same", strides=2, activation="relu"
            ),
            layers.Dropout(rate=0.2),
            layers.Conv1D(
                filters=16, kernel_size=7, padding="same", strides=2, activation="relu"
            ),
            layers.Conv1DTranspose(
                filters=16, kernel_size=7, padding="same", strides=2, activation="relu"
            ),
            layers.Dropout(rate=0.2),
            layers.Conv1DTranspose(
                filters=32, kernel_size=7, padding="same", strides=2, activation="relu"
            ),
            layers.Conv1DTranspose(filters=1, kernel_size=7, padding="same"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse")
    history = model.fit(
        x_train,
        x_train,
        epochs=3,
        batch_size=16,
        validation_split=0.1,
        callbacks=[
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, mode="min")
        ],
        verbose=0,
    )
    assert model.count_params() == 7 * 1 * 32 + 32 + 7 * 32 * 16 + 16 + 7 * 16 * 16 + 16 \
        + 7 * 32 * 16 + 32 + 7 * 1 * 32 + 1  # 9,505 with Keras's kernel layouts
    assert history.history["loss"][-1] < history.history["loss"][0]
    x_train_pred = model.predict(x_train, verbose=0)
    assert x_train_pred.shape == x_train.shape
    train_mae_loss = np.mean(np.abs(x_train_pred - x_train), axis=1)
    assert train_mae_loss.shape == (64, 1) and np.isfinite(train_mae_loss).all()


def get_model(img_size, num_classes):
    # keras-io examples/vision/3D_image_classification.py, "Define 3D convolutional neural
    # network": copied as written (`keras` and `layers` being engine's).
    # build a 3D convolutional neural network model

    inputs = keras.Input(img_size)

    x = layers.Conv3D(filters=16, kernel_size=3, activation="relu")(inputs)
    x = layers.MaxPool3D(pool_size=2)(x)
    x = layers.BatchNormalization()(x)

    x = layers.Conv3D(filters=32, kernel_size=3, activation="relu")(x)
    x = layers.MaxPool3D(pool_size=2)(x)
    x = layers.BatchNormalization()(x)

    x = layers.Conv3D(filters=64, kernel_size=3, activation="relu")(x)
    x = layers.MaxPool3D(pool_size=2)(x)
    x = layers.BatchNormalization()(x)

    x = layers.Conv3D(filters=128, kernel_size=3, activation="relu")(x)
    x = layers.MaxPool3D(pool_size=2)(x)
    x = layers.BatchNormalization()(x)

    x = layers.Flatten()(x)
    x = layers.Dense(units=256, activation="relu")(x)
    x = layers.Dropout(0.3)(x)

    outputs = layers.Dense(units=1, activation="sigmoid")(x)

    # define the model
    model = keras.Model(inputs, outputs, name="3dcnn")
    return model


def test_the_3d_cnn_from_the_keras_io_3d_image_classification_example(rng):
    # The example's scans are (128, 128, 64, 1); 46 per side is the smallest size its four
    # conv + pool blocks accept (46 -> 44 -> 22 -> 20 -> 10 -> 8 -> 4 -> 2 -> 1).
    model = get_model((46, 46, 46, 1), 2)
    initial_learning_rate = 0.0001
    lr_schedule = keras.optimizers.schedules.ExponentialDecay(
        initial_learning_rate, decay_steps=100000, decay_rate=0.96, staircase=True
    )
    model.compile(
        loss="binary_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=lr_schedule),
        metrics=["acc"],
    )
    x_train = rng.random((4, 46, 46, 46, 1)).astype(np.float32)
    y_train = np.array([1, 0, 1, 0])
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(x_train, y_train, epochs=1, batch_size=2, shuffle=True, verbose=0)
    assert {"loss", "acc"} <= set(history.history)
    assert not np.allclose(model.get_weights()[0], before[0])  # the first Conv3D learned
    prediction = model.predict(np.expand_dims(x_train[0], axis=0), verbose=0)[0]
    assert prediction.shape == (1,)
    assert 0.0 <= prediction[0] <= 1.0


# ----- specs and checkpoints --------------------------------------------------------------------
def sequence_model():
    inputs = Input((12, 3))
    x = layers.ZeroPadding1D((1, 2))(inputs)
    x = layers.DepthwiseConv1D(3, depth_multiplier=2, activation="relu")(x)
    x = layers.SeparableConv1D(4, 3, padding="same", strides=2)(x)
    x = layers.UpSampling1D(2)(x)
    x = layers.Conv1DTranspose(5, 3, strides=2, padding="same")(x)
    x = layers.Cropping1D((1, 3))(x)
    x = layers.Flatten()(x)
    return Model(inputs, layers.Dense(2)(x))


def volume_model():
    return Sequential([
        Input((6, 6, 4, 2)),
        layers.Conv3D(4, 3, padding="same", activation="relu"),
        layers.MaxPooling3D(2),
        layers.Conv3D(3, (2, 2, 1), padding="same"),
        layers.AveragePooling3D(1),
        layers.GlobalMaxPooling3D(keepdims=True),
        layers.GlobalAveragePooling3D(),
        layers.Dense(2),
    ])


@pytest.mark.parametrize("make,shape", [(sequence_model, (12, 3)),
                                        (volume_model, (6, 6, 4, 2))])
def test_that_models_of_the_new_layers_train_and_round_trip_spec_and_checkpoint(
        make, shape, tmp_path, rng):
    x = rng.standard_normal((8, *shape)).astype(np.float32)
    y = rng.standard_normal((8, 2)).astype(np.float32)
    model = make()
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    assert np.isfinite(history.history["loss"]).all()

    spec = json.loads(json.dumps(model.to_spec()))
    rebuilt = Model.from_spec(spec)
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "model.lcm")
    loaded = load_model(tmp_path / "model.lcm")
    assert loaded.to_spec() == model.to_spec()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_that_the_two_models_hold_every_new_layer():
    used = {type(layer).__name__ for make in (sequence_model, volume_model)
            for layer in make().layers}
    assert NEW_LAYER_NAMES <= used
