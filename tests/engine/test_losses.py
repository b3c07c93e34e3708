"""Losses: Keras values, reductions, analytic gradients (vs central differences), fused
softmax/sigmoid gradients, lookup by name and errors written for people."""

import json
import math

import numpy as np
import pytest

from engine import losses, registry
from engine.errors import DataError, ShapeError, SpecError

EPS = 1e-7


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def numeric_gradient(f, x, eps=1e-6):
    """Central differences of the scalar f(x) with respect to every entry of x (float64)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        original = x[index]
        x[index] = original + eps
        plus = float(np.sum(f(x)))
        x[index] = original - eps
        minus = float(np.sum(f(x)))
        x[index] = original
        grad[index] = (plus - minus) / (2 * eps)
    return grad


@pytest.fixture
def onehot():
    return np.eye(3)[[0, 1, 2, 1]]


@pytest.fixture
def probs(rng):
    return softmax(rng.normal(size=(4, 3)))


# ----- values against hand computations and direct NumPy formulas -----------------------------
def test_categorical_crossentropy_is_minus_log_of_the_true_class_probability():
    y = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    p = np.array([[0.1, 0.7, 0.2], [0.3, 0.3, 0.4]])
    loss = losses.CategoricalCrossentropy()(y, p)
    assert loss == pytest.approx((-math.log(0.7) - math.log(0.4)) / 2)


def test_categorical_crossentropy_renormalises_probabilities_like_keras():
    y = np.array([[0.0, 1.0]])
    assert losses.CategoricalCrossentropy()(y, np.array([[1.0, 3.0]])) == pytest.approx(
        -math.log(0.75))


def test_that_perfect_predictions_give_almost_zero_crossentropy(onehot):
    assert losses.CategoricalCrossentropy()(onehot, onehot) == pytest.approx(-math.log(1 - EPS))
    assert losses.BinaryCrossentropy()(onehot, onehot) == pytest.approx(-math.log(1 - EPS))
    labels = onehot.argmax(axis=1)
    assert losses.SparseCategoricalCrossentropy()(labels, onehot) == pytest.approx(
        -math.log(1 - EPS))


def test_that_probabilities_of_exactly_zero_are_clipped_to_epsilon():
    y = np.array([[1.0, 0.0, 0.0]])
    p = np.array([[0.0, 1.0, 0.0]])
    assert losses.CategoricalCrossentropy()(y, p) == pytest.approx(-math.log(EPS))
    value = losses.BinaryCrossentropy()(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))
    assert value == pytest.approx(-math.log(EPS), rel=1e-6)
    assert np.isfinite(value)


def test_categorical_label_smoothing_moves_targets_toward_uniform(onehot, probs):
    ls = 0.1
    smoothed = onehot * (1 - ls) + ls / 3
    expected = np.mean(-(smoothed * np.log(probs)).sum(axis=1))
    loss = losses.CategoricalCrossentropy(label_smoothing=ls)(onehot, probs)
    assert loss == pytest.approx(expected)


def test_binary_label_smoothing_moves_targets_toward_one_half():
    y = np.array([[1.0], [0.0]])
    p = np.array([[0.8], [0.3]])
    t = y * 0.8 + 0.1
    expected = np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p)))
    assert losses.BinaryCrossentropy(label_smoothing=0.2)(y, p) == pytest.approx(expected)


def test_that_from_logits_equals_the_probability_path(rng, onehot):
    z = rng.normal(size=(4, 3))
    cce = losses.CategoricalCrossentropy(from_logits=True)(onehot, z)
    assert cce == pytest.approx(losses.CategoricalCrossentropy()(onehot, softmax(z)))
    labels = onehot.argmax(axis=1)
    scce = losses.SparseCategoricalCrossentropy(from_logits=True)(labels, z)
    assert scce == pytest.approx(cce)
    y = (rng.random((4, 3)) > 0.5).astype(float)
    bce = losses.BinaryCrossentropy(from_logits=True)(y, z)
    assert bce == pytest.approx(losses.BinaryCrossentropy()(y, sigmoid(z)))


def test_that_binary_crossentropy_from_logits_is_stable_for_huge_logits():
    z = np.array([[1000.0, -1000.0]])
    value = losses.BinaryCrossentropy(from_logits=True)(np.array([[0.0, 1.0]]), z)
    assert value == pytest.approx(1000.0)


def test_sparse_crossentropy_equals_categorical_for_every_label_layout(onehot, probs):
    expected = losses.CategoricalCrossentropy()(onehot, probs)
    labels = onehot.argmax(axis=1)
    scce = losses.SparseCategoricalCrossentropy()
    for layout in (labels, labels[:, None], labels.astype(np.float32), list(labels)):
        assert scce(layout, probs) == pytest.approx(expected)


def test_sparse_crossentropy_ignore_class_averages_over_the_other_samples(probs):
    labels = np.array([0, -1, 2, -1])
    loss = losses.SparseCategoricalCrossentropy(ignore_class=-1)(labels, probs)
    expected = -(np.log(probs[0, 0]) + np.log(probs[2, 2])) / (2 + EPS)
    assert loss == pytest.approx(expected)
    per_sample = losses.SparseCategoricalCrossentropy(ignore_class=-1).call(labels, probs)
    assert per_sample[1] == 0.0 and per_sample[3] == 0.0


def test_binary_crossentropy_on_one_class_targets_matches_the_formula(rng):
    y = np.ones((5, 1))
    p = rng.uniform(0.1, 0.9, size=(5, 1))
    assert losses.BinaryCrossentropy()(y, p) == pytest.approx(np.mean(-np.log(p)))
    # targets of shape (batch,) next to predictions of shape (batch, 1), as Keras
    assert losses.BinaryCrossentropy()(y[:, 0], p) == pytest.approx(np.mean(-np.log(p)))


def _regression_cases(y, p):
    e = p - y
    return {
        "mean_squared_error": np.mean(e**2, axis=-1),
        "mean_absolute_error": np.mean(abs(e), axis=-1),
        "mean_absolute_percentage_error": 100 * np.mean(abs(e) / np.maximum(abs(y), EPS),
                                                        axis=-1),
        "mean_squared_logarithmic_error": np.mean(
            (np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(y, EPS) + 1)) ** 2, axis=-1),
        "log_cosh": np.mean(np.log(np.cosh(e)), axis=-1),
        "poisson": np.mean(p - y * np.log(p + EPS), axis=-1),
        "kl_divergence": np.sum(np.clip(y, EPS, 1) * np.log(np.clip(y, EPS, 1)
                                                            / np.clip(p, EPS, 1)), axis=-1),
    }


def test_regression_losses_match_their_numpy_formulas(rng):
    y = rng.uniform(0.1, 2.0, size=(5, 3))
    p = rng.uniform(0.1, 2.0, size=(5, 3))
    for name, expected in _regression_cases(y, p).items():
        loss = losses.get(name)
        np.testing.assert_allclose(loss.call(y, p), expected, rtol=1e-10, err_msg=name)
        assert loss(y, p) == pytest.approx(expected.mean()), name


def test_that_perfect_regression_predictions_give_zero_loss():
    y = np.array([[1.0, 2.0], [3.0, 4.0]])
    for name in ("mse", "mae", "mape", "msle", "huber", "log_cosh"):
        assert losses.get(name)(y, y) == pytest.approx(0.0, abs=1e-12), name


def test_huber_is_quadratic_inside_delta_and_linear_outside():
    y = np.zeros((1, 2))
    p = np.array([[0.5, 3.0]])
    assert losses.Huber(delta=4.0)(y, p) == pytest.approx((0.5 * 0.5**2 + 0.5 * 3.0**2) / 2)
    assert losses.Huber(delta=2.0)(y, p) == pytest.approx((0.125 + 2.0 * 3.0 - 0.5 * 4.0) / 2)
    assert losses.Huber()(y, p) == pytest.approx((0.125 + 3.0 - 0.5) / 2)


def test_hinge_converts_zero_one_labels_to_plus_minus_one():
    p = np.array([[0.3, -0.8]])
    zero_one = losses.Hinge()(np.array([[1.0, 0.0]]), p)
    plus_minus = losses.Hinge()(np.array([[1.0, -1.0]]), p)
    assert zero_one == pytest.approx(plus_minus)
    assert zero_one == pytest.approx(np.mean([1 - 0.3, max(1 - 0.8, 0)]))
    squared = losses.SquaredHinge()(np.array([[1.0, -1.0]]), p)
    assert squared == pytest.approx(np.mean([0.7**2, 0.2**2]))


def test_categorical_hinge_formula():
    y = np.array([[0.0, 1.0, 0.0]])
    p = np.array([[0.5, 0.3, 0.2]])
    assert losses.CategoricalHinge()(y, p) == pytest.approx(0.5 - 0.3 + 1.0)


def test_cosine_similarity_is_minus_one_for_aligned_vectors():
    y = np.array([[1.0, 2.0], [1.0, 0.0]])
    p = np.array([[2.0, 4.0], [0.0, 3.0]])
    assert list(losses.CosineSimilarity().call(y, p)) == pytest.approx([-1.0, 0.0])
    assert losses.CosineSimilarity()(y, np.zeros((2, 2))) == 0.0


def test_cosine_similarity_along_another_axis():
    y = np.array([[1.0, 0.0], [0.0, 1.0]])
    p = np.array([[1.0, 1.0], [0.0, 1.0]])
    assert list(losses.CosineSimilarity(axis=0).call(y, p)) == pytest.approx(
        [-1.0, -1 / math.sqrt(2)])


# ----- reductions and sample weights ----------------------------------------------------------
def test_reductions_follow_keras(rng):
    y = rng.normal(size=(4, 2))
    p = rng.normal(size=(4, 2))
    w = np.array([1.0, 0.0, 2.0, 0.5])
    per_sample = np.mean((y - p) ** 2, axis=1)

    def mse(reduction):
        return losses.MeanSquaredError(reduction=reduction)(y, p, sample_weight=w)

    assert mse("sum_over_batch_size") == pytest.approx((per_sample * w).sum() / 4)
    assert mse("mean") == pytest.approx((per_sample * w).sum() / 4)
    assert mse("sum") == pytest.approx((per_sample * w).sum())
    assert mse("mean_with_sample_weight") == pytest.approx((per_sample * w).sum() / w.sum())
    np.testing.assert_allclose(mse("none"), per_sample * w)
    np.testing.assert_allclose(mse(None), per_sample * w)
    assert losses.MeanSquaredError(reduction=None).reduction == "none"


def test_that_sum_over_batch_size_divides_by_the_number_of_values_not_the_weights(rng):
    y, p = rng.normal(size=(4, 1)), rng.normal(size=(4, 1))
    unweighted = losses.MeanSquaredError()(y, p)
    assert losses.MeanSquaredError()(y, p, sample_weight=0.5) == pytest.approx(unweighted / 2)


def test_that_sample_weight_layouts_agree(rng):
    y, p = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    w = np.array([1.0, 2.0, 3.0, 4.0])
    loss = losses.MeanAbsoluteError()
    assert loss(y, p, sample_weight=w) == pytest.approx(loss(y, p, sample_weight=w[:, None]))
    assert loss(y, p, sample_weight=list(w)) == pytest.approx(loss(y, p, sample_weight=w))


def test_that_weights_per_time_step_align_with_the_batch_axis(rng):
    y, p = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 3))
    per_value = np.mean((y - p) ** 2, axis=-1)
    w = np.array([2.0, 0.0])
    got = losses.MeanSquaredError()(y, p, sample_weight=w)
    assert got == pytest.approx((per_value * w[:, None]).sum() / per_value.size)


def test_mean_with_sample_weight_of_all_zero_weights_is_zero(rng):
    y, p = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    loss = losses.MeanSquaredError(reduction="mean_with_sample_weight")
    assert loss(y, p, sample_weight=np.zeros(3)) == 0.0


def test_that_the_loss_is_a_zero_d_array_in_the_dtype_of_y_pred(onehot, probs):
    for dtype in (np.float32, np.float64):
        value = losses.CategoricalCrossentropy()(onehot, probs.astype(dtype))
        assert isinstance(value, np.ndarray) and value.shape == () and value.dtype == dtype
        value, grad = losses.MeanSquaredError().value_and_gradient(onehot, probs.astype(dtype))
        assert value.dtype == dtype and grad.dtype == dtype
    labels = np.array([0, 1, 2, 1])
    value = losses.SparseCategoricalCrossentropy()(labels, probs.astype(np.float32))
    assert value.dtype == np.float32


def test_call_returns_one_loss_per_sample(onehot, probs):
    for name in losses.NAMES:
        y = onehot.argmax(axis=1) if name.startswith("sparse") else onehot
        assert losses.get(name).call(y, probs).shape == (4,), name


# ----- analytic gradients against central differences (float64) -------------------------------
def _positive(rng, shape):
    return rng.uniform(0.05, 0.95, size=shape)


GRADIENT_CASES = [
    ("cce", lambda: losses.CategoricalCrossentropy(), "onehot", "probs"),
    ("cce_unnormalised", lambda: losses.CategoricalCrossentropy(), "onehot", "positive"),
    ("cce_smooth", lambda: losses.CategoricalCrossentropy(label_smoothing=0.2), "onehot",
     "probs"),
    ("cce_logits", lambda: losses.CategoricalCrossentropy(from_logits=True,
                                                          label_smoothing=0.1), "onehot",
     "normal"),
    ("scce", lambda: losses.SparseCategoricalCrossentropy(), "labels", "positive"),
    ("scce_logits", lambda: losses.SparseCategoricalCrossentropy(from_logits=True), "labels",
     "normal"),
    ("scce_ignore", lambda: losses.SparseCategoricalCrossentropy(ignore_class=1), "labels",
     "probs"),
    ("scce_ignore_logits", lambda: losses.SparseCategoricalCrossentropy(
        from_logits=True, ignore_class=2), "labels", "normal"),
    ("bce", lambda: losses.BinaryCrossentropy(), "binary", "positive"),
    ("bce_smooth", lambda: losses.BinaryCrossentropy(label_smoothing=0.1), "binary",
     "positive"),
    ("bce_logits", lambda: losses.BinaryCrossentropy(from_logits=True), "soft", "normal"),
    ("mse", lambda: losses.MeanSquaredError(), "normal", "normal"),
    ("mae", lambda: losses.MeanAbsoluteError(), "normal", "normal"),
    ("mape", lambda: losses.MeanAbsolutePercentageError(), "normal", "normal"),
    ("msle", lambda: losses.MeanSquaredLogarithmicError(), "positive", "positive"),
    ("huber", lambda: losses.Huber(delta=0.7), "normal", "normal"),
    ("log_cosh", lambda: losses.LogCosh(), "normal", "normal"),
    ("kld", lambda: losses.KLDivergence(), "probs", "probs"),
    ("poisson", lambda: losses.Poisson(), "positive", "positive"),
    ("hinge", lambda: losses.Hinge(), "binary", "normal"),
    ("hinge_signed", lambda: losses.Hinge(), "signed", "normal"),
    ("squared_hinge", lambda: losses.SquaredHinge(), "binary", "normal"),
    ("categorical_hinge", lambda: losses.CategoricalHinge(), "onehot", "normal"),
    ("cosine", lambda: losses.CosineSimilarity(), "normal", "normal"),
    ("cosine_axis0", lambda: losses.CosineSimilarity(axis=0), "normal", "normal"),
]


def _data(kind, rng, shape=(4, 3)):
    if kind == "onehot":
        return np.eye(shape[1])[rng.integers(0, shape[1], shape[0])]
    if kind == "labels":
        return np.array([0, 1, 2, 1])
    if kind == "probs":
        return softmax(rng.normal(size=shape))
    if kind == "positive":
        return _positive(rng, shape)
    if kind == "binary":
        return (rng.random(shape) > 0.5).astype(float)
    if kind == "signed":
        return np.where(rng.random(shape) > 0.5, 1.0, -1.0)
    if kind == "soft":
        return rng.random(shape)
    return rng.normal(size=shape)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight",
                                       "none"])
@pytest.mark.parametrize("case", GRADIENT_CASES, ids=[c[0] for c in GRADIENT_CASES])
def test_value_and_gradient_matches_central_differences(case, reduction, rng):
    _, make, true_kind, pred_kind = case
    loss = make()
    loss.reduction = reduction
    y_true, y_pred = _data(true_kind, rng), _data(pred_kind, rng)
    weights = rng.uniform(0.5, 2.0, size=loss.call(y_true, y_pred).shape)
    value, grad = loss.value_and_gradient(y_true, y_pred, sample_weight=weights)
    np.testing.assert_allclose(value, loss(y_true, y_pred, sample_weight=weights))
    expected = numeric_gradient(lambda p: loss(y_true, p, sample_weight=weights), y_pred)
    assert grad.shape == y_pred.shape
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-7)


def test_gradient_without_sample_weight_and_with_a_trailing_axis(rng):
    loss = losses.MeanSquaredError()
    y, p = rng.normal(size=(4,)), rng.normal(size=(4, 1))  # targets expanded to (4, 1)
    value, grad = loss.value_and_gradient(y, p)
    assert grad.shape == (4, 1)
    np.testing.assert_allclose(grad, numeric_gradient(lambda q: loss(y, q), p), rtol=1e-6)


def test_that_the_clipped_region_gets_no_gradient():
    y = np.array([[1.0, 0.0, 0.0]])
    p = np.array([[0.0, 1.0, 0.0]])
    _, grad = losses.CategoricalCrossentropy().value_and_gradient(y, p)
    np.testing.assert_array_equal(grad, np.zeros_like(grad))
    _, grad = losses.BinaryCrossentropy().value_and_gradient(np.array([[1.0, 0.0]]),
                                                             np.array([[0.0, 1.0]]))
    np.testing.assert_array_equal(grad, np.zeros_like(grad))
    _, grad = losses.BinaryCrossentropy().value_and_gradient(np.array([[1.0, 0.0]]),
                                                             np.array([[0.5, 1.0]]))
    assert grad[0, 0] == pytest.approx(-1.0 / 0.5 / 2) and grad[0, 1] == 0.0


# ----- fused softmax / sigmoid gradients ------------------------------------------------------
FUSED_CASES = [
    ("cce", lambda: losses.CategoricalCrossentropy(), "onehot", softmax),
    ("cce_smooth", lambda: losses.CategoricalCrossentropy(label_smoothing=0.2), "onehot",
     softmax),
    ("scce", lambda: losses.SparseCategoricalCrossentropy(), "labels", softmax),
    ("scce_ignore", lambda: losses.SparseCategoricalCrossentropy(ignore_class=0), "labels",
     softmax),
    ("bce", lambda: losses.BinaryCrossentropy(), "binary", sigmoid),
    ("bce_smooth", lambda: losses.BinaryCrossentropy(label_smoothing=0.1), "soft", sigmoid),
]


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight"])
@pytest.mark.parametrize("case", FUSED_CASES, ids=[c[0] for c in FUSED_CASES])
def test_logits_gradient_equals_the_chain_rule_through_the_activation(case, reduction, rng):
    _, make, true_kind, activation = case
    loss = make()
    loss.reduction = reduction
    y_true, logits = _data(true_kind, rng), rng.normal(size=(4, 3))
    weights = rng.uniform(0.5, 2.0, size=4)
    value, grad = loss.value_and_logits_gradient(y_true, activation(logits),
                                                 sample_weight=weights)
    assert value == pytest.approx(float(loss(y_true, activation(logits), sample_weight=weights)))
    expected = numeric_gradient(
        lambda z: loss(y_true, activation(z), sample_weight=weights), logits)
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-7)


def test_fused_activation_names():
    assert losses.CategoricalCrossentropy.FUSED_ACTIVATION == "softmax"
    assert losses.SparseCategoricalCrossentropy.FUSED_ACTIVATION == "softmax"
    assert losses.BinaryCrossentropy.FUSED_ACTIVATION == "sigmoid"
    others = [c for c in registry.classes("loss") if c.FUSED_ACTIVATION is None]
    assert len(others) == len(losses.NAMES) - 3
    assert not any(hasattr(c, "value_and_logits_gradient") for c in others)


def test_that_the_logits_gradient_refuses_from_logits_losses(onehot, probs):
    with pytest.raises(SpecError, match="value_and_gradient"):
        losses.CategoricalCrossentropy(from_logits=True).value_and_logits_gradient(onehot,
                                                                                   probs)


# ----- lookup, configs ------------------------------------------------------------------------
@pytest.mark.parametrize("alias, cls", [
    ("mse", losses.MeanSquaredError), ("MSE", losses.MeanSquaredError),
    ("mae", losses.MeanAbsoluteError), ("mape", losses.MeanAbsolutePercentageError),
    ("msle", losses.MeanSquaredLogarithmicError), ("bce", losses.BinaryCrossentropy),
    ("kld", losses.KLDivergence), ("huber_loss", losses.Huber),
    ("categorical_crossentropy", losses.CategoricalCrossentropy),
    ("SparseCategoricalCrossentropy", losses.SparseCategoricalCrossentropy),
])
def test_get_resolves_names_aliases_and_class_names(alias, cls):
    assert type(losses.get(alias)) is cls


def test_get_accepts_configs_classes_instances_and_none():
    loss = losses.get({"class_name": "CategoricalCrossentropy",
                       "config": {"from_logits": True, "label_smoothing": 0.1}})
    assert loss.from_logits is True and loss.label_smoothing == 0.1
    assert losses.get(loss) is loss
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    assert losses.get(None) is None


def test_that_an_unknown_loss_lists_the_valid_names():
    with pytest.raises(SpecError, match="Unknown loss 'categorical_crossentropie'") as info:
        losses.get("categorical_crossentropy".replace("y", "ie"))
    assert "Did you mean 'categorical_crossentropy'" in str(info.value)
    assert "'mean_squared_error'" in str(info.value)
    with pytest.raises(SpecError, match="Unknown loss"):
        losses.get({"class_name": "os.system", "config": {}})
    with pytest.raises(SpecError):
        losses.get(3)


@pytest.mark.parametrize("name", losses.NAMES)
def test_config_round_trip_and_params_match_config_keys(name):
    loss = losses.get(name)
    config = loss.get_config()
    assert {p.name for p in type(loss).PARAMS} == set(config) - {"name"}
    json.dumps(config)
    rebuilt = losses.deserialize(json.loads(json.dumps(losses.serialize(loss))))
    assert type(rebuilt) is type(loss) and rebuilt.get_config() == config


def test_default_names_are_the_keras_names():
    assert losses.Huber().name == "huber_loss"
    assert losses.KLDivergence().name == "kl_divergence"
    assert losses.MeanSquaredError(name="my_loss").name == "my_loss"


def test_bad_arguments_raise_spec_errors():
    with pytest.raises(SpecError, match="reduction"):
        losses.MeanSquaredError(reduction="average")
    with pytest.raises(SpecError, match="label_smoothing"):
        losses.CategoricalCrossentropy(label_smoothing=1.5)
    with pytest.raises(SpecError, match="from_logits"):
        losses.BinaryCrossentropy(from_logits="yes")
    with pytest.raises(SpecError, match="delta"):
        losses.Huber(delta=0.0)
    with pytest.raises(SpecError, match="Unrecognized keyword arguments"):
        losses.MeanSquaredError(axis=1)


# ----- errors for people ----------------------------------------------------------------------
def test_that_integer_labels_with_categorical_crossentropy_suggest_the_sparse_loss(rng):
    y = rng.integers(0, 10, size=(32, 1)).astype(float)
    p = softmax(rng.normal(size=(32, 10)))
    with pytest.raises(ShapeError) as info:
        losses.CategoricalCrossentropy()(y, p)
    message = str(info.value)
    assert message.startswith(
        "Arguments `target` and `output` must have the same shape. Received: "
        "target.shape=(32, 1), output.shape=(32, 10).")
    assert "sparse_categorical_crossentropy" in message and "one-hot" in message


def test_that_binary_crossentropy_on_many_outputs_explains_the_fix(rng):
    with pytest.raises(ShapeError, match="sparse_categorical_crossentropy"):
        losses.BinaryCrossentropy()(np.zeros((8, 1)), rng.random((8, 10)))


def test_that_regression_shape_mismatch_is_refused(rng):
    with pytest.raises(ShapeError, match=r"target.shape=\(8, 2\), output.shape=\(8, 3\)"):
        losses.MeanSquaredError().value_and_gradient(np.zeros((8, 2)), rng.random((8, 3)))


def test_that_sparse_labels_beyond_the_outputs_name_the_max_label_and_outputs(rng):
    p = softmax(rng.normal(size=(4, 10)))
    with pytest.raises(DataError) as info:
        losses.SparseCategoricalCrossentropy()(np.array([1, 12, 3, 10]), p)
    message = str(info.value)
    assert "12" in message and "10 outputs" in message and "Dense(13" in message


def test_that_negative_or_fractional_sparse_labels_are_refused(rng):
    p = softmax(rng.normal(size=(3, 4)))
    with pytest.raises(DataError, match="ignore_class=-1"):
        losses.SparseCategoricalCrossentropy()(np.array([0, -1, 2]), p)
    with pytest.raises(DataError, match="integer class indices"):
        losses.SparseCategoricalCrossentropy()(np.array([0.0, 1.5, 2.0]), p)


def test_that_the_label_check_can_be_skipped_after_validating_up_front(probs):
    loss = losses.SparseCategoricalCrossentropy()
    loss.validate_labels = False
    expected = losses.SparseCategoricalCrossentropy()(np.array([0, 1, 2, 1]), probs)
    assert loss(np.array([0.0, 1.0, 2.0, 1.0]), probs) == pytest.approx(expected)
    with pytest.raises(IndexError):  # no DataError: the check is off
        loss(np.array([0, 1, 7, 1]), probs)


def test_that_one_hot_targets_for_the_sparse_loss_suggest_the_categorical_loss(onehot, probs):
    with pytest.raises(ShapeError, match="same shape up until the last dimension") as info:
        losses.SparseCategoricalCrossentropy()(onehot, probs)
    assert "categorical_crossentropy" in str(info.value)


def test_that_categorical_crossentropy_on_one_output_warns_like_keras():
    with pytest.warns(UserWarning, match="Consider using 'binary_crossentropy'"):
        losses.CategoricalCrossentropy()(np.ones((2, 1)), np.full((2, 1), 0.5))


def test_that_a_sample_weight_of_the_wrong_size_is_refused(onehot, probs):
    with pytest.raises(ShapeError, match="sample_weight"):
        losses.CategoricalCrossentropy()(onehot, probs, sample_weight=np.ones(3))


# ----- GPU ------------------------------------------------------------------------------------
@pytest.mark.gpu
def test_that_losses_and_gradients_on_cupy_match_numpy(rng):
    import cupy

    y, z = np.eye(5)[rng.integers(0, 5, 16)], rng.normal(size=(16, 5)).astype(np.float32)
    labels, weights = y.argmax(axis=1), rng.uniform(0.5, 2.0, size=16)
    cases = [(losses.CategoricalCrossentropy(label_smoothing=0.1), y, softmax(z)),
             (losses.SparseCategoricalCrossentropy(from_logits=True), labels, z),
             (losses.BinaryCrossentropy(), (y > 0).astype(np.float32), sigmoid(z)),
             (losses.MeanSquaredError(), y, z), (losses.Hinge(), y, z),
             (losses.CosineSimilarity(), y, z)]
    for loss, y_true, y_pred in cases:
        y_pred = y_pred.astype(np.float32)
        value, grad = loss.value_and_gradient(y_true, y_pred, sample_weight=weights)
        gpu_value, gpu_grad = loss.value_and_gradient(
            cupy.asarray(y_true), cupy.asarray(y_pred), sample_weight=cupy.asarray(weights))
        assert isinstance(gpu_value, cupy.ndarray) and gpu_value.dtype == np.float32
        np.testing.assert_allclose(gpu_value.get(), value, rtol=1e-5)
        np.testing.assert_allclose(gpu_grad.get(), grad, rtol=1e-4, atol=1e-6)
    fused = losses.CategoricalCrossentropy()
    _, grad = fused.value_and_logits_gradient(y, softmax(z))
    _, gpu_grad = fused.value_and_logits_gradient(cupy.asarray(y), cupy.asarray(softmax(z)))
    np.testing.assert_allclose(gpu_grad.get(), grad, rtol=1e-4, atol=1e-6)
