"""Keras 3 custom metrics: functions in `metrics=[fn]` (a MeanMetricWrapper named after the
function) and `Metric` subclasses with `add_variable`/`add_weight` state."""

import numpy as np
import pytest

import engine as keras
from engine import losses, metrics, ops
from engine.errors import SpecError


def absolute_error(y_true, y_pred):
    return ops.mean(ops.abs(y_true - y_pred), axis=-1)


class SumOfPredictions(metrics.Metric):
    """Keras 3 style: variables, ops, a Tensor result, and the default reset_state."""

    def __init__(self, name="sum_of_predictions", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.seen = self.add_weight(name="seen")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.total.assign_add(ops.sum(y_pred))
        self.seen.assign_add(ops.cast(ops.shape(y_pred)[0], "float32"))

    def result(self):
        return self.total / self.seen


def _model(seed=0):
    keras.backend.set_seed(seed)
    inputs = keras.Input(shape=(4,))
    return keras.Model(inputs, keras.layers.Dense(2)(inputs))


def _data(n=12):
    rng = np.random.default_rng(0)
    return rng.random((n, 4)).astype("float32"), rng.random((n, 2)).astype("float32")


# ----- functions --------------------------------------------------------------------------------
def test_that_a_metric_function_is_averaged_over_samples_under_its_own_name():
    model = _model()
    model.compile(optimizer="sgd", loss="mse", metrics=[absolute_error])
    x, y = _data()
    logs = model.evaluate(x, y, batch_size=5, verbose=0, return_dict=True)
    expected = np.mean(np.abs(y - model.predict(x, verbose=0)))
    assert logs["absolute_error"] == pytest.approx(expected, rel=1e-5)


def test_that_a_wrapped_function_gets_its_keyword_arguments():
    metric = metrics.MeanMetricWrapper(losses.huber, name="h", delta=0.1)
    metric.update_state([[0.0, 0.0]], [[1.0, 0.05]])
    # huber with delta 0.1: 0.1 * (1 - 0.05) for the far value, 0.5 * 0.05**2 for the near one
    assert metric.result() == pytest.approx((0.1 * 0.95 + 0.5 * 0.05 ** 2) / 2, rel=1e-5)
    assert metric.name == "h" and metric.get_config()["delta"] == 0.1


def test_that_a_metric_function_is_minimized_only_when_it_is_a_loss():
    assert metrics.get(losses.mean_absolute_error).direction == "down"
    assert metrics.get(absolute_error).direction is None  # the monitor goes by the name
    assert metrics.SparseCategoricalAccuracy().direction == "up"


def test_that_built_in_metrics_still_take_their_name_first():
    assert metrics.SparseCategoricalAccuracy("acc").name == "acc"


def test_that_a_metric_function_is_stored_by_name_and_found_again():
    config = metrics.serialize(metrics.get(losses.mean_absolute_error))
    assert config["config"]["fn"]["config"] == "mean_absolute_error"
    again = metrics.deserialize(config)
    again.update_state([[1.0]], [[3.0]])
    assert again.result() == pytest.approx(2.0)
    with pytest.raises(SpecError, match="custom_objects"):
        metrics.deserialize({"class_name": "function", "config": "absolute_error"})


# ----- Metric subclasses --------------------------------------------------------------------------
def test_that_a_metric_owns_the_variables_it_adds():
    metric = SumOfPredictions()
    assert [v.path for v in metric.variables] == ["sum_of_predictions/total",
                                                  "sum_of_predictions/seen"]
    assert all(isinstance(v, keras.Variable) and not v.trainable for v in metric.variables)
    assert [float(v) for v in metric.variables] == [0.0, 0.0]


def test_that_the_default_reset_state_zeroes_every_variable_of_the_metric_and_its_parts():
    class Pair(metrics.Metric):
        def __init__(self):
            super().__init__(name="pair")
            self.inner = SumOfPredictions()
            self.count = self.add_variable(shape=(2,), initializer="ones", name="count")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.inner.update_state(y_true, y_pred)
            self.count.assign_add(ops.ones((2,)))

        def result(self):
            return self.inner.result()

    metric = Pair()
    metric.update_state(None, np.ones((3, 2), np.float32))
    assert float(metric.result()) == pytest.approx(2.0)
    metric.reset_state()
    assert [np.asarray(v).tolist() for v in metric.variables] == [[0.0, 0.0], 0.0, 0.0]


def test_that_a_tensor_result_is_logged_as_a_float_and_reset_between_evaluations():
    model = _model()
    metric = SumOfPredictions()
    model.compile(optimizer="sgd", loss="mse", metrics=[metric])
    x, y = _data()
    model.evaluate(x, y, batch_size=5, verbose=0)
    logs = model.evaluate(x, y, batch_size=5, verbose=0, return_dict=True)
    expected = model.predict(x, verbose=0).sum() / 12
    assert type(logs["sum_of_predictions"]) is float
    assert logs["sum_of_predictions"] == pytest.approx(expected, rel=1e-5)
    assert float(metric.seen) == 12.0  # the second evaluation started from zeros


def test_that_a_dict_result_is_logged_under_its_keys():
    class Extremes(metrics.Metric):
        def __init__(self, name="extremes"):
            super().__init__(name=name)
            self.low = self.add_variable(shape=(), initializer="zeros", name="low")
            self.high = self.add_variable(shape=(), initializer="zeros", name="high")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.low.assign(ops.minimum(self.low, ops.min(y_pred)))
            self.high.assign(ops.maximum(self.high, ops.max(y_pred)))

        def result(self):
            return {"lowest": self.low, "highest": self.high}

    model = _model()
    model.compile(optimizer="sgd", loss="mse", metrics=[Extremes()])
    x, y = _data()
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    pred = model.predict(x, verbose=0)
    assert logs["highest"] == pytest.approx(max(pred.max(), 0.0), rel=1e-6)
    assert logs["lowest"] == pytest.approx(min(pred.min(), 0.0), rel=1e-6)


def test_that_a_users_metric_does_not_claim_a_direction():
    assert SumOfPredictions().direction is None
    assert metrics.Precision().direction == "up"  # the built-ins keep theirs


def test_that_forgetting_super_init_is_explained():
    class Forgetful(metrics.Metric):
        def __init__(self):
            self.total = self.add_variable(shape=(), initializer="zeros")

    with pytest.raises(SpecError, match=r"super\(\).__init__\(\)"):
        Forgetful()


def test_that_configs_hold_the_name_and_a_non_default_dtype():
    assert SumOfPredictions().get_config() == {"name": "sum_of_predictions"}
    config = SumOfPredictions(name="s", dtype="float64").get_config()
    assert config == {"name": "s", "dtype": "float64"}
    assert SumOfPredictions.from_config(config).dtype == "float64"
    with pytest.raises(SpecError, match="float dtype"):
        SumOfPredictions(dtype="int8")


def test_that_calling_a_metric_updates_it_and_returns_the_result():
    metric = SumOfPredictions()
    assert float(metric(None, np.full((2, 2), 3.0, np.float32))) == pytest.approx(6.0)
    assert float(metric(None, np.zeros((2, 2), np.float32))) == pytest.approx(3.0)


def test_that_kerass_accuracy_functions_give_per_sample_hits_and_train_as_metrics():
    probs = np.array([[0.2, 0.8], [0.3, 0.7], [0.9, 0.1]], np.float32)
    assert metrics.sparse_categorical_accuracy([1, 0, 0], probs).numpy().tolist() == [1, 0, 1]
    assert metrics.categorical_accuracy(np.eye(2)[[1, 1, 1]], probs).numpy().tolist() == [
        1, 1, 0]
    assert metrics.binary_accuracy([[1.0], [0.0]], [[0.7], [0.7]]).numpy().tolist() == [
        [1.0], [0.0]]
    assert metrics.sparse_top_k_categorical_accuracy([0, 0, 1], probs, k=1).numpy().tolist() \
        == [0, 0, 0]

    keras.backend.set_seed(0)
    inputs = keras.Input(shape=(4,))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(inputs))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=[metrics.sparse_categorical_accuracy])
    x, y = _data(30)[0], np.arange(30) % 3
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    hits = np.argmax(model.predict(x, verbose=0), axis=1) == y
    assert logs["sparse_categorical_accuracy"] == pytest.approx(hits.mean())
    assert model.compile_config["metrics"] == ["sparse_categorical_accuracy"]
    config = metrics.serialize(metrics.sparse_categorical_accuracy)
    assert config["class_name"] == "function"
    assert metrics.deserialize(config).name == "sparse_categorical_accuracy"
