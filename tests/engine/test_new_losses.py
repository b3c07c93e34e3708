"""Focal, Dice and Tversky losses: Keras's documented values, analytic gradients against
central differences (also through a fused sigmoid / softmax), names, configs and errors.

Golden values come from the docstrings of keras/src/losses/losses.py (Keras 3) and, where a
docstring gives none (Tversky, the focal `sample_weight` and label-smoothing cases), from
keras/src/losses/losses_test.py.
"""

import json

import numpy as np
import pytest

from engine import Input, Sequential, layers, losses
from engine.errors import ShapeError, SpecError


def softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def numeric_gradient(f, x, eps=1e-6):
    """Central differences of the scalar sum(f(x)) with respect to every entry of x."""
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


# ----- Keras's documented values --------------------------------------------------------------
BFCE_Y1, BFCE_P1 = np.array([0, 1, 0, 0]), np.array([-18.6, 0.51, 2.94, -12.8])
BFCE_Y2, BFCE_P2 = np.array([[0, 1], [0, 0]]), np.array([[-18.6, 0.51], [2.94, -12.8]])


@pytest.mark.parametrize("kwargs, y, p, weights, expected", [
    ({"gamma": 2}, BFCE_Y1, BFCE_P1, None, 0.691),
    ({"gamma": 2, "apply_class_balancing": True}, BFCE_Y1, BFCE_P1, None, 0.51),
    ({"gamma": 3}, BFCE_Y2, BFCE_P2, None, 0.647),
    ({"gamma": 3, "apply_class_balancing": True}, BFCE_Y2, BFCE_P2, None, 0.482),
    ({"gamma": 3}, BFCE_Y2, BFCE_P2, [0.8, 0.2], 0.133),
    ({"gamma": 3, "apply_class_balancing": True}, BFCE_Y2, BFCE_P2, [0.8, 0.2], 0.097),
    ({"gamma": 4, "reduction": "sum"}, BFCE_Y2, BFCE_P2, None, 1.222),
    ({"gamma": 4, "reduction": "sum", "apply_class_balancing": True}, BFCE_Y2, BFCE_P2, None,
     0.914),
    ({"gamma": 5, "reduction": None}, BFCE_Y2, BFCE_P2, None, [0.0017, 1.1561]),
    ({"gamma": 5, "reduction": None, "apply_class_balancing": True}, BFCE_Y2, BFCE_P2, None,
     [0.0004, 0.8670]),
])
def test_that_binary_focal_crossentropy_gives_the_keras_docstring_values(kwargs, y, p, weights,
                                                                         expected):
    loss = losses.BinaryFocalCrossentropy(from_logits=True, **kwargs)
    np.testing.assert_allclose(loss(y, p, sample_weight=weights), expected, atol=6e-4)


def test_that_binary_focal_crossentropy_on_probabilities_matches_keras():
    y, p = [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]
    focal = losses.BinaryFocalCrossentropy(gamma=2).call(y, p)
    np.testing.assert_allclose(focal, [0.330, 0.206], atol=1e-3)
    plain = losses.BinaryFocalCrossentropy(gamma=0).call(y, p)  # gamma 0: the plain BCE
    np.testing.assert_allclose(plain, [0.916, 0.714], atol=1e-3)
    np.testing.assert_allclose(plain, losses.BinaryCrossentropy().call(y, p), rtol=1e-6)
    # losses_test.py: sample weights per sample and per batch
    y, p = np.array([[1, 0], [1, 0]]), np.array([[0.9, 0.8], [0.7, 0.2]], dtype=np.float32)
    loss = losses.BinaryFocalCrossentropy(gamma=2.0)
    assert loss(y, p) == pytest.approx(0.268, abs=1e-3)
    assert loss(y, p, sample_weight=1.23) == pytest.approx(0.3296, abs=1e-3)
    assert loss(y, p, sample_weight=np.array([[1.2], [3.4]])) == pytest.approx(0.34415, abs=1e-3)


def test_that_categorical_focal_crossentropy_gives_the_keras_docstring_values():
    y, p = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]
    assert losses.CategoricalFocalCrossentropy()(y, p) == pytest.approx(0.23315276, rel=1e-5)
    weighted = losses.CategoricalFocalCrossentropy()(y, p, sample_weight=np.array([0.3, 0.7]))
    assert weighted == pytest.approx(0.1632, abs=1e-4)
    total = losses.CategoricalFocalCrossentropy(reduction="sum")(y, p)
    assert total == pytest.approx(0.46631, abs=1e-5)
    per_sample = losses.CategoricalFocalCrossentropy(reduction=None)(y, p)
    np.testing.assert_allclose(per_sample, [3.2058331e-05, 4.6627346e-01], rtol=1e-5)
    values = losses.CategoricalFocalCrossentropy().call(
        [[0, 1, 0], [0, 0, 1]], [[0.05, 0.9, 0.05], [0.1, 0.85, 0.05]])
    np.testing.assert_allclose(values, [2.63401289e-04, 6.75912094e-01], rtol=1e-5)


def test_that_categorical_focal_crossentropy_from_logits_matches_keras_tests():
    y = np.eye(3)
    logits = np.array([[8.0, 1.0, 1.0], [0.0, 9.0, 1.0], [2.0, 3.0, 5.0]])
    loss = losses.CategoricalFocalCrossentropy(from_logits=True, reduction=None)
    np.testing.assert_allclose(loss(y, logits), [1.5096224e-09, 2.4136547e-11, 1.0360638e-03],
                               rtol=1e-4, atol=1e-13)  # Keras computed in float32
    smoothed = losses.CategoricalFocalCrossentropy(from_logits=True, label_smoothing=0.1)
    assert smoothed([[1, 0, 0]], [[4.9, -0.5, 2.05]]) == pytest.approx(0.06685, abs=1e-4)


def test_that_categorical_focal_with_gamma_zero_is_alpha_times_the_crossentropy(rng):
    y, p = np.eye(4)[[0, 3, 1]], softmax(rng.normal(size=(3, 4)))
    focal = losses.CategoricalFocalCrossentropy(alpha=0.4, gamma=0.0)
    np.testing.assert_allclose(focal.call(y, p), 0.4 * losses.CategoricalCrossentropy().call(y, p))


def test_that_a_list_alpha_weighs_each_class(rng):
    y, p = np.eye(3)[[0, 1, 2, 2]], softmax(rng.normal(size=(4, 3)))
    weighted = losses.CategoricalFocalCrossentropy(alpha=[1.0, 2.0, 3.0]).call(y, p)
    plain = losses.CategoricalFocalCrossentropy(alpha=1.0).call(y, p)
    np.testing.assert_allclose(weighted, plain * np.array([1.0, 2.0, 3.0, 3.0]))


MASK_TRUE = [[[[1.0], [1.0]], [[0.0], [0.0]]], [[[1.0], [1.0]], [[0.0], [0.0]]]]
MASK_PRED = [[[[0.0], [1.0]], [[0.0], [1.0]]], [[[0.4], [0.0]], [[0.0], [0.9]]]]


def test_that_dice_gives_the_keras_docstring_values():
    per_sample = losses.Dice(axis=(1, 2, 3), reduction=None)(MASK_TRUE, MASK_PRED)
    np.testing.assert_allclose(per_sample, [0.5, 0.75757575], rtol=1e-6)
    whole = losses.Dice()(MASK_TRUE, MASK_PRED)
    assert whole.shape == () and whole == pytest.approx(0.6164384, rel=1e-6)
    assert losses.Dice()(np.array([[1, 2], [1, 2]]), np.array([[4, 1], [6, 1]])) == \
        pytest.approx(-0.55555546, rel=1e-6)


def test_that_tversky_gives_the_keras_test_values():
    y, p = np.array([[1, 2], [1, 2]]), np.array([[4, 1], [6, 1]])
    assert losses.Tversky()(y, p) == pytest.approx(-0.55555558, rel=1e-6)
    assert losses.Tversky(alpha=0.2, beta=0.8)(y, p) == pytest.approx(-0.94444442, rel=1e-6)
    masks_true = np.array([[1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1]])
    masks_pred = np.array([[0, 1, 0, 1], [1, 0, 1, 1], [0, 1, 0, 1], [1, 0, 1, 1]])
    assert losses.Tversky()(masks_true, masks_pred) == pytest.approx(0.77777779, rel=1e-6)
    assert losses.Tversky(alpha=0.2, beta=0.8)(masks_true, masks_pred) == pytest.approx(
        0.76190472, rel=1e-6)
    per_sample = losses.Tversky(alpha=0.2, beta=0.8, axis=(1, 2, 3), reduction=None)
    np.testing.assert_allclose(per_sample(MASK_TRUE, MASK_PRED), [0.5, 0.78494626], rtol=1e-6)


def test_that_tversky_with_equal_weights_is_dice(rng):
    y, p = (rng.random((3, 4, 4, 1)) > 0.5).astype(float), rng.random((3, 4, 4, 1))
    np.testing.assert_allclose(losses.Tversky(axis=(1, 2, 3)).call(y, p),
                               losses.Dice(axis=(1, 2, 3)).call(y, p), rtol=1e-6)


def test_that_the_losses_keep_float32():
    y, p = np.eye(3, dtype=np.float32), np.full((3, 3), 1 / 3, dtype=np.float32)
    for loss in (losses.BinaryFocalCrossentropy(), losses.CategoricalFocalCrossentropy(),
                 losses.Dice(), losses.Tversky(axis=1)):
        value, grad = loss.value_and_gradient(y, p)
        assert value.dtype == np.float32 and grad.dtype == np.float32, loss.name


# ----- analytic gradients against central differences (float64) -------------------------------
def _data(kind, rng, shape):
    if kind == "onehot":
        return np.eye(shape[-1])[rng.integers(0, shape[-1], shape[:-1])]
    if kind == "binary":
        return (rng.random(shape) > 0.5).astype(float)
    if kind == "soft":
        return rng.random(shape)
    if kind == "probs":
        return softmax(rng.normal(size=shape))
    if kind == "positive":
        return rng.uniform(0.05, 0.95, size=shape)
    return rng.normal(size=shape)


GRADIENT_CASES = [
    ("bfce", lambda: losses.BinaryFocalCrossentropy(), "binary", "positive", (4, 3)),
    ("bfce_balanced_smooth", lambda: losses.BinaryFocalCrossentropy(
        apply_class_balancing=True, alpha=0.3, label_smoothing=0.1), "soft", "positive", (4, 3)),
    ("bfce_gamma_one", lambda: losses.BinaryFocalCrossentropy(gamma=1.0), "binary",
     "positive", (4, 3)),
    ("bfce_gamma_half", lambda: losses.BinaryFocalCrossentropy(gamma=0.5), "soft",
     "positive", (4, 3)),
    ("bfce_logits", lambda: losses.BinaryFocalCrossentropy(from_logits=True, gamma=3.0),
     "binary", "normal", (4, 3)),
    ("bfce_axis0", lambda: losses.BinaryFocalCrossentropy(axis=0), "binary", "positive",
     (4, 3)),
    ("cfce", lambda: losses.CategoricalFocalCrossentropy(), "onehot", "probs", (4, 3)),
    ("cfce_unnormalised", lambda: losses.CategoricalFocalCrossentropy(gamma=1.5), "onehot",
     "positive", (4, 3)),
    ("cfce_logits_smooth", lambda: losses.CategoricalFocalCrossentropy(
        from_logits=True, label_smoothing=0.2), "onehot", "normal", (4, 3)),
    ("cfce_alpha_list", lambda: losses.CategoricalFocalCrossentropy(alpha=[0.2, 0.5, 1.0]),
     "onehot", "probs", (4, 3)),
    ("cfce_axis1", lambda: losses.CategoricalFocalCrossentropy(axis=1, from_logits=True),
     "binary", "normal", (2, 3, 2)),
    ("dice_per_sample", lambda: losses.Dice(axis=(1, 2)), "binary", "positive", (3, 2, 2)),
    ("dice_int_axis", lambda: losses.Dice(axis=1), "soft", "positive", (4, 3)),
    ("tversky_per_sample", lambda: losses.Tversky(alpha=0.3, beta=0.7, axis=(1, 2)),
     "binary", "positive", (3, 2, 2)),
]


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight",
                                       "none"])
@pytest.mark.parametrize("case", GRADIENT_CASES, ids=[c[0] for c in GRADIENT_CASES])
def test_that_value_and_gradient_match_central_differences(case, reduction, rng):
    _, make, true_kind, pred_kind, shape = case
    loss = make()
    loss.reduction = reduction
    y_true, y_pred = _data(true_kind, rng, shape), _data(pred_kind, rng, shape)
    weights = rng.uniform(0.5, 2.0, size=loss.call(y_true, y_pred).shape)
    value, grad = loss.value_and_gradient(y_true, y_pred, sample_weight=weights)
    np.testing.assert_allclose(value, loss(y_true, y_pred, sample_weight=weights))
    expected = numeric_gradient(lambda p: loss(y_true, p, sample_weight=weights), y_pred)
    assert grad.shape == y_pred.shape
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("make", [lambda: losses.Dice(), lambda: losses.Tversky(alpha=0.8)],
                         ids=["dice", "tversky"])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
def test_that_whole_batch_overlap_gradients_match_central_differences(make, reduction, rng):
    loss = make()
    loss.reduction = reduction
    y_true, y_pred = _data("binary", rng, (3, 4)), _data("positive", rng, (3, 4))
    value, grad = loss.value_and_gradient(y_true, y_pred)
    assert value.shape == ()
    np.testing.assert_allclose(grad, numeric_gradient(lambda p: loss(y_true, p), y_pred),
                               rtol=1e-5, atol=1e-7)


FUSED_CASES = [
    ("bfce", lambda: losses.BinaryFocalCrossentropy(), "binary", sigmoid),
    ("bfce_balanced_smooth", lambda: losses.BinaryFocalCrossentropy(
        apply_class_balancing=True, label_smoothing=0.2, gamma=1.0), "soft", sigmoid),
    ("cfce", lambda: losses.CategoricalFocalCrossentropy(), "onehot", softmax),
    ("cfce_alpha_list_smooth", lambda: losses.CategoricalFocalCrossentropy(
        alpha=[0.5, 1.0, 2.0], gamma=3.0, label_smoothing=0.1), "onehot", softmax),
]


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight"])
@pytest.mark.parametrize("case", FUSED_CASES, ids=[c[0] for c in FUSED_CASES])
def test_that_the_fused_logits_gradient_equals_the_chain_rule(case, reduction, rng):
    _, make, true_kind, activation = case
    loss = make()
    loss.reduction = reduction
    y_true, logits = _data(true_kind, rng, (4, 3)), rng.normal(size=(4, 3))
    weights = rng.uniform(0.5, 2.0, size=4)
    value, grad = loss.value_and_logits_gradient(y_true, activation(logits),
                                                 sample_weight=weights)
    assert value == pytest.approx(float(loss(y_true, activation(logits), sample_weight=weights)))
    expected = numeric_gradient(lambda z: loss(y_true, activation(z), sample_weight=weights),
                                logits)
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-7)


def test_that_a_saturated_sigmoid_still_gets_a_gradient_through_the_fused_path():
    y, p = np.array([[1.0]]), sigmoid(np.array([[-30.0]]))  # confidently wrong, clipped
    _, through_probabilities = losses.BinaryFocalCrossentropy().value_and_gradient(y, p)
    _, fused = losses.BinaryFocalCrossentropy().value_and_logits_gradient(y, p)
    assert through_probabilities[0, 0] * p[0, 0] * (1 - p[0, 0]) == pytest.approx(0.0, abs=1e-9)
    assert fused[0, 0] == pytest.approx(-1.0, rel=1e-6)  # (1 - p_t)**2 (p - y) -> -1


def test_that_training_a_sigmoid_model_with_the_focal_loss_uses_the_fused_gradient(rng):
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = (x[:, :1] + x[:, 1:2] > 0).astype(np.float32)
    model = Sequential([Input((4,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_focal_crossentropy")
    assert model._compiled_loss.fused == [True]
    history = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_that_a_class_axis_other_than_the_last_is_never_fused():
    assert losses.CategoricalFocalCrossentropy(axis=1).FUSED_ACTIVATION is None
    assert losses.CategoricalFocalCrossentropy().FUSED_ACTIVATION == "softmax"


# ----- names, configs, errors ------------------------------------------------------------------
KERAS_NAMES = {losses.BinaryFocalCrossentropy: "binary_focal_crossentropy",
               losses.CategoricalFocalCrossentropy: "categorical_focal_crossentropy",
               losses.Dice: "dice", losses.Tversky: "tversky"}


@pytest.mark.parametrize("cls", list(KERAS_NAMES), ids=lambda cls: cls.__name__)
def test_that_keras_names_resolve_and_default_names_are_keras(cls):
    for name in (KERAS_NAMES[cls], cls.__name__):
        loss = losses.get(name)
        assert type(loss) is cls and loss.name == KERAS_NAMES[cls]


@pytest.mark.parametrize("loss", [
    losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.4, gamma=1.0,
                                   from_logits=True, label_smoothing=0.1, axis=-2,
                                   reduction="sum", name="bfce"),
    losses.CategoricalFocalCrossentropy(alpha=[0.1, 0.9], gamma=0.0, axis=1, name="cfce"),
    losses.Dice(axis=(1, 2), reduction="none"), losses.Dice(axis=1),
    losses.Tversky(alpha=0.2, beta=0.8, axis=[1, 2, 3]),
], ids=["bfce", "cfce", "dice_tuple", "dice_int", "tversky"])
def test_that_configs_round_trip_through_json_with_keras_keys(loss):
    config = loss.get_config()
    assert {p.name for p in type(loss).PARAMS} == set(config) - {"name"}
    rebuilt = losses.deserialize(json.loads(json.dumps(losses.serialize(loss))))
    assert type(rebuilt) is type(loss) and rebuilt.get_config() == config


def test_that_bad_arguments_say_what_was_expected():
    with pytest.raises(SpecError, match="alpha"):
        losses.BinaryFocalCrossentropy(alpha=1.5)
    with pytest.raises(SpecError, match="gamma"):
        losses.CategoricalFocalCrossentropy(gamma=-1.0)
    with pytest.raises(SpecError, match="alpha"):
        losses.CategoricalFocalCrossentropy(alpha=[0.5, -1.0])
    with pytest.raises(SpecError, match="axis"):
        losses.Dice(axis="all")
    with pytest.raises(SpecError, match="beta"):
        losses.Tversky(beta=-0.1)


def test_that_an_alpha_list_of_the_wrong_length_names_both_counts(rng):
    loss = losses.CategoricalFocalCrossentropy(alpha=[0.5, 0.5])
    with pytest.raises(ShapeError, match="2 class weights .* 3 classes"):
        loss(np.eye(3), softmax(rng.normal(size=(3, 3))))


def test_that_an_axis_outside_the_predictions_is_refused():
    with pytest.raises(ShapeError, match=r"axis=\(1, 2, 3\) but the predictions have 2 axes"):
        losses.Dice(axis=(1, 2, 3))(np.ones((2, 3)), np.ones((2, 3)))


def test_that_sample_weights_on_a_whole_batch_overlap_loss_explain_the_axis():
    with pytest.raises(SpecError, match=r"axis=None gives one value for the whole batch"):
        losses.Dice()(np.ones((2, 3)), np.ones((2, 3)), sample_weight=np.ones(2))
    value = losses.Dice(axis=1)(np.ones((2, 3)), np.ones((2, 3)), sample_weight=np.ones(2))
    assert value == pytest.approx(0.0, abs=1e-6)


def test_that_one_class_predictions_warn_like_keras():
    with pytest.warns(UserWarning, match="expected y_pred.shape to be"):
        losses.CategoricalFocalCrossentropy()(np.ones((2, 1)), np.full((2, 1), 0.5))


# ----- GPU ------------------------------------------------------------------------------------
@pytest.mark.gpu
def test_that_the_new_losses_and_gradients_on_cupy_match_numpy(rng):
    import cupy

    for case in GRADIENT_CASES + [("dice", losses.Dice, "binary", "positive", (3, 4))]:
        _, make, true_kind, pred_kind, shape = case
        y_true, y_pred = _data(true_kind, rng, shape), _data(pred_kind, rng, shape)
        cpu_value, cpu_grad = make().value_and_gradient(y_true, y_pred)
        gpu_value, gpu_grad = make().value_and_gradient(cupy.asarray(y_true),
                                                        cupy.asarray(y_pred))
        assert isinstance(gpu_grad, cupy.ndarray), case[0]
        np.testing.assert_allclose(float(gpu_value), float(cpu_value), rtol=1e-6)
        np.testing.assert_allclose(cupy.asnumpy(gpu_grad), cpu_grad, rtol=1e-6, atol=1e-9)
