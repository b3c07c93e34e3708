"""Metrics: Keras values on hand-computed cases, streaming equals one big batch, reset,
"accuracy" resolved from shapes, AUC against a trapezoid, configs and errors."""

import json
import math

import numpy as np
import pytest

from engine import metrics
from engine.errors import DataError, ShapeError, SpecError


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# ----- Mean -----------------------------------------------------------------------------------
def test_mean_is_a_running_weighted_mean():
    mean = metrics.Mean()
    assert mean.result() == 0.0
    mean.update_state(np.array([1.0, 2.0, 3.0]))
    mean.update_state(np.array([10.0]), sample_weight=np.array([3.0]))
    assert mean.result() == pytest.approx((1 + 2 + 3 + 30) / 6)
    assert isinstance(mean.result(), float)


def test_mean_of_batch_losses_weighted_by_batch_size():
    mean = metrics.Mean(name="loss")
    mean.update_state(np.asarray(2.0, dtype=np.float32), sample_weight=32)
    mean.update_state(np.asarray(5.0, dtype=np.float32), sample_weight=8)
    assert mean.result() == pytest.approx((2 * 32 + 5 * 8) / 40)
    mean.reset_state()
    assert mean.result() == 0.0


def test_mean_averages_rows_then_samples_like_keras():
    mean = metrics.Mean()
    mean.update_state(np.array([[1.0, 3.0], [5.0, 7.0]]), sample_weight=np.array([1.0, 3.0]))
    assert mean.result() == pytest.approx((2.0 * 1 + 6.0 * 3) / 4)


# ----- accuracy family ------------------------------------------------------------------------
def test_accuracy_counts_exact_matches():
    acc = metrics.Accuracy()
    acc.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    assert acc.result() == pytest.approx(0.75)


def test_binary_accuracy_uses_a_strict_threshold():
    acc = metrics.BinaryAccuracy()
    acc.update_state(np.array([1, 1, 0, 0]), np.array([[0.98], [0.5], [0.0], [0.6]]))
    assert acc.result() == pytest.approx(0.5)  # 0.5 is not > 0.5
    strict = metrics.BinaryAccuracy(threshold=0.7)
    strict.update_state(np.array([[1], [0]]), np.array([[0.6], [0.6]]))
    assert strict.result() == pytest.approx(0.5)


def test_categorical_and_sparse_accuracy_compare_arg_maxes():
    y_pred = np.array([[0.1, 0.9, 0.0], [0.05, 0.95, 0.0], [0.3, 0.3, 0.4]])
    labels = np.array([2, 1, 2])
    categorical = metrics.CategoricalAccuracy()
    categorical.update_state(np.eye(3)[labels], y_pred)
    for layout in (labels, labels[:, None], labels.astype(np.float32)):
        sparse = metrics.SparseCategoricalAccuracy()
        sparse.update_state(layout, y_pred)
        assert sparse.result() == pytest.approx(2 / 3)
    assert categorical.result() == pytest.approx(2 / 3)


def test_that_perfect_predictions_and_all_one_class_score_one():
    labels = np.zeros(5, dtype=int)
    probs = np.tile([0.9, 0.05, 0.05], (5, 1))
    for metric in (metrics.SparseCategoricalAccuracy(), metrics.SparseTopKCategoricalAccuracy(1)):
        metric.update_state(labels, probs)
        assert metric.result() == 1.0
    binary = metrics.BinaryAccuracy()
    binary.update_state(np.ones((5, 1)), np.full((5, 1), 0.9))
    assert binary.result() == 1.0


def test_accuracy_sample_weights():
    acc = metrics.SparseCategoricalAccuracy()
    acc.update_state(np.array([0, 1, 1]), np.eye(2)[[0, 0, 1]], sample_weight=[1.0, 3.0, 0.0])
    assert acc.result() == pytest.approx(0.25)


def test_top_k_accuracy_counts_the_true_class_among_the_k_best():
    y_pred = np.array([[0.1, 0.5, 0.3, 0.1], [0.4, 0.3, 0.2, 0.1], [0.25, 0.25, 0.25, 0.25]])
    labels = np.array([2, 3, 0])
    top2 = metrics.SparseTopKCategoricalAccuracy(k=2)
    top2.update_state(labels, y_pred)
    assert top2.result() == pytest.approx(2 / 3)  # row 3: ties count as in the top k
    dense = metrics.TopKCategoricalAccuracy(k=2)
    dense.update_state(np.eye(4)[labels], y_pred)
    assert dense.result() == pytest.approx(2 / 3)
    assert metrics.TopKCategoricalAccuracy().k == 5


def test_that_labels_outside_the_classes_never_match():
    acc = metrics.SparseTopKCategoricalAccuracy(k=5)
    acc.update_state(np.array([7, -1]), softmax(np.zeros((2, 3))))
    assert acc.result() == 0.0


# ----- precision / recall ---------------------------------------------------------------------
def test_precision_and_recall_from_hand_counts():
    y_true = np.array([1, 0, 1, 1, 0, 0])
    y_pred = np.array([0.9, 0.8, 0.4, 0.6, 0.1, 0.5])  # tp=2 (0.9, 0.6), fp=1 (0.8), fn=1
    precision, recall = metrics.Precision(), metrics.Recall()
    precision.update_state(y_true, y_pred)
    recall.update_state(y_true, y_pred)
    assert precision.result() == pytest.approx(2 / 3)
    assert recall.result() == pytest.approx(2 / 3)


def test_precision_with_several_thresholds_returns_an_array():
    precision = metrics.Precision(thresholds=[0.3, 0.7])
    precision.update_state([1, 0, 1, 0], [0.9, 0.8, 0.4, 0.2])
    np.testing.assert_allclose(precision.result(), [2 / 3, 1 / 2])


def test_precision_and_recall_with_top_k_and_class_id():
    y_true = np.array([[0, 0, 1], [0, 1, 0]])
    y_pred = np.array([[0.2, 0.7, 0.1], [0.1, 0.3, 0.6]])
    top1 = metrics.Precision(top_k=1)
    top1.update_state(y_true, y_pred)
    assert top1.result() == 0.0
    top2 = metrics.Recall(top_k=2)
    top2.update_state(y_true, y_pred)
    assert top2.result() == pytest.approx(1 / 2)
    only_class_1 = metrics.Recall(class_id=1)
    only_class_1.update_state(y_true, y_pred)
    assert only_class_1.result() == 0.0  # the one class-1 row scores 0.3 < 0.5


def test_that_no_predicted_positives_give_zero_precision_not_nan():
    precision = metrics.Precision()
    precision.update_state([0, 0, 1], [0.1, 0.2, 0.3])
    assert precision.result() == 0.0
    assert metrics.Recall().result() == 0.0


def test_precision_sample_weights_weigh_the_counts():
    precision = metrics.Precision()
    precision.update_state([1, 0], [0.9, 0.9], sample_weight=[3.0, 1.0])
    assert precision.result() == pytest.approx(0.75)


# ----- F1 -------------------------------------------------------------------------------------
def _f1_case():
    y_true = np.eye(3)[[0, 1, 2, 0, 1]]
    y_pred = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.6, 0.2, 0.2],
                       [0.4, 0.5, 0.1], [0.1, 0.8, 0.1]])
    return y_true, y_pred  # arg-max predictions: 0, 1, 0, 1, 1


def _f1(tp, fp, fn):
    p, r = tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def test_f1_per_class_and_averages():
    y_true, y_pred = _f1_case()
    per_class = [_f1(1, 1, 1), _f1(2, 1, 0), _f1(0, 0, 1)]
    f1 = metrics.F1Score()
    f1.update_state(y_true, y_pred)
    np.testing.assert_allclose(f1.result(), per_class, atol=1e-6)
    macro = metrics.F1Score(average="macro")
    macro.update_state(y_true, y_pred)
    assert macro.result() == pytest.approx(np.mean(per_class), abs=1e-6)
    weighted = metrics.F1Score(average="weighted")
    weighted.update_state(y_true, y_pred)
    assert weighted.result() == pytest.approx(np.dot(per_class, [2, 2, 1]) / 5, abs=1e-6)
    micro = metrics.F1Score(average="micro")
    micro.update_state(y_true, y_pred)
    assert micro.result() == pytest.approx(_f1(3, 2, 2), abs=1e-6)


def test_f1_with_a_threshold_and_perfect_predictions():
    y_true = np.array([[1, 0], [0, 1], [1, 1]])
    f1 = metrics.F1Score(average="micro", threshold=0.5)
    f1.update_state(y_true, y_true * 0.9)
    assert f1.result() == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(SpecError, match="threshold"):
        metrics.F1Score(threshold=0.0)
    with pytest.raises(SpecError, match="average"):
        metrics.F1Score(average="samples")


# ----- AUC ------------------------------------------------------------------------------------
def _roc_trapezoid(y_true, scores, num_thresholds):
    """ROC AUC by the book: TPR/FPR at each threshold, trapezoids between them."""
    inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    thresholds = [-1e-7] + inner + [1 + 1e-7]
    tpr = [np.mean(scores[y_true == 1] > t) for t in thresholds]
    fpr = [np.mean(scores[y_true == 0] > t) for t in thresholds]
    # from the highest threshold down, both rates only grow: a monotone curve from (0, 0)
    return np.trapezoid(tpr[::-1], fpr[::-1])


def test_auc_equals_a_trapezoid_over_the_roc_points():
    y_true = np.array([0, 0, 1, 1, 0, 1, 0, 1])
    scores = np.array([0.1, 0.42, 0.35, 0.8, 0.63, 0.55, 0.2, 0.9])
    auc = metrics.AUC(num_thresholds=5)
    auc.update_state(y_true, scores)
    assert auc.result() == pytest.approx(_roc_trapezoid(y_true, scores, 5))
    fine = metrics.AUC(num_thresholds=1000)
    fine.update_state(y_true, scores)
    # with distinct scores between thresholds it is the exact (Mann-Whitney) ROC AUC
    pairs = [(p > n) for p in scores[y_true == 1] for n in scores[y_true == 0]]
    assert fine.result() == pytest.approx(np.mean(pairs))


def test_auc_of_perfect_and_reversed_scores():
    y_true = np.array([0, 0, 1, 1])
    perfect = metrics.AUC()
    perfect.update_state(y_true, [0.1, 0.2, 0.8, 0.9])
    assert perfect.result() == pytest.approx(1.0)
    reversed_ = metrics.AUC()
    reversed_.update_state(y_true, [0.9, 0.8, 0.2, 0.1])
    assert reversed_.result() == pytest.approx(0.0)
    one_class = metrics.AUC()
    one_class.update_state([1, 1, 1], [0.2, 0.5, 0.7])
    assert one_class.result() == 0.0  # no negatives: FPR is 0 everywhere, as Keras


def test_auc_rectangle_methods_bracket_the_trapezoid(rng):
    y_true = (rng.random(50) > 0.5).astype(float)
    scores = np.clip(y_true * 0.3 + rng.random(50) * 0.7, 0, 1)
    results = {}
    for method in ("minoring", "interpolation", "majoring"):
        auc = metrics.AUC(num_thresholds=11, summation_method=method)
        auc.update_state(y_true, scores)
        results[method] = auc.result()
    assert results["minoring"] <= results["interpolation"] <= results["majoring"]


def test_pr_auc_of_a_perfect_classifier_is_one_and_from_logits_matches(rng):
    y_true = np.array([0, 1, 0, 1, 1])
    logits = np.array([-3.0, 2.0, -1.0, 4.0, 1.0])
    for method in ("interpolation", "majoring"):
        pr = metrics.AUC(curve="pr", summation_method=method)
        pr.update_state(y_true, sigmoid(logits))
        assert pr.result() == pytest.approx(1.0, abs=1e-6), method
    on_logits, on_probs = metrics.AUC(from_logits=True), metrics.AUC()
    scores = rng.normal(size=20)
    labels = (rng.random(20) > 0.5).astype(float)
    on_logits.update_state(labels, scores)
    on_probs.update_state(labels, sigmoid(scores))
    assert on_logits.result() == pytest.approx(on_probs.result())


def test_auc_sample_weights_act_like_repeated_samples():
    weighted, repeated = metrics.AUC(), metrics.AUC()
    weighted.update_state([0, 1, 1], [0.6, 0.3, 0.9], sample_weight=[2.0, 1.0, 1.0])
    repeated.update_state([0, 0, 1, 1], [0.6, 0.6, 0.3, 0.9])
    assert weighted.result() == pytest.approx(repeated.result())


# ----- regression -----------------------------------------------------------------------------
def test_regression_metrics_match_numpy(rng):
    y = rng.uniform(0.5, 2.0, size=(6, 2))
    p = rng.uniform(0.5, 2.0, size=(6, 2))
    expected = {
        "mae": np.mean(abs(y - p)), "mse": np.mean((y - p) ** 2),
        "root_mean_squared_error": math.sqrt(np.mean((y - p) ** 2)),
        "mape": 100 * np.mean(abs(y - p) / abs(y)),
        "msle": np.mean((np.log1p(p) - np.log1p(y)) ** 2),
    }
    for name, value in expected.items():
        metric = metrics.get(name)
        metric.update_state(y, p)
        assert metric.result() == pytest.approx(value), name
        assert metric.name == name and metric.DIRECTION == "down"


def test_r2_score_per_column_and_aggregated(rng):
    y = rng.normal(size=(10, 2))
    p = y + rng.normal(scale=0.5, size=(10, 2))
    raw = 1 - ((y - p) ** 2).sum(0) / ((y - y.mean(0)) ** 2).sum(0)
    per_column = metrics.R2Score(class_aggregation=None)
    per_column.update_state(y, p)
    np.testing.assert_allclose(per_column.result(), raw)
    uniform = metrics.R2Score()
    uniform.update_state(y[:4], p[:4])
    uniform.update_state(y[4:], p[4:])
    assert uniform.result() == pytest.approx(raw.mean())
    variance = ((y - y.mean(0)) ** 2).sum(0)
    weighted = metrics.R2Score(class_aggregation="variance_weighted_average")
    weighted.update_state(y, p)
    assert weighted.result() == pytest.approx((raw * variance).sum() / variance.sum())


def test_adjusted_r2_and_its_fallback_warning(rng):
    y = rng.normal(size=(10, 1))
    p = y + rng.normal(scale=0.3, size=(10, 1))
    plain = 1 - ((y - p) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    adjusted = metrics.R2Score(num_regressors=2)
    adjusted.update_state(y, p)
    assert adjusted.result() == pytest.approx(1 - (1 - plain) * 9 / 7)
    too_many = metrics.R2Score(num_regressors=20)
    too_many.update_state(y, p)
    with pytest.warns(UserWarning, match="More independent predictors"):
        assert too_many.result() == pytest.approx(plain)


def test_r2_score_of_constant_targets_and_perfect_predictions():
    perfect = metrics.R2Score()
    perfect.update_state(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]))
    assert perfect.result() == pytest.approx(1.0)
    constant = metrics.R2Score()
    constant.update_state(np.full(3, 2.0), np.full(3, 2.0))
    assert constant.result() == 1.0
    wrong = metrics.R2Score()
    wrong.update_state(np.full(3, 2.0), np.array([1.0, 2.0, 3.0]))
    assert wrong.result() == 0.0


# ----- confusion matrix -----------------------------------------------------------------------
def test_confusion_matrix_rows_are_true_classes_columns_predicted():
    matrix = metrics.ConfusionMatrix()
    probs = np.eye(3)[[0, 1, 1, 2]] * 0.8 + 0.05
    matrix.update_state(np.array([0, 1, 2, 2]), probs)
    matrix.update_state(np.eye(3)[[1]], np.eye(3)[[0]])  # one-hot targets work too
    expected = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1]])
    result = matrix.result()
    assert result.dtype == np.int64
    np.testing.assert_array_equal(result, expected)
    matrix.reset_state()
    assert matrix.result().shape == (0, 0)


def test_confusion_matrix_for_a_sigmoid_output_and_integer_predictions():
    binary = metrics.ConfusionMatrix()
    binary.update_state(np.array([1, 0, 1]), np.array([[0.9], [0.7], [0.2]]))
    np.testing.assert_array_equal(binary.result(), [[0, 1], [1, 1]])
    classes = metrics.ConfusionMatrix(num_classes=3)
    classes.update_state([2, 0], np.array([2, 1]))
    np.testing.assert_array_equal(classes.result(), [[0, 1, 0], [0, 0, 0], [0, 0, 1]])
    with pytest.raises(SpecError, match="num_classes"):
        metrics.ConfusionMatrix().update_state([0], np.array([1]))


def test_confusion_matrix_reports_labels_outside_the_classes():
    matrix = metrics.ConfusionMatrix()
    matrix.update_state(np.array([0, 5]), softmax(np.zeros((2, 3))))
    with pytest.raises(DataError, match=r"outside \[0, 2\]"):
        matrix.result()


# ----- streaming and reset --------------------------------------------------------------------
def _data_for(name, rng, n=12):
    labels = rng.integers(0, 4, n)
    probs = softmax(rng.normal(size=(n, 4)))
    if name.startswith("sparse"):
        return labels, probs
    if name in ("binary_accuracy", "binary_crossentropy", "auc", "precision", "recall"):
        return (rng.random((n, 1)) > 0.5).astype(float), sigmoid(rng.normal(size=(n, 1)))
    if name in ("mean_absolute_error", "mean_squared_error", "root_mean_squared_error",
                "r2_score", "mean_absolute_percentage_error", "mean_squared_logarithmic_error"):
        return rng.uniform(0.5, 2, size=(n, 2)), rng.uniform(0.5, 2, size=(n, 2))
    return np.eye(4)[labels], probs


@pytest.mark.parametrize("name", metrics.NAMES)
def test_streaming_over_batches_equals_one_big_batch_and_reset_forgets(name, rng):
    y_true, y_pred = _data_for(name, rng)
    weights = rng.uniform(0.5, 2.0, size=len(y_true))
    whole, streamed = metrics.get(name), metrics.get(name)
    whole.update_state(y_true, y_pred, sample_weight=weights)
    for part in np.array_split(np.arange(len(y_true)), 3):
        streamed.update_state(y_true[part], y_pred[part], sample_weight=weights[part])
    np.testing.assert_allclose(streamed.result(), whole.result(), rtol=1e-6, atol=1e-9)
    streamed.reset_state()
    streamed.update_state(y_true[:5], y_pred[:5])
    fresh = metrics.get(name)
    fresh.update_state(y_true[:5], y_pred[:5])
    np.testing.assert_allclose(streamed.result(), fresh.result())


# ----- get, names, configs --------------------------------------------------------------------
@pytest.mark.parametrize("y_true_shape, y_pred_shape, expected", [
    ((32, 1), (32, 1), metrics.BinaryAccuracy),
    ((32,), (32, 1), metrics.BinaryAccuracy),
    ((32,), (32, 10), metrics.SparseCategoricalAccuracy),
    ((32, 1), (32, 10), metrics.SparseCategoricalAccuracy),
    ((32, 10), (32, 10), metrics.CategoricalAccuracy),
    ((), (10,), metrics.SparseCategoricalAccuracy),  # shapes without the batch axis
])
def test_accuracy_is_resolved_from_the_shapes_like_keras(y_true_shape, y_pred_shape, expected):
    for alias in ("accuracy", "acc"):
        metric = metrics.get(alias, y_true_shape=y_true_shape, y_pred_shape=y_pred_shape)
        assert type(metric) is expected and metric.name == alias


def test_crossentropy_is_resolved_from_the_shapes_too():
    metric = metrics.get("ce", y_true_shape=(8,), y_pred_shape=(8, 3))
    assert type(metric) is metrics.SparseCategoricalCrossentropy and metric.name == "ce"
    assert metric.DIRECTION == "down"


def test_accuracy_without_shapes_resolves_at_the_first_update():
    metric = metrics.get("accuracy")
    assert metric.name == "accuracy" and metric.DIRECTION == "up" and metric.result() == 0.0
    metric.update_state(np.array([0, 2]), np.eye(3)[[0, 1]])
    assert type(metric.resolved) is metrics.SparseCategoricalAccuracy
    assert metric.result() == pytest.approx(0.5)
    metric.reset_state()
    assert metric.result() == 0.0
    rebuilt = metrics.deserialize(json.loads(json.dumps(metrics.serialize(metric))))
    assert rebuilt.name == "accuracy" and rebuilt.resolved is None


def test_get_keeps_the_users_string_as_the_name():
    assert metrics.get("mse").name == "mse"
    assert type(metrics.get("MAE")) is metrics.MeanAbsoluteError
    assert metrics.get("Precision").name == "precision"
    assert metrics.get("auc").name == "auc"
    metric = metrics.get({"class_name": "AUC", "config": {"curve": "PR", "name": "pr_auc"}})
    assert metric.curve == "PR" and metric.name == "pr_auc"
    assert metrics.get(metric) is metric and metrics.get(None) is None


def test_that_an_unknown_metric_lists_the_valid_names():
    with pytest.raises(SpecError, match="Unknown metric 'accurracy'") as info:
        metrics.get("accurracy")
    assert "Did you mean 'accuracy'" in str(info.value) and "'auc'" in str(info.value)
    with pytest.raises(SpecError, match="Unknown metric"):
        metrics.get({"class_name": "builtins.eval", "config": {}})


@pytest.mark.parametrize("name", [n for n in metrics.NAMES if n != "accuracy"])
def test_metric_config_round_trip_and_params_match_config_keys(name):
    metric = metrics.get(name)
    config = metric.get_config()
    assert {p.name for p in type(metric).PARAMS} == set(config) - {"name"}
    rebuilt = metrics.deserialize(json.loads(json.dumps(metrics.serialize(metric))))
    assert type(rebuilt) is type(metric) and rebuilt.get_config() == config


def test_directions_for_early_stopping():
    up = ("accuracy", "binary_accuracy", "precision", "recall", "f1_score", "auc", "r2_score",
          "top_k_categorical_accuracy")
    down = ("mean_squared_error", "mae", "root_mean_squared_error", "binary_crossentropy",
            "sparse_categorical_crossentropy", "mape")
    assert all(metrics.get(n).DIRECTION == "up" for n in up)
    assert all(metrics.get(n).DIRECTION == "down" for n in down)
    assert metrics.Mean.DIRECTION == "down"
    assert metrics.ConfusionMatrix.DIRECTION is None
    assert metrics.get("acc").direction == "up" and metrics.get("mse").direction == "down"


def test_bad_metric_arguments():
    with pytest.raises(SpecError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(SpecError, match="curve"):
        metrics.AUC(curve="DET")
    with pytest.raises(SpecError, match="thresholds"):
        metrics.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(SpecError, match="k"):
        metrics.TopKCategoricalAccuracy(k=0)


# ----- errors for people ----------------------------------------------------------------------
def test_that_integer_labels_for_categorical_accuracy_point_to_the_sparse_metric():
    with pytest.raises(ShapeError, match="sparse") as info:
        metrics.CategoricalAccuracy().update_state(np.array([0, 1]), np.eye(3)[[0, 1]])
    assert "y_true.shape=(2,)" in str(info.value)


def test_that_one_hot_targets_for_sparse_accuracy_are_refused_with_a_hint():
    with pytest.raises(ShapeError, match="one integer label per sample"):
        metrics.SparseCategoricalAccuracy().update_state(np.eye(3), np.eye(3))


def test_that_f1_and_r2_refuse_higher_rank_inputs():
    with pytest.raises(ShapeError, match=r"F1Score expects 2D inputs"):
        metrics.F1Score().update_state(np.zeros((2, 3, 4)), np.zeros((2, 3, 4)))
    with pytest.raises(ShapeError, match=r"R2Score expects 2D inputs"):
        metrics.R2Score().update_state(np.zeros((2, 3, 4)), np.zeros((2, 3, 4)))


# ----- GPU ------------------------------------------------------------------------------------
@pytest.mark.gpu
def test_that_metrics_on_cupy_keep_state_on_the_gpu_and_match_numpy(rng):
    import cupy

    for name in metrics.NAMES:
        y_true, y_pred = _data_for(name, rng)
        weights = rng.uniform(0.5, 2.0, size=len(y_true))
        cpu, gpu = metrics.get(name), metrics.get(name)
        cpu.update_state(y_true, y_pred, sample_weight=weights)
        gpu.update_state(cupy.asarray(y_true), cupy.asarray(y_pred.astype(np.float32)),
                         sample_weight=cupy.asarray(weights))
        state = gpu.resolved._state if name == "accuracy" else gpu._state
        assert any(isinstance(v, cupy.ndarray) for v in state.values()), name
        np.testing.assert_allclose(gpu.result(), cpu.result(), rtol=1e-4, atol=1e-6,
                                   err_msg=name)
