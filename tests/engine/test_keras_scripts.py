"""Keras users' scripts run with only their import lines changed.

Each test is a Keras guide script with `from tensorflow import keras` replaced by
`import engine as keras` (and `tf.data.Dataset` by `engine.data.Dataset`).
"""

import numpy as np

import engine as keras
from engine.data import Dataset


def digits_flat():
    (x_train, y_train), (x_test, y_test) = keras.datasets.load("digits")
    return (x_train.reshape(-1, 64) / 16.0, y_train), (x_test.reshape(-1, 64) / 16.0, y_test)


def test_the_custom_training_loop_from_the_keras_guide():
    (x_train, y_train), (x_test, y_test) = digits_flat()
    model = keras.Sequential([keras.Input(shape=(64,)),
                              keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(10)])
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_acc_metric = keras.metrics.SparseCategoricalAccuracy()
    val_acc_metric = keras.metrics.SparseCategoricalAccuracy()
    train_dataset = Dataset.from_tensor_slices((x_train, y_train)).shuffle(1024, seed=0).batch(32)
    accuracies = []
    for epoch in range(4):
        for step, (x_batch_train, y_batch_train) in enumerate(train_dataset):
            with keras.GradientTape() as tape:
                logits = model(x_batch_train, training=True)
                loss_value = loss_fn(y_batch_train, logits)
            grads = tape.gradient(loss_value, model.trainable_weights)
            optimizer.apply_gradients(zip(grads, model.trainable_weights))
            train_acc_metric.update_state(y_batch_train, logits)
        accuracies.append(float(train_acc_metric.result()))
        train_acc_metric.reset_state()
    val_logits = model(x_test, training=False)
    val_acc_metric.update_state(y_test, val_logits)
    assert accuracies[-1] > accuracies[0]
    assert float(val_acc_metric.result()) > 0.85
    assert float(loss_value) > 0


def test_the_sequential_fit_evaluate_predict_workflow():
    (x_train, y_train), (x_test, y_test) = digits_flat()
    model = keras.models.Sequential([
        keras.layers.Input((64,)),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=5, batch_size=32, verbose=0,
              callbacks=[keras.callbacks.EarlyStopping(monitor="loss", patience=2)])
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    predictions = model.predict(x_test)
    assert test_acc > 0.9
    assert np.argmax(predictions[0]) in range(10)


def test_the_functional_api_with_two_inputs():
    rng = np.random.default_rng(0)
    a = keras.Input(shape=(4,), name="a")
    b = keras.Input(shape=(3,), name="b")
    x = keras.layers.Concatenate()([keras.layers.Dense(8, activation="relu")(a),
                                    keras.layers.Dense(8, activation="relu")(b)])
    out = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs=[a, b], outputs=out)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    xa, xb = rng.normal(size=(200, 4)), rng.normal(size=(200, 3))
    y = (xa[:, 0] + xb[:, 0] > 0).astype(np.float32)
    history = model.fit([xa, xb], y, epochs=60, verbose=0)
    assert history.history["accuracy"][-1] > 0.8
