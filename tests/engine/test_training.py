"""compile / fit / evaluate / predict: the Keras workflow, end to end and at its edges."""

import threading
import time

import numpy as np
import pytest

from engine import GradientTape, Input, Model, Sequential, callbacks, layers, losses, optimizers
from engine.errors import DataError, ShapeError, TrainingError


def blobs(n=240, classes=3, features=4, seed=0):
    """Separable Gaussian blobs: a small, fast, real classification problem."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 4, (classes, features))
    y = rng.integers(0, classes, n)
    x = centers[y] + rng.normal(0, 0.7, (n, features))
    return x.astype(np.float32), y


def mlp(features=4, classes=3, hidden=16):
    return Sequential([Input((features,)), layers.Dense(hidden, activation="relu"),
                       layers.Dense(classes, activation="softmax")])


def compiled_mlp(**compile_kwargs):
    model = mlp()
    kwargs = {"optimizer": "adam", "loss": "sparse_categorical_crossentropy",
              "metrics": ["accuracy"], **compile_kwargs}
    model.compile(**kwargs)
    return model


def test_seed_workflow_on_the_bundled_digits_learns():
    from engine import datasets

    (x_train, y_train), (x_test, y_test) = datasets.load("digits")
    x_train, x_test = x_train.reshape(len(x_train), -1) / 16.0, x_test.reshape(len(x_test), -1) / 16.0
    model = Sequential([Input((64,)), layers.Dense(64, activation="relu"),
                        layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=8, batch_size=32, validation_split=0.1,
                        verbose=0)
    assert set(history.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.history["loss"][-1] < history.history["loss"][0] * 0.5
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy > 0.9
    probs = model.predict(x_test[:5])
    assert probs.shape == (5, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-5)


def test_history_follows_keras_epoch_semantics():
    x, y = blobs()
    model = compiled_mlp()
    history = model.fit(x, y, epochs=5, initial_epoch=2, verbose=0)
    assert history.epoch == [2, 3, 4]
    assert len(history.history["loss"]) == 3


def test_validation_freq_validates_only_on_those_epochs():
    x, y = blobs()
    seen = []
    cb = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append("val_loss" in logs))
    compiled_mlp().fit(x, y, epochs=4, validation_split=0.2, validation_freq=2, verbose=0,
                       callbacks=[cb])
    assert seen == [False, True, False, True]


def test_fit_before_compile_says_what_to_do():
    with pytest.raises(TrainingError, match="You must call `compile\\(\\)`"):
        mlp().fit(*blobs(), verbose=0)


def test_sparse_labels_beyond_the_outputs_are_refused_before_training():
    x, y = blobs()
    y = y.copy()
    y[7] = 5
    with pytest.raises(DataError, match="from 0 to 5.*3 units.*6 units"):
        compiled_mlp().fit(x, y, verbose=0)


def test_one_hot_width_that_differs_from_the_outputs_is_refused():
    x, y = blobs()
    model = compiled_mlp(loss="categorical_crossentropy")
    with pytest.raises(ShapeError, match="width 3.*\\(240, 4\\)"):
        model.fit(x, np.eye(4)[y], verbose=0)


def test_integer_labels_with_categorical_crossentropy_suggest_the_sparse_loss():
    x, y = blobs()
    with pytest.raises(ShapeError, match="sparse_categorical_crossentropy"):
        compiled_mlp(loss="categorical_crossentropy").fit(x, y, verbose=0)


def test_x_and_y_of_different_lengths_list_both_sizes():
    x, y = blobs()
    with pytest.raises(DataError, match="(?s)cardinality.*'x' sizes: 240.*'y' sizes: 239"):
        compiled_mlp().fit(x, y[:-1], verbose=0)


def test_nan_in_the_input_is_refused_with_its_position():
    x, y = blobs()
    x[3, 2] = np.nan
    with pytest.raises(DataError, match="NaN.*sample 3"):
        compiled_mlp().fit(x, y, verbose=0)


def test_stop_training_from_a_callback_ends_after_the_current_batch():
    x, y = blobs()
    batches = []

    class StopAtThree(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            batches.append(batch)
            if batch == 2:
                self.model.stop_training = True

    compiled_mlp().fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[StopAtThree()])
    assert batches == [0, 1, 2]


def test_request_stop_from_another_thread_ends_training():
    x, y = blobs(n=2000)
    model = compiled_mlp()
    started = threading.Event()
    cb = callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: started.set())
    result = {}
    worker = threading.Thread(target=lambda: result.update(
        h=model.fit(x, y, epochs=10_000, batch_size=8, verbose=0, callbacks=[cb])))
    worker.start()
    assert started.wait(10)
    model.request_stop()
    worker.join(10)
    assert not worker.is_alive()
    assert len(result["h"].history["loss"]) < 10_000


def test_pause_holds_training_between_batches_until_resume():
    x, y = blobs(n=2000)
    model = compiled_mlp()
    count = []
    started = threading.Event()

    def on_batch(batch, logs):
        count.append(batch)
        started.set()

    cb = callbacks.LambdaCallback(on_train_batch_end=on_batch)
    worker = threading.Thread(target=lambda: model.fit(x, y, epochs=1000, batch_size=8,
                                                       verbose=0, callbacks=[cb]))
    worker.start()
    assert started.wait(10)
    model.pause()
    time.sleep(0.3)  # the batch running when pause() came may still finish
    held = len(count)
    time.sleep(0.4)
    assert len(count) == held and model.paused
    model.resume()
    deadline = time.time() + 5
    while len(count) <= held + 3 and time.time() < deadline:
        time.sleep(0.02)
    model.request_stop()
    worker.join(10)
    assert len(count) > held + 3 and not worker.is_alive()


def test_logged_loss_is_the_batch_size_weighted_running_mean():
    x, y = blobs(n=50)
    model = compiled_mlp(optimizer=optimizers.SGD(learning_rate=0.0))
    per_batch = []
    cb = callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: per_batch.append(logs["loss"]))
    history = model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0, callbacks=[cb])
    full = float(losses.SparseCategoricalCrossentropy()(y, model.predict(x)))
    assert history.history["loss"][0] == pytest.approx(full, rel=1e-5)


def test_fused_softmax_crossentropy_gradient_equals_the_unfused_chain():
    x, y = blobs(n=32)
    fused = compiled_mlp()
    plain = Sequential([Input((4,)), layers.Dense(16, activation="relu"), layers.Dense(3),
                        layers.Activation("softmax")])
    plain.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    plain.set_weights(fused.get_weights())
    assert fused._compiled_loss.fused == [True]
    plain._compiled_loss.fused = [False]
    for model in (fused, plain):
        data = model._array_data(x, y, None, None)
        outputs = model.forward(data.xs, training=True)
        _, _, grads, fused_names = model._compiled_loss.value_and_grads(data.ys, outputs, None)
        model.backward(grads, from_preactivation=fused_names)
    np.testing.assert_allclose(fused._flat_grads, plain._flat_grads, rtol=1e-4, atol=1e-6)


def test_regularization_penalty_joins_the_loss():
    x, y = blobs(n=20)
    model = Sequential([Input((4,)), layers.Dense(3, activation="softmax",
                                                   kernel_regularizer="l2")])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.0),
                  loss="sparse_categorical_crossentropy")
    penalty = 0.01 * float((model.layers[0].params["kernel"] ** 2).sum())
    plain = float(losses.SparseCategoricalCrossentropy()(y, model.predict(x)))
    loss = model.evaluate(x, y, batch_size=20, verbose=0)
    assert loss == pytest.approx(plain + penalty, rel=1e-5)


def test_sample_weight_and_class_weight_change_the_loss():
    x, y = blobs(n=30)
    model = compiled_mlp(optimizer=optimizers.SGD(learning_rate=0.0), metrics=None)
    base = model.train_on_batch(x, y)
    zeroed = model.train_on_batch(x, y, class_weight={0: 0.0, 1: 0.0, 2: 0.0})
    weighted = model.train_on_batch(x, y, sample_weight=np.full(30, 2.0))
    assert zeroed == pytest.approx(0.0, abs=1e-7)
    assert weighted == pytest.approx(2 * base, rel=1e-5)


def test_multi_output_model_with_loss_dict_and_weights():
    rng = np.random.default_rng(1)
    inp = Input((3,), name="features")
    hidden = layers.Dense(8, activation="relu", name="hidden")(inp)
    cls = layers.Dense(2, activation="softmax", name="cls")(hidden)
    reg = layers.Dense(1, name="reg")(hidden)
    model = Model(inp, [cls, reg])
    model.compile(optimizer="adam",
                  loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                  loss_weights={"cls": 1.0, "reg": 0.5}, metrics={"cls": ["accuracy"]})
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y_cls, y_reg = (x[:, 0] > 0).astype(int), x.sum(axis=1)
    history = model.fit(x, {"cls": y_cls, "reg": y_reg}, epochs=30, verbose=0)
    assert "cls_accuracy" in history.history
    assert {"cls_loss", "reg_loss"} <= set(history.history)  # each output's loss, as Keras
    last = {k: v[-1] for k, v in history.history.items()}
    assert last["loss"] == pytest.approx(last["cls_loss"] + 0.5 * last["reg_loss"], rel=0.05)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_train_test_and_predict_on_batch():
    x, y = blobs(n=40)
    model = compiled_mlp()
    loss, acc = model.train_on_batch(x, y)
    assert np.isfinite(loss) and 0 <= acc <= 1
    logs = model.test_on_batch(x, y, return_dict=True)
    assert set(logs) == {"loss", "accuracy"}
    assert model.predict_on_batch(x).shape == (40, 3)


def test_evaluate_return_dict_and_multiple_metrics():
    x, y = blobs()
    model = compiled_mlp(metrics=["accuracy", "sparse_top_k_categorical_accuracy"])
    model.fit(x, y, epochs=3, verbose=0)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "accuracy", "sparse_top_k_categorical_accuracy"}


def test_verbose_fit_prints_a_progress_bar_with_eta(capsys):
    x, y = blobs(n=64)
    compiled_mlp().fit(x, y, epochs=2, batch_size=16, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "loss:" in out and "accuracy:" in out


def test_gradient_tape_custom_loop_matches_the_model_gradient():
    x, y = blobs(n=16)
    model = mlp()
    loss_fn = losses.SparseCategoricalCrossentropy()
    optimizer = optimizers.SGD(learning_rate=0.1)
    before = [w.copy() for w in model.get_weights()]
    with GradientTape() as tape:
        pred = model(x, training=True)
        loss = loss_fn(y, pred)
    grads = tape.gradient(loss, model.trainable_variables)
    # numerical check of one kernel entry
    kernel = model.layers[0].params["kernel"]
    eps = 1e-3
    old = float(kernel[0, 0])
    kernel[0, 0] = old + eps
    plus = float(loss_fn(y, model.predict(x)))
    kernel[0, 0] = old - eps
    minus = float(loss_fn(y, model.predict(x)))
    kernel[0, 0] = old
    assert grads[0][0, 0] == pytest.approx((plus - minus) / (2 * eps), rel=2e-2, abs=1e-4)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    after = model.get_weights()
    np.testing.assert_allclose(after[0], before[0] - 0.1 * grads[0], rtol=1e-5, atol=1e-7)


def test_gradient_tape_differentiates_arithmetic_on_the_loss():
    x, y = blobs(n=8)
    model = mlp()
    with GradientTape(persistent=True) as tape:
        loss = losses.SparseCategoricalCrossentropy()(y, model(x, training=True))
        doubled = loss * 2.0 + 1.0
    plain = tape.gradient(loss, model.trainable_variables)
    twice = tape.gradient(doubled, model.trainable_variables)
    for a, b in zip(plain, twice):
        np.testing.assert_allclose(np.asarray(b), 2 * np.asarray(a), rtol=1e-5, atol=1e-7)


def test_gradient_tape_keeps_each_forward_pass_of_the_model():
    """A model run twice under one tape (or run again after it) still differentiates the
    first pass: every layer call kept its own saved state."""
    x, y = blobs(n=8)
    model = mlp()
    loss_fn = losses.SparseCategoricalCrossentropy()
    with GradientTape(persistent=True) as tape:
        first = loss_fn(y, model(x, training=True))
        second = loss_fn(y[:4], model(x[:4], training=True))
    model.predict(x)
    g_first = tape.gradient(first, model.trainable_variables)
    g_second = tape.gradient(second, model.trainable_variables)
    with GradientTape() as fresh:
        alone = loss_fn(y, model(x, training=True))
    expected = fresh.gradient(alone, model.trainable_variables)
    for got, want in zip(g_first, expected):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-7)
    assert not np.allclose(np.asarray(g_second[0]), np.asarray(g_first[0]))


def test_gradient_tape_includes_model_losses():
    x, y = blobs(n=8)
    model = Sequential([Input((4,)), layers.Dense(3, activation="softmax",
                                                   kernel_regularizer="l2")])
    loss_fn = losses.SparseCategoricalCrossentropy()
    with GradientTape(persistent=True) as tape:
        pred = model(x, training=True)
        plain = loss_fn(y, pred)
        total = plain + sum(model.losses)
    g_plain = tape.gradient(plain, model.trainable_variables)[0]
    g_total = tape.gradient(total, model.trainable_variables)[0]
    kernel = model.layers[0].params["kernel"]
    np.testing.assert_allclose(g_total - g_plain, 0.02 * kernel, rtol=1e-4, atol=1e-6)


def test_fit_accepts_an_engine_dataset():
    from engine.data import Dataset

    x, y = blobs()
    model = compiled_mlp()
    history = model.fit(Dataset.from_tensor_slices((x, y)).shuffle(240, seed=0).batch(32),
                        epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3


def test_that_a_multi_output_model_compiles_without_metrics():
    inp = Input((3,))
    model = Model(inp, [layers.Dense(2, activation="softmax", name="a")(inp),
                        layers.Dense(1, name="b")(inp)])
    model.compile(optimizer="sgd", loss=["sparse_categorical_crossentropy", "mse"])
    x = np.random.default_rng(0).normal(size=(10, 3))
    loss, a_loss, b_loss = model.evaluate(x, [np.zeros(10), np.zeros(10)], verbose=0)
    assert loss == pytest.approx(a_loss + b_loss, rel=1e-5)


@pytest.mark.parametrize("weights,match", [
    (np.ones((240, 2)), "one weight per sample"),
    (np.full(240, np.nan), "finite and >= 0"),
    (-np.ones(240), "finite and >= 0"),
])
def test_that_bad_sample_weights_are_refused(weights, match):
    x, y = blobs()
    with pytest.raises(DataError, match=match):
        compiled_mlp().fit(x, y, sample_weight=weights, verbose=0)


def test_that_sample_weight_and_class_weight_together_are_refused():
    x, y = blobs()
    with pytest.raises(DataError, match="either `sample_weight` or `class_weight`"):
        compiled_mlp().fit(x, y, sample_weight=np.ones(240), class_weight={0: 2.0}, verbose=0)


@pytest.mark.parametrize("kwargs", [{"validation_freq": 0}, {"steps_per_epoch": 0}])
def test_that_loop_settings_are_checked_before_training(kwargs):
    x, y = blobs()
    with pytest.raises(TrainingError):
        compiled_mlp().fit(x, y, validation_split=0.1, verbose=0, **kwargs)


def test_that_wrong_input_names_and_plain_lists_are_handled():
    a, b = Input((2,), name="a"), Input((2,), name="b")
    model = Model([a, b], layers.Dense(1)(layers.Add()([a, b])))
    with pytest.raises(DataError, match="missing \\['b'\\]"):
        model.predict({"a": np.zeros((3, 2)), "wrong": np.zeros((3, 2))})
    single = mlp()
    assert single.predict([[0.0, 1.0, 2.0, 3.0]]).shape == (1, 3)
