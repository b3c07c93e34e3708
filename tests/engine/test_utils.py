"""`engine.utils` (and its `engine.preprocessing` paths) against Keras's documented behaviour:
arrays, sequences, seeding, splits and time series (files and images: test_utils_files.py).

Golden values come from the docstrings in `keras/src/utils/` and from keras-io scripts run
with their imports changed (`from tensorflow import keras` -> `import engine as keras`) and
their data shrunk; each test says where its values come from.
"""

import random

import numpy as np
import pytest

import engine
import engine as keras
from engine import layers, utils
from engine.data import Dataset
from engine.errors import DataError, SpecError

# ----- to_categorical and normalize ---------------------------------------------------------

def test_that_to_categorical_gives_the_keras_docstring_matrix_and_losses():
    # keras/src/utils/numerical_utils.py, to_categorical docstring.
    a = keras.utils.to_categorical([0, 1, 2, 3], num_classes=4)
    np.testing.assert_array_equal(a, np.eye(4))
    b = np.array([.9, .04, .03, .03,
                  .3, .45, .15, .13,
                  .04, .01, .94, .05,
                  .12, .21, .5, .17]).reshape(4, 4)
    loss = keras.losses.CategoricalCrossentropy(reduction=None)(a, b)
    np.testing.assert_allclose(np.around(loss, 5), [0.10536, 0.82807, 0.1011, 1.77196])


def test_that_to_categorical_drops_a_trailing_one_and_infers_the_class_count():
    labels = np.array([[2], [0], [1]])  # CIFAR-style (n, 1) labels
    y = utils.to_categorical(labels)
    assert y.shape == (3, 3) and y.dtype == np.float64  # Keras's dtype for NumPy input
    np.testing.assert_array_equal(y.argmax(axis=1), [2, 0, 1])
    assert utils.to_categorical(np.array([[0, 1], [1, 1]]), 3).shape == (2, 2, 3)


def test_that_to_categorical_refuses_classes_it_cannot_encode():
    with pytest.raises(DataError, match="class 5, but num_classes=3 .*num_classes=6"):
        utils.to_categorical([0, 5], num_classes=3)
    with pytest.raises(DataError, match="negative class -1"):
        utils.to_categorical([0, -1])
    with pytest.raises(DataError, match="whole-number class indices.*0.5"):
        utils.to_categorical([0.0, 0.5])


def test_that_normalize_divides_by_the_norm_and_keeps_zero_rows():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(utils.normalize(x, axis=-1, order=1), [[3 / 7, 4 / 7], [0, 0]])
    np.testing.assert_allclose(utils.normalize(np.array([[3.0], [4.0]]), axis=0), [[0.6], [0.8]])


# ----- pad_sequences ------------------------------------------------------------------------

SEQUENCE = [[1], [2, 3], [4, 5, 6]]


@pytest.mark.parametrize("kwargs,expected", [
    # keras/src/utils/sequence_utils.py, pad_sequences docstring.
    ({}, [[0, 0, 1], [0, 2, 3], [4, 5, 6]]),
    ({"value": -1}, [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]]),
    ({"padding": "post"}, [[1, 0, 0], [2, 3, 0], [4, 5, 6]]),
    ({"maxlen": 2}, [[0, 1], [2, 3], [5, 6]]),
])
def test_that_pad_sequences_gives_the_keras_docstring_arrays(kwargs, expected):
    padded = keras.utils.pad_sequences(SEQUENCE, **kwargs)
    assert padded.dtype == np.int32
    np.testing.assert_array_equal(padded, expected)


def test_the_padding_example_of_the_masking_guide():
    # keras-io guides/understanding_masking_and_padding.py, "Padding sequence data"; its
    # `tf.keras.preprocessing.sequence.pad_sequences` is `engine.preprocessing.sequence`'s.
    raw_inputs = [
        [711, 632, 71],
        [73, 8, 3215, 55, 927],
        [83, 91, 1, 645, 1253, 927],
    ]
    padded_inputs = keras.preprocessing.sequence.pad_sequences(raw_inputs, padding="post")
    np.testing.assert_array_equal(padded_inputs, [[711, 632, 71, 0, 0, 0],
                                                  [73, 8, 3215, 55, 927, 0],
                                                  [83, 91, 1, 645, 1253, 927]])
    assert keras.preprocessing.sequence.pad_sequences is utils.pad_sequences


def test_that_pad_sequences_truncates_keeps_step_shapes_and_pads_strings():
    np.testing.assert_array_equal(utils.pad_sequences(SEQUENCE, maxlen=2, truncating="post"),
                                  [[0, 1], [2, 3], [4, 5]])
    steps = utils.pad_sequences([np.ones((1, 2)), np.ones((3, 2))], dtype="float32")
    assert steps.shape == (2, 3, 2) and steps[0, 0].tolist() == [0.0, 0.0]
    words = utils.pad_sequences([["a"], ["b", "c"]], dtype=object, value="<pad>")
    assert words.tolist() == [["<pad>", "a"], ["b", "c"]]
    assert utils.pad_sequences([[], [1]]).tolist() == [[0], [1]]
    assert utils.pad_sequences(SEQUENCE, maxlen=0).shape == (3, 0)


def test_that_pad_sequences_says_what_is_wrong():
    with pytest.raises(SpecError, match="`padding` must be 'pre' or 'post'. Received: "
                                        "padding='middle'"):
        utils.pad_sequences(SEQUENCE, padding="middle")
    with pytest.raises(DataError, match="Found non-iterable: 3 at position 1"):
        utils.pad_sequences([[1], 3])
    with pytest.raises(SpecError, match="not compatible with `value`'s type.*dtype=object"):
        utils.pad_sequences(SEQUENCE, value="x")
    with pytest.raises(DataError, match="sequence at position 1 is different"):
        utils.pad_sequences([np.ones((2, 2)), np.ones((2, 3))])


# ----- set_random_seed ----------------------------------------------------------------------

def _weights_and_order():
    dense = layers.Dense(3)
    dense.build((4,))
    order = [int(x) for x in Dataset.from_tensor_slices(np.arange(6)).shuffle(6)]
    return dense.params["kernel"].copy(), order, random.random(), np.random.rand()


def test_that_set_random_seed_repeats_weights_shuffles_and_global_generators():
    utils.set_random_seed(1337)
    first = _weights_and_order()
    utils.set_random_seed(1337)
    second = _weights_and_order()
    np.testing.assert_array_equal(first[0], second[0])
    assert first[1:] == second[1:]


def test_that_set_random_seed_refuses_a_seed_that_is_not_an_integer():
    with pytest.raises(SpecError, match="Expected `seed` argument to be an integer. "
                                        "Received: seed=1.5"):
        utils.set_random_seed(1.5)


# ----- split_dataset ------------------------------------------------------------------------

def test_that_split_dataset_splits_an_array_as_the_keras_docstring_shows():
    # keras/src/utils/dataset_utils.py, split_dataset docstring.
    data = np.random.random(size=(1000, 4))
    left_ds, right_ds = keras.utils.split_dataset(data, left_size=0.8)
    assert int(left_ds.cardinality()) == 800 and int(right_ds.cardinality()) == 200
    np.testing.assert_array_equal(np.stack(list(left_ds)), data[:800])


def test_that_split_dataset_takes_right_from_the_end_and_keeps_tuples():
    x, y = np.arange(10).reshape(10, 1), np.arange(10) * 10
    left, right = utils.split_dataset((x, y), left_size=3, right_size=2)
    assert [int(b) for _, b in left] == [0, 10, 20]
    assert [int(b) for _, b in right] == [80, 90]


def test_that_a_seeded_shuffle_splits_as_keras_does():
    # Keras: random.seed(seed); random.shuffle(samples); left = samples[:left_size].
    expected = list(range(20))
    random.Random(42).shuffle(expected)
    left, right = utils.split_dataset(np.arange(20), left_size=0.75, shuffle=True, seed=42)
    assert [int(v) for v in left] == expected[:15]
    assert [int(v) for v in right] == expected[15:]


def test_that_a_batched_dataset_splits_into_batched_datasets():
    dataset = Dataset.from_tensor_slices((np.arange(10.0), np.arange(10))).batch(4)
    left, right = utils.split_dataset(dataset, right_size=0.3)
    assert left.batched and [len(b[0]) for b in left] == [4, 3]
    assert [b[1].tolist() for b in right] == [[7, 8, 9]]


@pytest.mark.parametrize("kwargs,message", [
    ({}, "At least one of the `left_size` or `right_size` must be specified"),
    ({"left_size": 10}, "positive integer smaller than 10, or a float.*left_size=10"),
    ({"left_size": 1.5}, "left_size=1.5"),
    ({"left_size": 0.6, "right_size": 0.6}, "sum of `left_size` and `right_size` is greater"),
    ({"left_size": "half"}, "Invalid `left_size` type.*'half'"),
    ({"left_size": 6, "right_size": 5}, "should be smaller than the 10 samples"),
])
def test_that_bad_split_sizes_are_refused_with_keras_messages(kwargs, message):
    with pytest.raises(SpecError, match=message):
        utils.split_dataset(np.arange(10), **kwargs)


def test_that_split_dataset_refuses_arrays_of_different_lengths():
    with pytest.raises(DataError, match="same, non-zero length. Received lengths \\[4, 3\\]"):
        utils.split_dataset((np.zeros(4), np.zeros(3)), left_size=2)


# ----- timeseries_dataset_from_array --------------------------------------------------------

def test_the_first_timeseries_docstring_example():
    # keras/src/utils/timeseries_dataset_utils.py, Example 1: indices [0 ... 98],
    # sequence_length=10, sampling_rate=2, sequence_stride=3.
    dataset = keras.utils.timeseries_dataset_from_array(
        np.arange(99), None, sequence_length=10, sampling_rate=2, sequence_stride=3)
    windows = np.concatenate(list(dataset))
    np.testing.assert_array_equal(windows[0], [0, 2, 4, 6, 8, 10, 12, 14, 16, 18])
    np.testing.assert_array_equal(windows[1], [3, 5, 7, 9, 11, 13, 15, 17, 19, 21])
    np.testing.assert_array_equal(windows[2], [6, 8, 10, 12, 14, 16, 18, 20, 22, 24])
    np.testing.assert_array_equal(windows[-1], [78, 80, 82, 84, 86, 88, 90, 92, 94, 96])


def test_the_temporal_regression_docstring_example():
    # Example 2, as written in the docstring.
    timeseries_dataset_from_array = keras.utils.timeseries_dataset_from_array
    data = np.arange(100.0)
    input_data = data[:-10]
    targets = data[10:]
    dataset = timeseries_dataset_from_array(
        input_data, targets, sequence_length=10)
    for batch in dataset:
        inputs, targets = batch
        assert np.array_equal(inputs[0], data[:10])  # First sequence: steps [0-9]
        # Corresponding target: step 10
        assert np.array_equal(targets[0], data[10])
        break


def test_the_many_to_many_docstring_example():
    # Example 3, as written in the docstring.
    timeseries_dataset_from_array = keras.utils.timeseries_dataset_from_array
    X = np.arange(100)
    Y = X*2
    sample_length = 20
    input_dataset = timeseries_dataset_from_array(
        X, None, sequence_length=sample_length, sequence_stride=sample_length)
    target_dataset = timeseries_dataset_from_array(
        Y, None, sequence_length=sample_length, sequence_stride=sample_length)
    for batch in zip(input_dataset, target_dataset):
        inputs, targets = batch
        assert np.array_equal(inputs[0], X[:sample_length])
        # second sample equals output timestamps 20-40
        assert np.array_equal(targets[1], Y[sample_length:2*sample_length])
        break


def test_the_weather_forecasting_example_trains_on_its_windows(rng):
    # keras-io examples/timeseries/timeseries_weather_forecasting.py with 2,000 random rows
    # of 7 features for the Jena climate CSV, and its `for batch in dataset_train.take(1)`
    # written as `next(iter(dataset_train))` (the engine's Dataset has no `take`).
    features = rng.normal(size=(2000, 7)).astype("float32")
    train_split = 1400
    step = 6
    past = 72
    future = 12
    batch_size = 256
    start = past + future
    end = start + train_split
    x_train = features[:train_split]
    y_train = features[start:end][:, [1]]
    sequence_length = int(past / step)
    dataset_train = keras.preprocessing.timeseries_dataset_from_array(
        x_train,
        y_train,
        sequence_length=sequence_length,
        sampling_rate=step,
        batch_size=batch_size,
    )
    inputs, targets = next(iter(dataset_train))
    assert inputs.shape == (256, 12, 7) and targets.shape == (256, 1)
    np.testing.assert_array_equal(inputs[1], x_train[1:68:6])  # 12 steps, 6 apart
    np.testing.assert_array_equal(targets[1], y_train[1])

    inputs = keras.layers.Input(shape=(inputs.shape[1], inputs.shape[2]))
    lstm_out = keras.layers.LSTM(32)(inputs)
    outputs = keras.layers.Dense(1)(lstm_out)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mse")
    history = model.fit(dataset_train, epochs=1, validation_data=dataset_train, verbose=0)
    assert np.isfinite(history.history["val_loss"][0])


def test_that_windows_are_views_and_shuffles_repeat_with_a_seed():
    data = np.arange(1000.0).reshape(500, 2)
    dataset = utils.timeseries_dataset_from_array(data, None, sequence_length=50,
                                                  batch_size=None)
    assert np.shares_memory(dataset.arrays[0], data)  # no copy of 451 overlapping windows
    first = [b[:, 0, 0].tolist() for b in utils.timeseries_dataset_from_array(
        data, None, 5, batch_size=100, shuffle=True, seed=3)]
    again = [b[:, 0, 0].tolist() for b in utils.timeseries_dataset_from_array(
        data, None, 5, batch_size=100, shuffle=True, seed=3)]
    assert first == again
    assert sorted(v for batch in first for v in batch) == list(np.arange(0.0, 992.0, 2.0))


def test_that_start_and_end_index_limit_windows_and_targets():
    data, targets = np.arange(20), np.arange(20) * 10
    dataset = utils.timeseries_dataset_from_array(data, targets, sequence_length=3,
                                                  start_index=5, end_index=12)
    (x, y), = list(dataset)
    assert x[0].tolist() == [5, 6, 7] and x[-1].tolist() == [9, 10, 11]
    assert y.tolist() == [50, 60, 70, 80, 90]


@pytest.mark.parametrize("kwargs,error,message", [
    ({"sampling_rate": 0}, SpecError, "`sampling_rate` must be higher than 0"),
    ({"sequence_stride": 30}, SpecError, "`sequence_stride` must be lower than the length"),
    ({"start_index": -1}, SpecError, "`start_index` must be 0 or greater"),
    ({"start_index": 5, "end_index": 3}, SpecError, "`end_index` must be higher than"),
    ({"end_index": 20}, SpecError, "`end_index` must be lower than the length of the data"),
    ({"sequence_length": 40}, DataError, "fewer than one window spans \\(40"),
])
def test_that_bad_timeseries_arguments_are_refused(kwargs, error, message):
    arguments = {"sequence_length": 3, **kwargs}
    with pytest.raises(error, match=message):
        utils.timeseries_dataset_from_array(np.arange(20), None, **arguments)


def test_that_the_utils_namespace_lists_keras_names():
    for name in ("to_categorical", "normalize", "pad_sequences", "set_random_seed",
                 "split_dataset", "timeseries_dataset_from_array",
                 "image_dataset_from_directory", "get_file"):
        assert callable(getattr(engine.utils, name))
    assert engine.preprocessing.image_dataset_from_directory is utils.image_dataset_from_directory
