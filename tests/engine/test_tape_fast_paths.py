"""A Keras-style GradientTape loop over a model of built-in layers takes fit()'s fast paths
and still means what Keras means.

- the model call is one recorded node (`engine/model_tape.py`): gradients equal the
  layer-by-layer recording's, also for a model called twice in one tape;
- its weight gradients are views of one fresh flat buffer per call, so gradients kept from
  an earlier step are never overwritten;
- `optimizer.apply_gradients` on a model's Variables runs the flat one-pass step, with the
  same slots as fit(): fitting, then stepping by hand, equals stepping by hand throughout.
"""

import numpy as np
import pytest

import engine
from engine import GradientTape, Input, Model, Sequential, layers, losses, model_tape, ops
from engine import optimizers


def _mlp(seed=0, regularizer=None):
    engine.backend.set_seed(seed)
    return Sequential([Input((6,)),
                       layers.Dense(5, activation="tanh", kernel_regularizer=regularizer),
                       layers.Dense(3, activation="softmax")])


def _batch(seed=0, n=8):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 6)).astype("float32"), rng.integers(0, 3, n)


def _layer_by_layer(monkeypatch):
    """Forces the general path: every layer call recorded as its own node."""
    monkeypatch.setattr(model_tape, "eligible", lambda model: False)


def _grads(model, x, y, watch_input=False):
    x = ops.convert_to_tensor(x)
    with GradientTape() as tape:
        if watch_input:
            tape.watch(x)
        loss = losses.SparseCategoricalCrossentropy()(y, model(x, training=True))
    sources = [*model.trainable_variables, *([x] if watch_input else [])]
    return [ops.convert_to_numpy(g) for g in tape.gradient(loss, sources)]


def test_a_model_of_built_in_layers_is_recorded_as_one_node():
    model = _mlp()
    with GradientTape():
        out = model(_batch()[0], training=True)
    assert out.node is not None and len(out.node.parents) == 1 + 4  # the input + 4 weights


def test_its_gradients_equal_the_layer_by_layer_recording_weights_and_input(monkeypatch):
    x, y = _batch()
    fast = _grads(_mlp(), x, y, watch_input=True)
    _layer_by_layer(monkeypatch)
    general = _grads(_mlp(), x, y, watch_input=True)
    for a, b in zip(fast, general, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_a_model_called_twice_in_one_tape_gets_the_sum_of_both_calls_gradients():
    model = _mlp()
    (xa, ya), (xb, yb) = _batch(1), _batch(2)
    loss = losses.SparseCategoricalCrossentropy()
    with GradientTape() as tape:
        both = loss(ya, model(xa, training=True)) + loss(yb, model(xb, training=True))
    together = tape.gradient(both, model.trainable_variables)
    apart = [a + b for a, b in zip(_grads(model, xa, ya), _grads(model, xb, yb))]
    for a, b in zip(together, apart, strict=True):
        np.testing.assert_allclose(ops.convert_to_numpy(a), b, rtol=1e-5, atol=1e-7)


def test_gradients_kept_from_an_earlier_step_are_not_overwritten():
    model, optimizer = _mlp(), optimizers.Adam(learning_rate=0.01)
    x, y = _batch()
    kept = _grads(model, x, y)
    with GradientTape() as tape:
        loss = losses.SparseCategoricalCrossentropy()(y, model(x, training=True))
    first = tape.gradient(loss, model.trainable_variables)
    snapshot = [ops.convert_to_numpy(g).copy() for g in first]
    optimizer.apply_gradients(zip(first, model.trainable_variables))
    _grads(model, *_batch(3))  # a later step's backward pass
    for g, before, also in zip(first, snapshot, kept):
        np.testing.assert_array_equal(ops.convert_to_numpy(g), before)
        np.testing.assert_array_equal(before, also)


def test_weights_the_loss_does_not_reach_get_none_as_in_keras():
    inputs = Input((4,))
    used = layers.Dense(2, name="used")(inputs)
    unused = layers.Dense(2, name="unused")(inputs)
    model = Model(inputs, [used, unused])
    with GradientTape() as tape:
        first, _ = model(np.ones((3, 4), "float32"))
        loss = ops.sum(first)
    grads = tape.gradient(loss, model.trainable_variables)
    names = [v.path for v in model.trainable_variables]
    assert [g is None for g in grads] == ["unused" in n for n in names]


def test_weight_regularizers_count_only_through_model_losses_as_in_keras():
    model = _mlp(regularizer="l2")
    x, y = _batch()
    plain = _grads(model, x, y)
    unregularized = _grads(_mlp(regularizer=None), x, y)
    for a, b in zip(plain, unregularized):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    with GradientTape() as tape:
        loss = losses.SparseCategoricalCrossentropy()(y, model(x, training=True))
        loss = loss + ops.sum(ops.stack(model.losses))
    kernel = model.layers[0].kernel
    with_penalty = ops.convert_to_numpy(tape.gradient(loss, [kernel])[0])
    np.testing.assert_allclose(with_penalty - plain[0], 0.01 * 2 * kernel.numpy(), rtol=1e-4,
                               atol=1e-7)


def test_apply_gradients_on_model_variables_shares_fits_slots_and_flat_state():
    x, y = _batch(n=16)
    by_hand, fitted = _mlp(), _mlp()
    for model in (by_hand, fitted):
        model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy")
    for _ in range(3):
        by_hand.train_on_batch(x, y)
    fitted.train_on_batch(x, y)  # one fit step, then two by hand with the same optimizer
    for _ in range(2):
        grads = _grads(fitted, x, y)
        fitted.optimizer.apply_gradients(zip(grads, fitted.trainable_variables))
    for a, b in zip(by_hand.get_weights(), fitted.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    state = fitted.optimizer.get_state()
    assert int(state["iterations"]) == 3
    assert "momentum" in state and "momentum.0" not in state  # one set of slots, flat


def test_apply_gradients_on_plain_variables_keeps_per_variable_slots():
    a, b = engine.Variable(np.ones(3, "float32")), engine.Variable(np.ones(2, "float32"))
    optimizer = optimizers.SGD(learning_rate=0.5, momentum=0.9)
    optimizer.apply_gradients([(np.ones(3, "float32"), a), (np.ones(2, "float32"), b)])
    np.testing.assert_allclose(a.numpy(), 0.5)
    assert "momentum.1" in optimizer.get_state()


def test_a_layer_that_records_its_own_tape_terms_keeps_the_layer_by_layer_path():
    model = Sequential([Input((3,)), layers.Dense(2), layers.ActivityRegularization(l2=0.1)])
    assert not model_tape.eligible(model)
    assert model_tape.eligible(_mlp())


def test_a_custom_first_layer_in_fit_skips_its_input_gradient_and_still_learns():
    class Linear(engine.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 3), initializer="glorot_uniform")

        def call(self, x):
            return ops.matmul(x, self.w)

    engine.backend.set_seed(0)
    model = Sequential([Input((6,)), Linear(), layers.Activation("softmax")])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.05),
                  loss="sparse_categorical_crossentropy")
    x, y = _batch(n=64)
    history = model.fit(x, y, epochs=20, verbose=0)
    assert history.history["loss"][-1] < 0.8 * history.history["loss"][0]
    assert model.layers[0]._tape_record[0] is None  # no gradient path to the data


def test_a_custom_layer_sees_a_sublayer_assigned_after_its_first_call():
    class Holder(engine.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.first = layers.Dense(2)

        def call(self, x):
            out = self.first(x)
            return out + self.second(x) if hasattr(self, "second") else out

    holder = Holder()
    holder(np.ones((1, 3), "float32"))
    assert len(holder.trainable_weights) == 2
    holder.second = layers.Dense(2)
    holder(np.ones((1, 3), "float32"))
    assert len(holder.trainable_weights) == 4


def test_a_forward_that_promised_no_input_gradient_refuses_to_give_one_later():
    class Linear(engine.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 2))

        def call(self, x):
            return ops.matmul(x, self.w)

    model = Sequential([Input((3,)), Linear()])
    model.forward([np.ones((2, 3), "float32")], training=True, input_gradients=False)
    with pytest.raises(engine.errors.TrainingError, match="input gradient was asked for"):
        model.backward([np.ones((2, 2), "float32")], input_gradients=True)


def _wrapped_and_stateful_model():
    engine.backend.set_seed(3)
    inputs = Input((5, 4))
    x = layers.Bidirectional(layers.LSTM(3, return_sequences=True))(inputs)
    x = layers.TimeDistributed(layers.Dense(2))(x)
    x = layers.BatchNormalization()(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3)(x)
    return Model(inputs, layers.Dense(3, activation="softmax")(x))


def test_wrappers_batch_norm_and_dropout_get_the_layer_by_layer_gradients(monkeypatch):
    """Weights owned through wrappers (Bidirectional, TimeDistributed), moving statistics and
    a dropout mask: the one-node recording keeps each call's state as the general path."""
    x = np.random.default_rng(5).normal(size=(6, 5, 4)).astype("float32")
    y = np.arange(6) % 3
    engine.backend.set_seed(11)
    fast = _grads(_wrapped_and_stateful_model(), x, y, watch_input=True)
    _layer_by_layer(monkeypatch)
    engine.backend.set_seed(11)
    general = _grads(_wrapped_and_stateful_model(), x, y, watch_input=True)
    assert all(g is not None for g in fast)
    for a, b in zip(fast, general, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
