"""None (variable) dimensions in Input shapes: shapes, summary, layers that take any length,
clear refusals from those that cannot, and training and predicting on different lengths."""

import json

import numpy as np
import pytest

from engine import Input, Model, Sequential, layers, load_model
from engine.errors import SpecError


@pytest.mark.parametrize("shape", [(None,), (None, 10), (None, None, 3)])
def test_that_input_shapes_keep_their_none_dimensions(shape):
    tensor = Input(shape=shape)
    assert tensor.shape == (None, *shape)
    assert tensor.sample_shape == shape


def test_that_shapes_and_summary_show_none_for_the_variable_axis():
    model = Sequential([Input((None,)), layers.Embedding(100, 8), layers.LSTM(4,
                        return_sequences=True), layers.Dense(3)])
    assert model.output_shapes == [(None, 3)]
    assert model.output.shape == (None, None, 3)
    text = model.summary(print_fn=lambda _: None)
    assert "(None, None, 8)" in text and "(None, None, 3)" in text


def test_that_a_spec_with_none_round_trips_through_json():
    model = Sequential([Input((None, 4)), layers.GRU(3)])
    spec = json.loads(json.dumps(model.to_spec()))
    assert spec["layers"][0]["config"]["shape"] == [None, 4]
    assert Model.from_spec(spec).input_shapes == [(None, 4)]


@pytest.mark.parametrize("layer, out_shape", [
    (layers.Dense(5), (None, 5)),
    (layers.Conv1D(4, 3), (None, 4)),
    (layers.Conv1D(4, 3, strides=2, padding="same"), (None, 4)),
    (layers.MaxPooling1D(2), (None, 3)),
    (layers.AveragePooling1D(3, padding="same"), (None, 3)),
    (layers.GlobalAveragePooling1D(), (3,)),
    (layers.GlobalMaxPooling1D(), (3,)),
    (layers.SimpleRNN(2), (2,)),
    (layers.LSTM(2, return_sequences=True), (None, 2)),
    (layers.GRU(2, go_backwards=True), (2,)),
])
def test_that_sequence_layers_take_any_length(layer, out_shape, rng):
    model = Sequential([Input((None, 3)), layer])
    assert model.output_shapes == [out_shape]
    for steps in (7, 12):
        out = model.predict(rng.random((2, steps, 3)))
        assert out.shape[0] == 2
        assert all(d is None or d == got for d, got in zip(out_shape, out.shape[1:]))


def test_that_conv1d_on_any_length_matches_the_fixed_length_model(rng):
    conv = layers.Conv1D(4, 3, padding="same")
    variable = Sequential([Input((None, 2)), conv])
    fixed = Sequential([Input((9, 2)), layers.Conv1D(4, 3, padding="same")])
    fixed.set_weights(variable.get_weights())
    x = rng.random((3, 9, 2))
    np.testing.assert_allclose(variable.predict(x), fixed.predict(x), rtol=1e-6)


def test_that_dense_applies_to_the_last_axis_of_any_rank(rng):
    model = Sequential([Input((None, None, 3)), layers.Dense(2)])
    x = rng.random((2, 4, 5, 3)).astype("float32")
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(model.predict(x), x @ kernel + bias, rtol=1e-5)


def test_that_predict_works_on_a_different_length_than_fit(rng):
    model = Sequential([Input((None, 2)), layers.LSTM(4), layers.Dense(1)])
    model.compile("adam", "mse")
    model.fit(rng.random((8, 6, 2)), rng.random((8, 1)), epochs=2, batch_size=4, verbose=0)
    assert model.predict(rng.random((3, 11, 2))).shape == (3, 1)
    assert np.isfinite(model.evaluate(rng.random((3, 4, 2)), rng.random((3, 1)), verbose=0))


def test_that_sequence_targets_with_a_none_axis_are_accepted(rng):
    model = Sequential([Input((None,)), layers.Embedding(10, 4),
                        layers.GRU(3, return_sequences=True), layers.Dense(5)])
    model.compile("adam", "sparse_categorical_crossentropy")
    ids = rng.integers(0, 10, (4, 6))
    model.fit(ids, rng.integers(0, 5, (4, 6)), epochs=1, verbose=0)
    assert model.predict(ids[:, :3]).shape == (4, 3, 5)


def test_that_data_of_the_wrong_feature_size_is_refused_showing_none(rng):
    model = Sequential([Input((None, 2), name="seq"), layers.LSTM(4)])
    with pytest.raises(Exception, match=r"Input 'seq'.*expects shape \(None, None, 2\).*"
                                        r"\(None, 5, 3\)"):
        model.predict(rng.random((2, 5, 3)))


@pytest.mark.parametrize("layer, words", [
    (layers.Flatten(name="flat"), ["'flat' (Flatten)", "None (variable) dimension",
                                   "pad the sequences"]),
    (layers.Reshape((-1,), name="rs"), ["'rs' (Reshape)", "None (variable) dimension"]),
    (layers.Dense(3, name="d"), ["'d' (Dense)", "last (feature) axis", "shape=(None, 8)"]),
])
def test_that_layers_that_need_fixed_sizes_name_themselves_and_the_fix(layer, words):
    shape = (None,) if isinstance(layer, layers.Dense) else (None, 3)
    with pytest.raises(SpecError) as info:
        Sequential([Input(shape), layer])
    for word in words:
        assert word in str(info.value)


def test_that_an_rnn_needs_its_feature_size_known():
    with pytest.raises(SpecError, match=r"'lstm_f' \(LSTM\) needs the number of features"):
        Sequential([Input((5, None)), layers.LSTM(3, name="lstm_f")])


def test_that_a_model_with_none_dims_saves_and_loads(tmp_path, rng):
    model = Sequential([Input((None,)), layers.Embedding(10, 4, mask_zero=True),
                        layers.LSTM(3)])
    path = tmp_path / "seq.lcm"
    model.save(path)
    loaded = load_model(path)
    ids = rng.integers(0, 10, (2, 5))
    np.testing.assert_allclose(loaded.predict(ids), model.predict(ids), rtol=1e-6)
    assert loaded.input_shapes == [(None,)]


def test_that_legacy_input_shape_arguments_take_none(rng):
    model = Sequential([layers.LSTM(4, input_shape=(None, 28)), layers.Dense(2)])
    assert model.input_shapes == [(None, 28)]
    assert model.predict(rng.random((1, 5, 28))).shape == (1, 2)
