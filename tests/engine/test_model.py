"""Model graph execution: functional and Sequential models, specs, weights, gradients."""

import json

import numpy as np
import pytest

from engine import Input, Model, Sequential, layers
from engine.errors import ShapeError, SpecError

from gradcheck import to_float64


def seed_mlp():
    return Sequential([Input((28, 28)), layers.Flatten(), layers.Dense(128, activation="relu"),
                       layers.Dense(10, activation="softmax")])


def residual_model():
    x = Input((6,), name="features")
    h = layers.Dense(6, activation="tanh", name="branch")(x)
    s = layers.Add(name="skip")([x, h])
    y = layers.Dense(3, activation="softmax", name="probs")(s)
    return Model(x, y, name="residual")


def test_seed_model_has_keras_parameter_count():
    model = seed_mlp()
    assert model.count_params() == 101770
    assert model.output_shapes == [(10,)]


def test_predict_returns_numpy_batches_and_probabilities(rng):
    model = seed_mlp()
    probs = model.predict(rng.random((70, 28, 28)), batch_size=32)
    assert isinstance(probs, np.ndarray) and probs.shape == (70, 10)
    assert probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_spec_round_trip_gives_identical_predictions(rng):
    model = residual_model()
    spec = json.loads(json.dumps(model.to_spec()))
    again = Model.from_spec(spec)
    again.set_weights(model.get_weights())
    x = rng.standard_normal((5, 6))
    np.testing.assert_array_equal(again.predict(x), model.predict(x))
    assert again.to_spec() == spec


def test_spec_follows_the_documented_format():
    spec = seed_mlp().to_spec()
    assert spec["format"] == "layercraft.model" and spec["version"] == 1
    assert [entry["class_name"] for entry in spec["layers"]] == ["Input", "Flatten", "Dense",
                                                                  "Dense"]
    assert spec["layers"][2]["config"]["units"] == 128
    assert spec["layers"][2]["inputs"] == [spec["layers"][1]["name"]]
    assert spec["outputs"] == [spec["layers"][3]["name"]]


def test_get_weights_follow_keras_order_and_shapes():
    shapes = [w.shape for w in seed_mlp().get_weights()]
    assert shapes == [(784, 128), (128,), (128, 10), (10,)]


def test_trainable_weights_are_views_of_one_flat_buffer():
    model = seed_mlp()
    variables = model.trainable_variables
    for v in variables:
        assert v.value.base is model._flat_params or v.value.base is model._flat_params.base
    new_kernel = variables[0].numpy()
    new_kernel[0, 0] = 42.0
    variables[0].assign(new_kernel)  # in place: the flat buffer sees it
    assert model._flat_params[0] == 42.0


def test_sequential_add_pop_and_deferred_build(rng):
    model = Sequential()
    model.add(layers.Dense(4, activation="relu"))
    model.add(layers.Dense(2))
    assert model.predict(rng.random((3, 5))).shape == (3, 2)
    removed = model.pop()
    assert removed.units == 2
    assert model.predict(rng.random((3, 5))).shape == (3, 4)


def test_multi_input_multi_output_model_accepts_lists_and_dicts(rng):
    a, b = Input((3,), name="a"), Input((2,), name="b")
    merged = layers.Concatenate(name="cat")([a, b])
    out1 = layers.Dense(1, name="out1")(merged)
    out2 = layers.Dense(2, name="out2")(merged)
    model = Model([a, b], [out1, out2])
    xa, xb = rng.random((4, 3)), rng.random((4, 2))
    p1, p2 = model.predict([xa, xb])
    q1, q2 = model.predict({"a": xa, "b": xb})
    assert p1.shape == (4, 1) and p2.shape == (4, 2)
    np.testing.assert_array_equal(p1, q1)


def test_shared_layer_uses_one_set_of_weights(rng):
    x = Input((4,))
    shared = layers.Dense(4, activation="tanh", name="shared")
    y = shared(shared(x))
    model = Model(x, y)
    assert model.count_params() == 20
    xs = rng.standard_normal((2, 4)).astype(np.float32)
    kernel, bias = shared.get_weights()
    expected = np.tanh(np.tanh(xs @ kernel + bias) @ kernel + bias)
    np.testing.assert_allclose(model.predict(xs), expected, rtol=1e-5)


def test_predict_refuses_data_of_the_wrong_shape_with_both_shapes(rng):
    with pytest.raises(ShapeError, match=r"expects shape \(None, 28, 28\).*\(None, 784\)"):
        seed_mlp().predict(rng.random((2, 784)))


def test_model_from_spec_with_problems_lists_every_problem():
    spec = {"format": "layercraft.model", "version": 1, "name": "bad", "outputs": ["d2"],
            "layers": [{"name": "in", "class_name": "Input", "config": {"shape": [4]},
                        "inputs": []},
                       {"name": "d1", "class_name": "Dense", "config": {"units": 0},
                        "inputs": ["in"]},
                       {"name": "d2", "class_name": "Dense", "config": {}, "inputs": ["ghost"]}]}
    with pytest.raises(SpecError) as info:
        Model.from_spec(spec)
    assert "d1" in str(info.value) and "ghost" in str(info.value)


def _model_numeric_check(model, x, rng):
    """Central differences of sum(out * g) against Model.backward, in float64."""
    for layer in model.layers:
        to_float64(layer)
    g = rng.standard_normal(model.forward([x])[0].shape)
    model.forward([x], training=False)
    input_grads = model.backward([g])
    analytic_x = input_grads[model.input_names[0]]
    eps = 1e-6
    for layer in model.layers:
        for key in layer.grads:
            w = layer.params[key]
            analytic = layer.grads[key].copy()
            for idx in list(np.ndindex(w.shape))[:12]:
                old = w[idx]
                w[idx] = old + eps
                plus = (model.forward([x])[0] * g).sum()
                w[idx] = old - eps
                minus = (model.forward([x])[0] * g).sum()
                w[idx] = old
                assert analytic[idx] == pytest.approx((plus - minus) / (2 * eps), rel=1e-4,
                                                      abs=1e-6), (layer.name, key, idx)
    for idx in list(np.ndindex(x.shape))[:12]:
        old = x[idx]
        x[idx] = old + eps
        plus = (model.forward([x])[0] * g).sum()
        x[idx] = old - eps
        minus = (model.forward([x])[0] * g).sum()
        x[idx] = old
        assert analytic_x[idx] == pytest.approx((plus - minus) / (2 * eps), rel=1e-4, abs=1e-6)


def test_graph_backward_accumulates_where_a_tensor_feeds_two_layers(rng):
    model = residual_model()
    _model_numeric_check(model, rng.standard_normal((3, 6)), rng)


def test_shared_layer_gradients_sum_over_both_calls(rng):
    x = Input((3,))
    shared = layers.Dense(3, activation="tanh")
    model = Model(x, layers.Dense(2)(shared(shared(x))))
    model.forward([rng.standard_normal((2, 3))])  # runs in float32 first
    _model_numeric_check(model, rng.standard_normal((2, 3)), rng)
