"""Keras 3 custom losses: `Loss` subclasses that implement `call`, plain functions given to
compile(), and Keras's lower-case loss functions (engine.losses.mean_squared_error ...).

Values are checked against hand computation, gradients against central differences, and
the tape path against the built-in losses' analytic path where both exist.
"""

import numpy as np
import pytest

import engine as keras
from engine import losses, ops, registry
from engine.errors import SpecError
from engine.layers.base import MaskedOutput

Y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], np.float32)
P = np.array([[0.2, 0.7, 0.1], [0.5, 0.3, 0.2]], np.float32)
PER_SAMPLE_MSE = np.mean((Y - P) ** 2, axis=-1)  # [0.0467, 0.1267]


class CallMSE(losses.Loss):
    """The Keras 3 way: only `call`, written with ops."""

    def call(self, y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)


def cubic_error(y_true, y_pred):
    """A non-quadratic function loss, so the gradient check is not trivially linear."""
    return ops.mean(ops.abs(y_true - y_pred) ** 3 + ops.sin(y_pred), axis=-1)


def numeric_gradient(f, p, eps=1e-6):
    """Central differences of the scalar `f(p)` (float64)."""
    grad = np.zeros_like(p)
    for index in np.ndindex(p.shape):
        plus, minus = p.copy(), p.copy()
        plus[index] += eps
        minus[index] -= eps
        grad[index] = (f(plus) - f(minus)) / (2 * eps)
    return grad


# ----- values -------------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction, expected", [
    ("sum_over_batch_size", PER_SAMPLE_MSE.mean()),
    ("mean", PER_SAMPLE_MSE.mean()),
    ("sum", PER_SAMPLE_MSE.sum()),
    ("none", PER_SAMPLE_MSE),
])
def test_that_a_call_loss_is_reduced_as_keras_reduces_it(reduction, expected):
    value = CallMSE(reduction=reduction)(Y, P)
    assert isinstance(value, keras.ops.Tensor)
    np.testing.assert_allclose(value.numpy(), expected, rtol=1e-6)


def test_that_sample_weights_weigh_each_sample_and_mean_with_sample_weight_divides_by_them():
    w = np.array([2.0, 0.5], np.float32)
    weighted = PER_SAMPLE_MSE * w
    np.testing.assert_allclose(float(CallMSE()(Y, P, sample_weight=w)), weighted.sum() / 2,
                               rtol=1e-6)
    np.testing.assert_allclose(
        float(CallMSE(reduction="mean_with_sample_weight")(Y, P, sample_weight=w)),
        weighted.sum() / w.sum(), rtol=1e-6)
    np.testing.assert_allclose(CallMSE(reduction="none")(Y, P, sample_weight=w).numpy(),
                               weighted, rtol=1e-6)


def test_that_a_call_loss_returning_a_batch_mean_is_broadcast_over_the_sample_weights():
    class BatchMean(losses.Loss):  # the TensorFlow-era guide's loss: one value per batch
        def call(self, y_true, y_pred):
            return ops.mean(ops.square(y_true - y_pred))

    w = np.array([3.0, 1.0], np.float32)
    batch_mean = np.mean((Y - P) ** 2)
    np.testing.assert_allclose(float(BatchMean()(Y, P)), batch_mean, rtol=1e-6)
    np.testing.assert_allclose(float(BatchMean()(Y, P, sample_weight=w)),
                               batch_mean * w.mean(), rtol=1e-6)


def test_that_a_keras_mask_on_the_predictions_leaves_masked_samples_out_of_the_average():
    masked = np.asarray(P).view(MaskedOutput)
    masked._keras_mask = np.array([True, False])
    np.testing.assert_allclose(float(CallMSE()(Y, masked)), PER_SAMPLE_MSE[0], rtol=1e-5)
    np.testing.assert_allclose(float(CallMSE(reduction="sum")(Y, masked)), PER_SAMPLE_MSE[0],
                               rtol=1e-5)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none",
                                       "mean_with_sample_weight"])
def test_that_the_tape_path_gives_the_built_in_value_and_gradient(reduction):
    w = np.array([2.0, 0.5], np.float32)
    mine = CallMSE(reduction=reduction).value_and_gradient(Y, P, sample_weight=w)
    built_in = losses.MeanSquaredError(reduction=reduction).value_and_gradient(
        Y, P, sample_weight=w)
    np.testing.assert_allclose(mine[0], built_in[0], rtol=1e-6)
    np.testing.assert_allclose(mine[1], built_in[1], rtol=1e-5, atol=1e-7)


# ----- gradients --------------------------------------------------------------------------------
@pytest.mark.parametrize("sample_weight", [None, np.array([0.3, 2.0])])
def test_that_the_gradient_of_a_function_loss_matches_central_differences(sample_weight):
    rng = np.random.default_rng(0)
    y, p = rng.random((2, 4)), rng.random((2, 4))
    loss = losses.LossFunctionWrapper(cubic_error, dtype="float64")  # float64 for the check
    value, grad = loss.value_and_gradient(y, p, sample_weight=sample_weight)
    numeric = numeric_gradient(lambda q: float(loss(y, q, sample_weight)), p)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)
    assert float(value) == pytest.approx(float(loss(y, p, sample_weight)))


def test_that_a_call_loss_is_differentiable_under_the_users_own_tape():
    pred = ops.convert_to_tensor(P)
    with keras.GradientTape() as tape:
        tape.watch(pred)
        value = CallMSE()(Y, pred)
    np.testing.assert_allclose(tape.gradient(value, pred).numpy(),
                               CallMSE().value_and_gradient(Y, P)[1], rtol=1e-6)


def test_that_a_loss_that_ignores_the_predictions_has_a_zero_gradient():
    class Constant(losses.Loss):
        def call(self, y_true, y_pred):
            return ops.sum(y_true, axis=-1)

    value, grad = Constant().value_and_gradient(Y, P)
    assert float(value) == pytest.approx(1.0)  # each one-hot row sums to 1
    assert grad.shape == P.shape and not grad.any()


# ----- Keras's lower-case functions --------------------------------------------------------------
_RNG = np.random.default_rng(1)
_PROBS = _RNG.dirichlet(np.ones(4), size=3)
_ONE_HOT = np.eye(4)[[0, 2, 3]]
_SIGNED = np.where(_RNG.random((3, 4)) > 0.5, 1.0, -1.0)
FUNCTION_CASES = {  # name: (y_true, y_pred, kwargs)
    "mean_squared_error": (_RNG.random((3, 4)), _RNG.random((3, 4)), {}),
    "mean_absolute_error": (_RNG.random((3, 4)), _RNG.random((3, 4)) + 1.0, {}),
    "mean_absolute_percentage_error": (_RNG.random((3, 4)) + 1, _RNG.random((3, 4)) * 3, {}),
    "mean_squared_logarithmic_error": (_RNG.random((3, 4)), _RNG.random((3, 4)), {}),
    "cosine_similarity": (_RNG.random((3, 4)), _RNG.random((3, 4)), {}),
    "huber": (_RNG.random((3, 4)), _RNG.random((3, 4)) * 3, {"delta": 0.5}),
    "log_cosh": (_RNG.random((3, 4)), _RNG.random((3, 4)), {}),
    "kl_divergence": (_PROBS[::-1], _PROBS, {}),
    "poisson": (_RNG.random((3, 4)), _RNG.random((3, 4)) + 0.1, {}),
    "hinge": (_SIGNED, _RNG.random((3, 4)) * 0.8, {}),
    "squared_hinge": (_SIGNED, _RNG.random((3, 4)) * 0.8, {}),
    "categorical_hinge": (_ONE_HOT, _RNG.random((3, 4)), {}),
    "categorical_crossentropy": (_ONE_HOT, _PROBS, {}),
    "sparse_categorical_crossentropy": (np.array([0, 2, 3]), _PROBS, {}),
    "binary_crossentropy": ((_RNG.random((3, 4)) > 0.5) * 1.0, _PROBS, {}),
    "binary_focal_crossentropy": ((_RNG.random((3, 4)) > 0.5) * 1.0, _PROBS, {"gamma": 1.5}),
    "categorical_focal_crossentropy": (_ONE_HOT, _PROBS, {}),
    "dice": (_ONE_HOT, _PROBS, {"axis": 1}),
    "tversky": (_ONE_HOT, _PROBS, {"alpha": 0.3, "beta": 0.7, "axis": 1}),
}


@pytest.mark.parametrize("name", sorted(FUNCTION_CASES))
def test_that_each_lower_case_function_gives_per_sample_values_with_a_true_gradient(name):
    y, p, kwargs = FUNCTION_CASES[name]
    fn = getattr(losses, name)
    values = fn(y, p, **kwargs)
    assert isinstance(values, keras.ops.Tensor) and values.shape == (3,)
    weights = np.array([0.5, 1.0, 2.0])  # an upstream gradient that is not all ones

    pred = ops.convert_to_tensor(p)
    with keras.GradientTape() as tape:
        tape.watch(pred)
        total = ops.sum(fn(y, pred, **kwargs) * weights)
    numeric = numeric_gradient(lambda q: float(np.sum(fn(y, q, **kwargs).numpy() * weights)), p)
    np.testing.assert_allclose(tape.gradient(total, pred).numpy(), numeric, rtol=1e-4,
                               atol=1e-7)


def test_that_lower_case_functions_give_kerass_documented_values():
    # keras/src/losses/losses.py docstring: binary_crossentropy -> [0.916, 0.714]
    bce = losses.binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    np.testing.assert_allclose(bce.numpy(), [0.916, 0.714], atol=1e-3)
    np.testing.assert_allclose(losses.mean_squared_error(Y, P).numpy(), PER_SAMPLE_MSE,
                               rtol=1e-6)
    sce = losses.sparse_categorical_crossentropy(np.array([1, 0]), P)
    np.testing.assert_allclose(sce.numpy(), -np.log([0.7, 0.5]), rtol=1e-6)


def test_that_a_crossentropy_function_refuses_a_class_axis_it_cannot_use():
    with pytest.raises(SpecError, match="axis=-1"):
        losses.categorical_crossentropy(Y, P, axis=0)


# ----- names, reductions, configs ----------------------------------------------------------------
def test_that_names_follow_keras():
    assert CallMSE().name == "call_mse"  # snake case of the class, as Keras's auto_name
    assert CallMSE(name="mine").name == "mine"
    assert losses.LossFunctionWrapper(cubic_error).name == "loss_function_wrapper"
    assert losses.get(cubic_error).name == "cubic_error"  # what compile() makes of it


def test_that_an_engine_function_given_to_compile_keeps_the_analytic_fast_path():
    loss = losses.get(losses.sparse_categorical_crossentropy)
    assert type(loss) is losses.SparseCategoricalCrossentropy
    assert loss.name == "sparse_categorical_crossentropy"


def test_that_an_unknown_reduction_is_refused_with_the_valid_ones():
    with pytest.raises(SpecError, match="sum_over_batch_size"):
        CallMSE(reduction="average")
    assert CallMSE(reduction=None).reduction == "none"


def test_that_configs_hold_name_reduction_and_a_non_default_dtype():
    assert CallMSE(name="m", reduction="sum").get_config() == {"name": "m", "reduction": "sum"}
    config = CallMSE(dtype="float64").get_config()
    assert config["dtype"] == "float64"
    assert CallMSE.from_config(config).get_config() == config
    with pytest.raises(SpecError, match="float dtype"):
        CallMSE(dtype="int32")


def test_that_a_call_loss_computes_in_its_dtype():
    value = CallMSE(dtype="float64")(Y, P)
    assert value.dtype == np.float64


def test_that_a_loss_subclass_without_call_says_to_implement_call():
    class Nothing(losses.Loss):
        pass

    with pytest.raises(NotImplementedError, match=r"call\(self, y_true, y_pred\)"):
        Nothing()(Y, P)


def test_that_a_function_is_serialized_by_name_and_found_again():
    config = losses.serialize(losses.mean_squared_error)
    assert config == {"module": "engine.losses.wrappers", "class_name": "function",
                      "config": "mean_squared_error", "registered_name": "mean_squared_error"}
    assert type(losses.deserialize(config)) is losses.MeanSquaredError

    wrapper = losses.LossFunctionWrapper(cubic_error, reduction="sum", name="cube")
    config = wrapper.get_config()
    assert config["fn"]["config"] == "cubic_error" and config["reduction"] == "sum"
    with pytest.raises(SpecError, match="custom_objects"):
        losses.deserialize({"class_name": "LossFunctionWrapper", "config": config})
    registry.set_scope_objects({"cubic_error": cubic_error})
    try:
        again = losses.deserialize({"class_name": "LossFunctionWrapper", "config": config})
    finally:
        registry.set_scope_objects({})
    assert again.fn is cubic_error and again.name == "cube" and again.reduction == "sum"


# ----- in compile / fit -------------------------------------------------------------------------
def _model(units=3, activation=None, seed=0):
    keras.backend.set_seed(seed)
    inputs = keras.Input(shape=(4,))
    outputs = keras.layers.Dense(units, activation=activation)(inputs)
    return keras.Model(inputs, outputs)


def test_that_a_function_loss_trains_exactly_as_the_built_in_with_sample_weights():
    rng = np.random.default_rng(0)
    x, y = rng.random((8, 4)), rng.random((8, 3))
    w = rng.random(8) * 2
    steps = []
    for loss in ("mse", lambda t, p: ops.mean(ops.square(t - p), axis=-1)):
        model = _model()
        model.compile(optimizer="sgd", loss=loss)
        logged = model.train_on_batch(x, y, sample_weight=w)
        steps.append((logged, model.get_weights()))
    np.testing.assert_allclose(steps[0][0], steps[1][0], rtol=1e-6)
    for a, b in zip(steps[0][1], steps[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_that_a_custom_sparse_loss_trains_without_the_built_in_label_checks():
    def my_sparse_ce(y_true, y_pred):
        return ops.sparse_categorical_crossentropy(y_true, y_pred)

    rng = np.random.default_rng(0)
    x, y = rng.random((16, 4)), rng.integers(0, 3, 16)
    model = _model(activation="softmax")
    model.compile(optimizer="adam", loss=my_sparse_ce)
    history = model.fit(x, y, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    expected = -np.log(model.predict(x, verbose=0)[np.arange(16), y]).mean()
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), expected, rtol=1e-5)


def test_that_compile_without_a_loss_is_accepted_and_marked_empty():
    model = _model()
    model.compile(optimizer="adam")
    assert model._compiled_loss.empty
    model.compile(optimizer="adam", loss="mse")
    assert not model._compiled_loss.empty


def test_that_compile_config_stores_a_loss_function_by_name_only():
    model = _model()
    model.compile(optimizer="adam", loss=cubic_error, metrics=[losses.mean_absolute_error])
    assert model.compile_config["loss"] == {
        "module": __name__, "class_name": "function", "config": "cubic_error",
        "registered_name": None}
    # Keras's own functions are stored as their names, which Keras and the engine both read.
    assert model.compile_config["metrics"] == ["mean_absolute_error"]
    model.compile(optimizer="adam", loss=losses.huber)
    assert model.compile_config["loss"] == "huber"


# ----- GPU ------------------------------------------------------------------------------------
@pytest.mark.gpu
def test_that_a_call_loss_and_a_variable_metric_work_on_cupy():
    import cupy

    w = np.array([2.0, 0.5], np.float32)
    value, grad = CallMSE().value_and_gradient(cupy.asarray(Y), cupy.asarray(P),
                                               sample_weight=cupy.asarray(w))
    expected = losses.MeanSquaredError().value_and_gradient(Y, P, sample_weight=w)
    assert isinstance(grad, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(value), expected[0], rtol=1e-5)
    np.testing.assert_allclose(grad.get(), expected[1], rtol=1e-4, atol=1e-7)

    class Total(keras.metrics.Metric):
        def __init__(self, name="total"):
            super().__init__(name=name)
            self.total = self.add_variable(shape=(), initializer="zeros", name="total")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.total.assign_add(ops.sum(y_pred))

        def result(self):
            return self.total

    rng = np.random.default_rng(0)
    x, y = rng.random((8, 4)).astype("float32"), rng.random((8, 3)).astype("float32")
    model = _model()
    model.compile(optimizer="adam", loss=cubic_error, metrics=[Total()], device="gpu")
    history = model.fit(x, y, epochs=2, verbose=0)
    assert all(type(v) is float for v in history.history["total"])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["total"] == pytest.approx(float(model.predict(x, verbose=0).sum()), rel=1e-4)
