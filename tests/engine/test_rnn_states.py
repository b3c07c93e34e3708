"""Recurrent states as in Keras 3: `return_state=True` (several outputs per layer) and
`initial_state=` (extra inputs), eagerly, in functional graphs, in specs and checkpoints,
with every new backward path checked against central differences."""

import json

import numpy as np
import pytest

import engine as keras
from engine import layers
from engine.errors import ShapeError
from engine.graph import ModelGraph
from tests.engine.gradcheck import check_layer_gradients

_STATES = {"LSTM": 2, "GRU": 1, "SimpleRNN": 1}


def _rnn(kind, **kwargs):
    return getattr(layers, kind)(3, **kwargs)


def _data(kind, batch=2, steps=4, features=2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, steps, features))
    states = [rng.standard_normal((batch, 3)) * 0.5 for _ in range(_STATES[kind])]
    return x, states


# ----- eager calls ------------------------------------------------------------------------
@pytest.mark.parametrize("kind", sorted(_STATES))
def test_that_return_state_gives_the_output_then_the_final_states(kind):
    x, _ = _data(kind)
    outputs = _rnn(kind, return_state=True)(x.astype("float32"))
    assert len(outputs) == 1 + _STATES[kind]
    assert all(o.shape == (2, 3) for o in outputs)
    np.testing.assert_array_equal(outputs[0], outputs[1])  # the output is h_T


def test_that_return_sequences_with_return_state_ends_the_sequence_with_h():
    x, _ = _data("LSTM")
    seq, h, c = _rnn("LSTM", return_sequences=True, return_state=True)(x.astype("float32"))
    assert seq.shape == (2, 4, 3) and h.shape == c.shape == (2, 3)
    np.testing.assert_allclose(seq[:, -1], h)


@pytest.mark.parametrize("kind", sorted(_STATES))
def test_that_initial_state_changes_the_result_and_zeros_match_the_default(kind):
    x, states = _data(kind)
    layer = _rnn(kind)
    plain = layer(x)
    zeros = layer(x, initial_state=[np.zeros_like(s) for s in states])
    started = layer(x, initial_state=states)
    np.testing.assert_allclose(zeros, plain, atol=1e-6)
    assert not np.allclose(started, plain)


def test_that_a_wrong_initial_state_shape_says_what_was_expected():
    x, _ = _data("LSTM")
    with pytest.raises(ShapeError, match=r"2 tensor\(s\) of shape \(None, 3\), \(None, 3\)"):
        _rnn("LSTM")(x, initial_state=[np.zeros((2, 5)), np.zeros((2, 5))])
    layer = _rnn("LSTM")
    layer(x)
    with pytest.raises(ShapeError, match=r"2 array\(s\) of shape \(2, 3\). Received: \[\(1, 3\)"):
        layer(x, initial_state=[np.zeros((1, 3)), np.zeros((1, 3))])
    with pytest.raises(ShapeError, match="initial_state of 2 tensor"):
        _rnn("LSTM")(keras.Input((None, 2)), initial_state=[keras.Input((3,))])


# ----- numerical gradient checks ------------------------------------------------------------
_CASES = [("LSTM", {}), ("GRU", {}), ("GRU", {"reset_after": False}), ("SimpleRNN", {}),
          ("LSTM", {"return_sequences": True}), ("GRU", {"go_backwards": True}),
          ("LSTM", {"go_backwards": True, "return_sequences": True})]


@pytest.mark.parametrize("kind,options", _CASES)
def test_that_state_outputs_and_initial_states_pass_the_gradient_check(kind, options):
    x, states = _data(kind)
    layer = _rnn(kind, return_state=True, **options)
    check_layer_gradients(layer, [x, *states])


@pytest.mark.parametrize("kind", sorted(_STATES))
def test_that_initial_states_without_return_state_pass_the_gradient_check(kind):
    x, states = _data(kind, seed=3)
    check_layer_gradients(_rnn(kind), [x, *states])


def test_that_masked_steps_keep_the_initial_state_and_its_gradient_checks():
    x, states = _data("LSTM", steps=5)
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
    layer = _rnn("LSTM", return_state=True)
    check_layer_gradients(_MaskedCall(layer, mask), [x, *states])
    _, h, _ = layer.forward([x[:1, :3], *[s[:1] for s in states]])
    full = layer.forward([x[:1], *[s[:1] for s in states]], mask=mask[:1])
    np.testing.assert_allclose(full[1], h)  # masked tail steps keep the state


class _MaskedCall:
    """A layer called with a fixed mask, for the gradient check."""

    def __init__(self, layer, mask):
        self.layer, self.mask = layer, mask
        self.built, self.params, self.grads = False, {}, {}

    def build(self, shapes):
        self.layer.build(shapes)
        self.params, self.grads, self.built = self.layer.params, self.layer.grads, True

    def forward(self, inputs, training=False):
        self.layer.params = self.params
        return self.layer.forward(inputs, mask=self.mask)

    def backward(self, grad):
        self.layer.grads = self.grads
        return self.layer.backward(grad)


def test_that_an_unused_output_gets_a_zero_gradient():
    x, states = _data("LSTM")
    layer = _rnn("LSTM", return_state=True)
    layer.build([tuple(x.shape[1:]), (3,), (3,)])
    out, h, c = layer.forward([x, *states])
    only_c = layer.backward([None, None, np.ones_like(c)])
    both = layer.backward([np.zeros_like(out), np.zeros_like(h), np.ones_like(c)])
    for a, b in zip(only_c, both):
        np.testing.assert_allclose(a, b)


# ----- functional graphs --------------------------------------------------------------------
def _encoder_decoder(return_sequences=False):
    enc_in = keras.Input((None, 2), name="enc_in")
    dec_in = keras.Input((None, 2), name="dec_in")
    _, h, c = layers.LSTM(3, return_state=True, name="encoder")(enc_in)
    y = layers.LSTM(3, name="decoder", return_sequences=return_sequences)(
        dec_in, initial_state=[h, c])
    out = layers.Dense(2, name="head")(y)
    return keras.Model([enc_in, dec_in], [out, c])


def test_that_the_spec_names_each_state_output_it_reads():
    spec = _encoder_decoder().to_spec()
    entries = {e["name"]: e for e in spec["layers"]}
    assert entries["decoder"]["inputs"] == ["dec_in", "encoder:1", "encoder:2"]
    assert entries["encoder"]["config"]["return_state"] is True
    assert spec["outputs"] == ["head", "encoder:2"]


def test_that_a_model_with_state_edges_round_trips_through_its_spec():
    model = _encoder_decoder()
    rebuilt = keras.Model.from_spec(json.loads(json.dumps(model.to_spec())))
    rebuilt.set_weights(model.get_weights())
    x = [np.random.default_rng(0).standard_normal((2, 4, 2)).astype("float32")] * 2
    for a, b in zip(model.predict(x, verbose=0), rebuilt.predict(x, verbose=0)):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert rebuilt.to_spec() == model.to_spec()
    assert [t.shape for t in rebuilt.outputs] == [(None, 2), (None, 3)]


def test_that_a_saved_model_with_states_loads_with_its_weights(tmp_path):
    model = _encoder_decoder(return_sequences=True)
    model.compile(optimizer="adam", loss=["mse", "mse"])
    path = str(tmp_path / "seq2seq.lcm")
    model.save(path)
    loaded = keras.load_model(path)
    x = [np.ones((2, 3, 2), dtype="float32")] * 2
    for a, b in zip(model.predict(x, verbose=0), loaded.predict(x, verbose=0)):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_that_model_gradients_through_state_edges_match_central_differences():
    model = _encoder_decoder()
    rng = np.random.default_rng(1)
    xs = [rng.standard_normal((2, 3, 2)).astype("float32") for _ in range(2)]
    ups = [rng.standard_normal((2, 2)), rng.standard_normal((2, 3))]

    def loss(values):
        outs = model.forward(model.standardize_inputs(values))
        return sum(float((np.asarray(o, dtype=np.float64) * u).sum()) for o, u in zip(outs, ups))

    model.forward(model.standardize_inputs(xs))
    grads = model.backward([u.astype("float32") for u in ups])
    for name, x in zip(["enc_in", "dec_in"], xs):
        for index in [(0, 0, 0), (1, 2, 1), (0, 1, 1)]:
            plus, minus = [v.copy() for v in xs], [v.copy() for v in xs]
            i = ["enc_in", "dec_in"].index(name)
            plus[i][index] += 1e-2
            minus[i][index] -= 1e-2
            numeric = (loss(plus) - loss(minus)) / 2e-2
            assert abs(grads[name][index] - numeric) < 2e-3 + 2e-2 * abs(numeric), name


def test_that_a_graph_reading_a_missing_output_reports_it():
    spec = _encoder_decoder().to_spec()
    for entry in spec["layers"]:
        if entry["name"] == "decoder":
            entry["inputs"][2] = "encoder:5"
    problems = ModelGraph.from_spec(spec).validate()
    assert any("reads output 5 of 'encoder', which has 3 output(s)" in p.message
               for p in problems)


def test_that_specs_without_state_edges_are_unchanged():
    inputs = keras.Input((4, 2))
    model = keras.Model(inputs, layers.Dense(1)(layers.LSTM(3)(inputs)))
    spec = model.to_spec()
    assert [e["inputs"] for e in spec["layers"]] == [[], ["input_layer" + _suffix(spec)],
                                                     [spec["layers"][1]["name"]]]
    assert keras.Model.from_spec(spec).to_spec() == spec


def _suffix(spec):
    return spec["layers"][0]["name"][len("input_layer"):]


def test_that_summary_lists_every_output_shape_and_state_connection():
    text = _encoder_decoder().summary(print_fn=lambda *_: None)
    assert "encoder (LSTM)" in text and "[(None, 3), (None, 3), (None, 3)]" in text
    assert "dec_in[0][0], encoder[0][1], encoder[0][2]" in text


def test_that_a_state_output_trains_as_a_model_output():
    model = _encoder_decoder()
    model.compile(optimizer="sgd", loss=["mse", "mse"])
    x = [np.ones((4, 3, 2), dtype="float32")] * 2
    history = model.fit(x, [np.zeros((4, 2)), np.zeros((4, 3))], epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


# ----- Bidirectional ------------------------------------------------------------------------
def test_that_bidirectional_return_state_gives_forward_then_backward_states():
    inputs = keras.Input((5, 2))
    outputs = layers.Bidirectional(layers.LSTM(3, return_state=True))(inputs)
    assert [t.shape for t in outputs] == [(None, 6)] + [(None, 3)] * 4
    x = np.random.default_rng(0).standard_normal((2, 5, 2)).astype("float32")
    values = layers.Bidirectional(layers.GRU(3, return_state=True), merge_mode="sum")(x)
    assert [v.shape for v in values] == [(2, 3)] * 3


@pytest.mark.parametrize("merge_mode", ["concat", "ave", None])
def test_that_bidirectional_states_pass_the_gradient_check(merge_mode):
    x, _ = _data("LSTM")
    layer = layers.Bidirectional(layers.LSTM(3, return_state=True, return_sequences=True),
                                 merge_mode=merge_mode)
    check_layer_gradients(layer, x)


def test_that_bidirectional_without_merge_is_a_two_output_graph_node():
    inputs = keras.Input((5, 2))
    forward, backward = layers.Bidirectional(layers.GRU(3), merge_mode=None)(inputs)
    model = keras.Model(inputs, layers.Concatenate()([forward, backward]))
    assert model.output_shapes == [(6,)]
    rebuilt = keras.Model.from_spec(model.to_spec())
    assert rebuilt.output_shapes == [(6,)]
