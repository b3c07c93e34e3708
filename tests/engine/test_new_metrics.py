"""Confusion counts, rate-at-rate, IoU, F-beta and loss-valued metrics: Keras's documented
values, streaming, names, configs, logs and errors.

Golden values are the examples in the docstrings of keras/src/metrics/confusion_metrics.py,
iou_metrics.py, f_score_metrics.py, regression_metrics.py, hinge_metrics.py and
probabilistic_metrics.py (Keras 3). Keras computes in float32, hence `rel=1e-6`.
"""

import json

import numpy as np
import pytest

from engine import Input, Sequential, layers, metrics
from engine.errors import ShapeError, SpecError


def result_of(metric, y_true, y_pred, sample_weight=None):
    metric.reset_state()
    metric.update_state(y_true, y_pred, sample_weight=sample_weight)
    return metric.result()


# ----- Keras's documented values --------------------------------------------------------------
@pytest.mark.parametrize("cls, y_true, y_pred", [
    (metrics.TruePositives, [0, 1, 1, 1], [1, 0, 1, 1]),
    (metrics.FalsePositives, [0, 1, 0, 0], [0, 0, 1, 1]),
    (metrics.TrueNegatives, [0, 1, 0, 0], [1, 1, 0, 0]),
    (metrics.FalseNegatives, [0, 1, 1, 1], [0, 1, 0, 0]),
])
def test_that_the_confusion_counts_give_the_keras_docstring_values(cls, y_true, y_pred):
    metric = cls()
    assert result_of(metric, y_true, y_pred) == 2.0
    assert result_of(metric, y_true, y_pred, sample_weight=[0, 0, 1, 0]) == 1.0
    assert isinstance(metric.result(), float)


def test_that_several_thresholds_give_one_count_each():
    metric = metrics.TruePositives(thresholds=[0.3, 0.6])
    counts = result_of(metric, [0, 1, 1, 1], [0.5, 0.2, 0.7, 0.4])
    np.testing.assert_array_equal(counts, [2.0, 1.0])
    assert isinstance(counts, np.ndarray)


RATE_Y, RATE_P = [0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]


@pytest.mark.parametrize("metric, y_true, y_pred, weights, expected", [
    (metrics.SensitivityAtSpecificity(0.5), RATE_Y, RATE_P, None, 0.5),
    (metrics.SensitivityAtSpecificity(0.5), RATE_Y, RATE_P, [1, 1, 2, 2, 1], 0.333333),
    (metrics.SpecificityAtSensitivity(0.5), RATE_Y, RATE_P, None, 0.66666667),
    (metrics.SpecificityAtSensitivity(0.5), RATE_Y, RATE_P, [1, 1, 2, 2, 2], 0.5),
    (metrics.PrecisionAtRecall(0.5), RATE_Y, RATE_P, None, 0.5),
    (metrics.PrecisionAtRecall(0.5), RATE_Y, RATE_P, [2, 2, 2, 1, 1], 0.33333333),
    (metrics.RecallAtPrecision(0.8), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], None, 0.5),
    (metrics.RecallAtPrecision(0.8), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], [1, 0, 0, 1], 1.0),
], ids=["sens", "sens_w", "spec", "spec_w", "prec", "prec_w", "rec", "rec_w"])
def test_that_rates_at_a_level_give_the_keras_docstring_values(metric, y_true, y_pred, weights,
                                                               expected):
    assert result_of(metric, y_true, y_pred, weights) == pytest.approx(expected, rel=1e-5)


def test_that_an_unreachable_precision_gives_zero_recall():
    assert result_of(metrics.RecallAtPrecision(1.0), [1, 0], [0.4, 0.9]) == 0.0


def test_that_the_bucketed_counts_equal_direct_threshold_comparisons(rng):
    y, p = (rng.random(200) > 0.6).astype(float), rng.random(200)
    p[:5] = [0.0, 1.0, 0.5, 0.25, 0.75]  # on the thresholds
    metric = metrics.SpecificityAtSensitivity(0.7, num_thresholds=5)
    metric.update_state(y, p)
    counts = {k: metric._host(k) for k in ("tp", "fp", "fn", "tn")}
    thresholds = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    above = p[:, None] > thresholds
    np.testing.assert_allclose(counts["tp"], (above & (y[:, None] == 1)).sum(axis=0))
    np.testing.assert_allclose(counts["fp"], (above & (y[:, None] == 0)).sum(axis=0))
    np.testing.assert_allclose(counts["fn"], (~above & (y[:, None] == 1)).sum(axis=0))
    np.testing.assert_allclose(counts["tn"], (~above & (y[:, None] == 0)).sum(axis=0))


def test_that_class_id_scores_one_column():
    y = np.array([[0, 1], [1, 0], [0, 1]])
    p = np.array([[0.2, 0.9], [0.7, 0.6], [0.4, 0.3]])
    sensitivity = metrics.SensitivityAtSpecificity(1.0, class_id=1)
    # column 1: positives score 0.9 and 0.3, the negative 0.6 -> above 0.6 keeps 1 of 2
    assert result_of(sensitivity, y, p) == pytest.approx(0.5)


def test_that_iou_gives_the_keras_docstring_values():
    iou = metrics.IoU(num_classes=2, target_class_ids=[0])
    assert result_of(iou, [0, 0, 1, 1], [0, 1, 0, 1]) == pytest.approx(0.33333334, rel=1e-6)
    # Keras's comment works this with float weights (its int dtype would truncate them)
    weighted = result_of(iou, [0, 0, 1, 1], [0, 1, 0, 1], [0.3, 0.3, 0.3, 0.1])
    assert weighted == pytest.approx(0.33333334, rel=1e-6)
    mean_iou = metrics.MeanIoU(num_classes=2)
    assert result_of(mean_iou, [0, 0, 1, 1], [0, 1, 0, 1]) == pytest.approx(0.33333334, rel=1e-6)
    weighted = result_of(mean_iou, [0, 0, 1, 1], [0, 1, 0, 1], [0.3, 0.3, 0.3, 0.1])
    assert weighted == pytest.approx(0.23809525, rel=1e-6)
    binary = metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    scores = [0.1, 0.2, 0.4, 0.7]
    assert result_of(binary, [0, 1, 0, 1], scores) == pytest.approx(0.33333334, rel=1e-6)
    weighted = result_of(binary, [0, 1, 0, 1], scores, [0.2, 0.3, 0.4, 0.1])
    assert weighted == pytest.approx(0.17361112, rel=1e-6)


def test_that_iou_reads_softmax_masks_and_skips_absent_and_ignored_classes(rng):
    labels = np.array([[[0, 1], [1, 255]]])  # (batch, H, W) with a void label
    scores = np.eye(3)[[[[0, 1], [2, 0]]]]  # (batch, H, W, classes): predicts 0, 1, 2, 0
    iou = metrics.MeanIoU(num_classes=3, ignore_class=255, sparse_y_pred=False)
    # class 0: tp 1, fp 0, fn 0 -> 1; class 1: tp 1, fn 1 -> 0.5; class 2: fp 1 -> 0
    assert result_of(iou, labels, scores) == pytest.approx((1 + 0.5 + 0) / 3, rel=1e-6)
    only_present = metrics.IoU(num_classes=4, target_class_ids=[0, 3], sparse_y_pred=False)
    assert result_of(only_present, [0, 0], np.eye(4)[[0, 0]]) == pytest.approx(1.0, rel=1e-6)


def test_that_fbeta_gives_the_keras_docstring_values_and_beta_one_is_f1(rng):
    y = np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]], np.int32)
    p = np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]], np.float32)
    scores = result_of(metrics.FBetaScore(beta=2.0, threshold=0.5), y, p)
    np.testing.assert_allclose(scores, [0.3846154, 0.90909094, 0.8333334], rtol=1e-6)
    y, p = np.eye(4)[rng.integers(0, 4, 20)], rng.random((20, 4))
    for average in (None, "micro", "macro", "weighted"):
        np.testing.assert_allclose(result_of(metrics.FBetaScore(average=average), y, p),
                                   result_of(metrics.F1Score(average=average), y, p))


LOSS_Y, LOSS_P = [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]
COUNTS_P = [[1, 1], [0, 0]]


@pytest.mark.parametrize("metric, y_pred, expected, weighted", [
    (metrics.Hinge(), LOSS_P, 1.3, 1.1),
    (metrics.SquaredHinge(), LOSS_P, 1.86, 1.46),
    (metrics.CategoricalHinge(), LOSS_P, 1.4000001, 1.2),
    (metrics.KLDivergence(), LOSS_P, 0.45814306, 0.9162892),
    (metrics.Poisson(), COUNTS_P, 0.49999997, 0.99999994),
    (metrics.LogCoshError(), COUNTS_P, 0.10844523, 0.21689045),
], ids=lambda value: type(value).__name__ if isinstance(value, metrics.Metric) else None)
def test_that_loss_valued_metrics_give_the_keras_docstring_values(metric, y_pred, expected,
                                                                  weighted):
    assert result_of(metric, LOSS_Y, y_pred) == pytest.approx(expected, rel=1e-6)
    assert result_of(metric, LOSS_Y, y_pred, [1, 0]) == pytest.approx(weighted, rel=1e-6)


def test_that_cosine_similarity_is_positive_when_aligned_as_in_keras():
    metric = metrics.CosineSimilarity(axis=1)
    y, p = [[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]]
    assert result_of(metric, y, p) == pytest.approx(0.49999997, rel=1e-6)
    assert result_of(metric, y, p, [0.3, 0.7]) == pytest.approx(0.6999999, rel=1e-6)


# ----- streaming, names, configs ---------------------------------------------------------------
def _data(metric, rng, n=24):
    if isinstance(metric, metrics.MeanIoU):
        return rng.integers(0, 3, (n, 2)), rng.integers(0, 3, (n, 2))
    if isinstance(metric, (metrics.FBetaScore, metrics.CategoricalHinge)):
        return np.eye(3)[rng.integers(0, 3, n)], rng.random((n, 3))
    return (rng.random((n, 3)) > 0.5).astype(float), rng.random((n, 3))


STREAMED = [metrics.TruePositives(thresholds=[0.2, 0.7]), metrics.TrueNegatives(),
            metrics.PrecisionAtRecall(0.6, num_thresholds=50),
            metrics.SpecificityAtSensitivity(0.4, class_id=2), metrics.MeanIoU(num_classes=3),
            metrics.BinaryIoU(), metrics.FBetaScore(beta=0.5, average="weighted"),
            metrics.LogCoshError(), metrics.CategoricalHinge(), metrics.CosineSimilarity()]


@pytest.mark.parametrize("metric", STREAMED, ids=lambda m: type(m).__name__)
def test_that_streaming_equals_one_batch_and_reset_forgets(metric, rng):
    y_true, y_pred = _data(metric, rng)
    weights = rng.uniform(0.5, 2.0, size=len(y_true))
    whole = result_of(metric, y_true, y_pred, weights)
    metric.reset_state()
    for part in np.array_split(np.arange(len(y_true)), 3):
        metric.update_state(y_true[part], y_pred[part], sample_weight=weights[part])
    np.testing.assert_allclose(metric.result(), whole, rtol=1e-9)
    np.testing.assert_allclose(result_of(metric, y_true[:5], y_pred[:5]),
                               result_of(type(metric).from_config(metric.get_config()),
                                         y_true[:5], y_pred[:5]))


KERAS_NAMES = {
    "true_positives": metrics.TruePositives, "false_positives": metrics.FalsePositives,
    "true_negatives": metrics.TrueNegatives, "false_negatives": metrics.FalseNegatives,
    "precision_at_recall": metrics.PrecisionAtRecall,
    "recall_at_precision": metrics.RecallAtPrecision,
    "sensitivity_at_specificity": metrics.SensitivityAtSpecificity,
    "specificity_at_sensitivity": metrics.SpecificityAtSensitivity,
    "io_u": metrics.IoU, "mean_io_u": metrics.MeanIoU, "binary_io_u": metrics.BinaryIoU,
    "f_beta_score": metrics.FBetaScore, "log_cosh_error": metrics.LogCoshError,
    "hinge": metrics.Hinge, "squared_hinge": metrics.SquaredHinge,
    "categorical_hinge": metrics.CategoricalHinge, "kl_divergence": metrics.KLDivergence,
    "poisson": metrics.Poisson, "cosine_similarity": metrics.CosineSimilarity,
}
DEFAULT_NAMES = {metrics.FBetaScore: "fbeta_score", metrics.LogCoshError: "logcosh"}


@pytest.mark.parametrize("name", list(KERAS_NAMES))
def test_that_keras_snake_case_and_class_names_resolve(name):
    cls = KERAS_NAMES[name]
    assert cls.DEFAULT_NAME == DEFAULT_NAMES.get(cls, name)
    if "_at_" in name:
        with pytest.raises(SpecError, match="is required"):
            metrics.get(name)
        return
    assert type(metrics.get(name)) is cls and metrics.get(name).name == name
    assert metrics.get(cls.__name__).name == cls.DEFAULT_NAME


@pytest.mark.parametrize("metric", STREAMED + [
    metrics.IoU(num_classes=5, target_class_ids=[1, 3], ignore_class=0, sparse_y_pred=False),
    metrics.TruePositives(0.3), metrics.RecallAtPrecision(0.9, num_thresholds=1)],
    ids=lambda m: type(m).__name__)
def test_that_configs_round_trip_through_json(metric):
    config = metric.get_config()
    assert {p.name for p in type(metric).PARAMS} == set(config) - {"name"}
    rebuilt = metrics.deserialize(json.loads(json.dumps(metrics.serialize(metric))))
    assert type(rebuilt) is type(metric) and rebuilt.get_config() == config


def test_that_directions_follow_keras():
    up = (metrics.TruePositives(), metrics.TrueNegatives(), metrics.PrecisionAtRecall(0.5),
          metrics.IoU(), metrics.MeanIoU(), metrics.FBetaScore(), metrics.CosineSimilarity())
    down = (metrics.FalsePositives(), metrics.FalseNegatives(), metrics.Hinge(),
            metrics.KLDivergence(), metrics.Poisson(), metrics.LogCoshError())
    assert all(m.direction == "up" for m in up)
    assert all(m.direction == "down" for m in down)


def test_that_fit_logs_scalar_results_and_leaves_vectors_out(rng):
    x = rng.normal(size=(48, 3)).astype(np.float32)
    y = (x[:, :1] > 0).astype(np.float32)
    model = Sequential([Input((3,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["true_positives", metrics.PrecisionAtRecall(0.5), metrics.BinaryIoU(),
                           metrics.FalseNegatives(thresholds=[0.3, 0.7])])
    history = model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0)
    logs = history.history
    for key in ("true_positives", "precision_at_recall", "binary_io_u",
                "val_true_positives", "val_binary_io_u"):
        assert len(logs[key]) == 2 and all(isinstance(v, float) for v in logs[key]), key
    assert "false_negatives" not in logs  # a vector result, as for F1Score(average=None)


# ----- errors ----------------------------------------------------------------------------------
def test_that_bad_arguments_say_what_was_expected():
    with pytest.raises(SpecError, match="thresholds"):
        metrics.TruePositives(thresholds=[0.5, 1.5])
    with pytest.raises(SpecError, match="recall"):
        metrics.PrecisionAtRecall(recall=1.2)
    with pytest.raises(SpecError, match="num_thresholds"):
        metrics.SensitivityAtSpecificity(0.5, num_thresholds=0)
    with pytest.raises(SpecError, match=r"target class id 2 is out of range, which is \[0, 2\)"):
        metrics.IoU(num_classes=2, target_class_ids=[0, 2])
    with pytest.raises(SpecError, match="beta"):
        metrics.FBetaScore(beta=0.0)
    with pytest.raises(SpecError, match="target_class_ids"):
        metrics.BinaryIoU(target_class_ids=[2])


def test_that_a_class_id_beyond_the_columns_is_refused():
    with pytest.raises(SpecError, match=r"class_id=3 .* y_pred.shape=\(2, 2\)"):
        metrics.PrecisionAtRecall(0.5, class_id=3).update_state(np.eye(2), np.eye(2))


def test_that_iou_on_mismatched_sizes_says_which_setting_to_change():
    with pytest.raises(ShapeError, match="sparse_y_pred"):
        metrics.MeanIoU(num_classes=3).update_state([0, 1], np.eye(3)[[0, 1]])


# ----- GPU ------------------------------------------------------------------------------------
@pytest.mark.gpu
@pytest.mark.parametrize("metric", STREAMED, ids=lambda m: type(m).__name__)
def test_that_the_new_metrics_on_cupy_keep_state_on_the_gpu_and_match_numpy(metric, rng):
    import cupy

    y_true, y_pred = _data(metric, rng)
    weights = rng.uniform(0.5, 2.0, size=len(y_true))
    cpu = result_of(metric, y_true, y_pred, weights)
    gpu = type(metric).from_config(metric.get_config())
    gpu.update_state(cupy.asarray(y_true), cupy.asarray(y_pred.astype(np.float32)),
                     sample_weight=cupy.asarray(weights))
    assert any(isinstance(v, cupy.ndarray) for v in gpu._state.values())
    np.testing.assert_allclose(gpu.result(), cpu, rtol=1e-4, atol=1e-6)
