"""Preprocessing pipelines, train/validation/test splits and batched datasets."""

import json

import numpy as np
import pytest

from engine import backend
from engine.data import OP_NAMES, Dataset, Pipeline, train_val_test_split
from engine.errors import DataError, ShapeError, SpecError

# -- Pipeline --------------------------------------------------------------------------------


def test_that_scale_maps_pixels_to_unit_range_as_float32():
    x = np.array([[0, 128, 255]], dtype=np.uint8)
    out = Pipeline([{"op": "scale", "factor": 1 / 255}]).fit(x).transform(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0, 128 / 255, 1]], rtol=1e-6)


def test_that_float64_data_keeps_its_precision():
    x = np.array([[1.0, 2.0]])
    assert Pipeline([{"op": "scale", "factor": 0.5}]).transform(x).dtype == np.float64


def test_that_standardize_learns_its_statistics_from_the_training_split_only(rng):
    x_train = rng.normal(5.0, 2.0, size=(200, 3))
    x_test = rng.normal(-1.0, 9.0, size=(50, 3))
    pipeline = Pipeline([{"op": "standardize"}]).fit(x_train)
    np.testing.assert_allclose(pipeline.transform(x_train).mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(pipeline.transform(x_train).std(axis=0), 1, rtol=1e-12)
    expected = (x_test - x_train.mean(axis=0)) / x_train.std(axis=0)
    np.testing.assert_allclose(pipeline.transform(x_test), expected, rtol=1e-12)


def test_that_standardize_is_per_channel_for_images_and_global_with_axis_none(rng):
    images = rng.uniform(0, 255, size=(8, 4, 4, 3))
    per_channel = Pipeline([{"op": "standardize"}]).fit_transform(images)
    np.testing.assert_allclose(per_channel.mean(axis=(0, 1, 2)), 0, atol=1e-9)
    overall = Pipeline([{"op": "standardize", "axis": None}]).fit_transform(images)
    assert abs(overall.mean()) < 1e-9 and abs(overall.std() - 1) < 1e-9


def test_that_a_constant_feature_does_not_divide_by_zero():
    x = np.array([[1.0, 3.0], [1.0, 5.0]])
    out = Pipeline([{"op": "standardize"}]).fit_transform(x)
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(out[:, 0], 0)


def test_that_min_max_maps_the_training_range_to_0_1():
    x = np.array([[0.0, 10.0], [5.0, 20.0]])
    pipeline = Pipeline([{"op": "min_max"}]).fit(x)
    np.testing.assert_allclose(pipeline.transform(x), [[0, 0], [1, 1]])
    np.testing.assert_allclose(pipeline.transform(np.array([[10.0, 15.0]])), [[2, 0.5]])


def test_that_one_hot_acts_on_the_labels():
    x, y = np.ones((3, 2)), np.array([2, 0, 1])
    out_x, out_y = Pipeline([{"op": "one_hot", "num_classes": 4}]).transform(x, y)
    assert out_x is x
    np.testing.assert_array_equal(out_y, np.eye(4, dtype=np.float32)[[2, 0, 1]])
    learned = Pipeline([{"op": "one_hot"}]).fit(x, y)
    assert learned.transform(x, np.array([[1]]))[1].shape == (1, 3)


def test_that_one_hot_refuses_labels_outside_the_classes():
    with pytest.raises(DataError, match=r"label 5 \(sample 1\).*num_classes to at least 6"):
        Pipeline([{"op": "one_hot", "num_classes": 3}]).transform(np.ones(2), np.array([0, 5]))


def test_that_reshape_add_channel_axis_and_flatten_change_each_sample():
    x = np.arange(2 * 784, dtype=np.float32).reshape(2, 784)
    pipeline = Pipeline([{"op": "reshape", "shape": [28, -1]}, {"op": "add_channel_axis"}])
    out = pipeline.transform(x)
    assert out.shape == (2, 28, 28, 1)
    np.testing.assert_array_equal(out.reshape(2, -1), x)
    assert pipeline.compute_output_shape((784,)) == (28, 28, 1)
    assert Pipeline([{"op": "flatten"}]).transform(out).shape == (2, 784)


def test_that_a_reshape_to_the_wrong_size_is_a_shape_error():
    with pytest.raises(ShapeError, match=r"\(10,\).*\(3, 3\)"):
        Pipeline([{"op": "reshape", "shape": [3, 3]}]).compute_output_shape((10,))


def test_that_steps_are_plain_data_and_round_trip_through_json_with_their_statistics(rng):
    steps = [{"op": "scale", "factor": 0.5}, {"op": "standardize"},
             {"op": "one_hot", "num_classes": 3}]
    x, y = rng.normal(size=(20, 4)), rng.integers(0, 3, 20)
    pipeline = Pipeline(steps).fit(x, y)
    text = pipeline.to_json()
    config = json.loads(text)
    assert config["steps"][0] == {"op": "scale", "factor": 0.5, "offset": 0.0}
    assert config["steps"][1] == {"op": "standardize", "axis": -1}
    restored = Pipeline.from_json(text)
    assert restored.fitted and restored.steps == pipeline.steps
    for a, b in zip(restored.transform(x, y), pipeline.transform(x, y)):
        np.testing.assert_array_equal(a, b)


def test_that_transform_before_fit_says_to_fit():
    with pytest.raises(DataError, match=r"fit\(x_train\)"):
        Pipeline([{"op": "standardize"}]).transform(np.ones((2, 2)))


@pytest.mark.parametrize("steps, message", [
    ([{"op": "blur"}], "unknown op 'blur'"),
    ([{"op": "scale", "factr": 2}], "unknown argument 'factr'"),
    ([{"op": "reshape", "shape": "28x28"}], "shape"),
    ([{"op": "standardize", "axis": 0}], "sample axis"),
    (["scale"], "must be a dict"),
    ({"op": "scale"}, "list of dicts"),
])
def test_that_bad_steps_are_spec_errors(steps, message):
    with pytest.raises(SpecError, match=message):
        Pipeline(steps)


def test_that_every_op_is_listed_and_the_input_is_not_changed(rng):
    assert set(OP_NAMES) == {"scale", "min_max", "standardize", "one_hot", "reshape",
                             "add_channel_axis", "flatten"}
    x = rng.normal(size=(4, 2, 2))
    before = x.copy()
    Pipeline([{"op": "standardize"}, {"op": "scale", "factor": 3}]).fit_transform(x)
    np.testing.assert_array_equal(x, before)


# -- train_val_test_split ---------------------------------------------------------------------


def test_that_a_split_is_disjoint_complete_and_repeatable():
    x = np.arange(100)
    y = np.repeat([0, 1, 2, 3], 25)
    (xa, _), (xv, yv), (xt, _) = train_val_test_split(x, y, val=0.2, test=0.1, seed=3)
    assert (len(xa), len(xv), len(xt)) == (70, 20, 10)
    assert sorted(np.concatenate([xa, xv, xt]).tolist()) == list(range(100))
    np.testing.assert_array_equal(y[xv], yv)
    again = train_val_test_split(x, y, val=0.2, test=0.1, seed=3)
    np.testing.assert_array_equal(again[1][0], xv)
    assert not np.array_equal(train_val_test_split(x, y, val=0.2, seed=4)[1][0], xv)


def test_that_a_stratified_split_keeps_class_shares():
    y = np.array([0] * 80 + [1] * 20)
    (_, ya), (_, yv), _ = train_val_test_split(np.zeros((100, 2)), y, val=0.25, seed=0)
    assert np.bincount(yv).tolist() == [20, 5]
    assert np.bincount(ya).tolist() == [60, 15]


def test_that_one_hot_labels_stratify_and_regression_targets_split_at_random(rng):
    one_hot = np.eye(2)[np.array([0] * 30 + [1] * 10)]
    _, (_, yv), _ = train_val_test_split(np.zeros(40), one_hot, val=0.5, seed=1)
    assert yv.sum(axis=0).tolist() == [15, 5]
    target = rng.normal(size=50)
    (_, ya), (_, yv), _ = train_val_test_split(np.zeros(50), target, val=10)
    assert len(yv) == 10 and len(ya) == 40


def test_that_impossible_split_sizes_are_refused():
    with pytest.raises(SpecError, match="none for training"):
        train_val_test_split(np.zeros(10), None, val=0.5, test=0.5)
    with pytest.raises(SpecError, match=r"share in \[0, 1\)"):
        train_val_test_split(np.zeros(10), None, val=1.5)
    with pytest.raises(DataError, match="must match"):
        train_val_test_split(np.zeros(10), np.zeros(9))


# -- Dataset ----------------------------------------------------------------------------------


def test_that_batches_come_in_order_and_the_last_may_be_smaller():
    x, y = np.arange(10).reshape(10, 1), np.arange(10) * 2
    ds = Dataset.from_tensor_slices((x, y)).batch(4)
    batches = list(ds)
    assert len(ds) == ds.cardinality() == 3
    assert [len(xb) for xb, _ in batches] == [4, 4, 2]
    np.testing.assert_array_equal(batches[1][0][:, 0], [4, 5, 6, 7])
    np.testing.assert_array_equal(batches[1][1], [8, 10, 12, 14])
    assert np.shares_memory(batches[0][0], x)  # sequential batches are views, not copies
    assert Dataset.from_tensor_slices((x, y)).batch(4, drop_remainder=True).cardinality() == 2
    assert len(list(Dataset.from_tensor_slices((x, y)).batch(5, drop_remainder=True))) == 2


def test_that_shuffle_serves_every_sample_once_per_pass_in_a_new_order():
    x = np.arange(20)
    ds = Dataset.from_tensor_slices((x, x * 10)).shuffle(20, seed=7).batch(6)
    first = np.concatenate([xb for xb, _ in ds])
    second = np.concatenate([xb for xb, _ in ds])
    assert sorted(first.tolist()) == sorted(second.tolist()) == list(range(20))
    assert not np.array_equal(first, second)
    for xb, yb in ds:
        np.testing.assert_array_equal(yb, xb * 10)  # pairs stay together
    same = Dataset.from_tensor_slices(x).shuffle(20, seed=7).batch(6)
    np.testing.assert_array_equal(np.concatenate(list(same)), first)


def test_that_reshuffle_off_keeps_one_order_and_seed_none_follows_the_engine_seed():
    x = np.arange(12)
    fixed = Dataset.from_tensor_slices(x).shuffle(12, seed=1, reshuffle_each_iteration=False)
    assert list(fixed) == list(fixed)
    backend.set_seed(5)
    a = list(Dataset.from_tensor_slices(x).shuffle(12))
    backend.set_seed(5)
    assert list(Dataset.from_tensor_slices(x).shuffle(12)) == a


def test_that_shuffle_after_batch_shuffles_whole_batches():
    x = np.arange(12)
    batches = list(Dataset.from_tensor_slices(x).batch(3).shuffle(4, seed=2))
    assert sorted(b[0] for b in batches) == [0, 3, 6, 9]
    assert all(np.array_equal(b, np.arange(b[0], b[0] + 3)) for b in batches)


def test_that_unbatched_elements_are_single_samples_and_to_device_keeps_them():
    x, y = np.arange(6).reshape(3, 2), np.array([1, 2, 3])
    ds = Dataset.from_tensor_slices((x, y)).to_device("cpu").prefetch(2)
    elements = list(ds)
    assert len(elements) == 3 and elements[2][1] == 3
    np.testing.assert_array_equal(elements[1][0], [2, 3])


def test_that_bad_datasets_are_refused():
    with pytest.raises(DataError, match="different numbers of samples"):
        Dataset.from_tensor_slices((np.zeros(3), np.zeros(4)))
    with pytest.raises(SpecError, match="batch_size"):
        Dataset.from_tensor_slices(np.zeros(3)).batch(0)
    with pytest.raises(SpecError, match="already batched"):
        Dataset.from_tensor_slices(np.zeros(3)).batch(2).batch(2)
    with pytest.raises(SpecError, match="buffer_size"):
        Dataset.from_tensor_slices(np.zeros(3)).shuffle(-1)


@pytest.mark.gpu
def test_that_a_dataset_on_the_gpu_serves_gpu_batches():
    x = np.arange(10, dtype=np.float32)
    ds = Dataset.from_tensor_slices((x, x)).to_device("gpu").shuffle(10, seed=0).batch(4)
    batches = list(ds)
    assert all(backend.is_gpu_array(xb) for xb, _ in batches)
    got = np.concatenate([backend.to_numpy(xb) for xb, _ in batches])
    assert sorted(got.tolist()) == x.tolist()
