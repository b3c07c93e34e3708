"""Functional-API arithmetic and engine.ops calls on symbolic tensors become op nodes: data in
the spec (op name + constant arguments), trained through the ops' VJPs, saved and reloaded."""

import json

import numpy as np
import pytest

import engine
from engine import GradientTape, Input, Model, layers, ops
from engine.errors import ShapeError, SpecError
from engine.ops import op_table


def _data(rng, n=32, features=8, outputs=4):
    return (rng.normal(size=(n, features)).astype("float32"),
            rng.normal(size=(n, outputs)).astype("float32"))


def _op_entries(model) -> dict:
    return {e["name"]: e for e in model.to_spec()["layers"] if e["class_name"] == "Op"}


def test_that_relu_times_two_plus_a_slice_trains_and_round_trips(rng, tmp_path):
    x = Input((8,))
    y = layers.Dense(4)(x)
    z = ops.relu(y) * 2.0 + x[:, :4]
    model = Model(x, z)
    entries = _op_entries(model)
    assert [e["config"]["op"] for e in entries.values()] == ["relu", "multiply", "getitem",
                                                             "add"]
    assert entries["multiply"]["config"]["arguments"] == {"x1": {"input": 0}, "x2": 2.0}
    assert entries["getitem"]["config"]["arguments"]["key"] == [
        {"slice": [None, None, None]}, {"slice": [None, 4, None]}]
    X, Y = _data(rng)
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(X, Y, epochs=8, verbose=0).history["loss"]
    assert history[-1] < history[0]
    path = tmp_path / "ops.lcm"
    model.save(path)
    again = engine.load_model(path)
    np.testing.assert_array_equal(again.predict(X, verbose=0), model.predict(X, verbose=0))
    rebuilt = Model.from_spec(json.loads(json.dumps(model.to_spec())))
    assert rebuilt.to_spec() == model.to_spec()


def test_that_fit_differentiates_through_op_nodes_as_the_tape_does(rng):
    x = Input((8,))
    dense = layers.Dense(4)
    z = ops.relu(dense(x)) * 2.0 + x[:, :4]
    model = Model(x, z)
    X, Y = _data(rng, n=16)
    kernel, bias = dense.trainable_variables
    with GradientTape() as tape:
        out = ops.relu(ops.matmul(X, kernel) + bias) * 2.0 + X[:, :4]
        loss = ops.mean(ops.square(out - Y))
    expected = [np.asarray(g) for g in tape.gradient(loss, [kernel, bias])]
    before = [w.copy() for w in dense.get_weights()]
    model.compile(optimizer=engine.optimizers.SGD(learning_rate=1.0), loss="mse")
    model.train_on_batch(X, Y)
    steps = [b - a for b, a in zip(before, dense.get_weights())]
    for step, grad in zip(steps, expected):
        np.testing.assert_allclose(step, grad, rtol=1e-4, atol=1e-6)


def test_that_a_residual_connection_with_plus_is_one_add_node(rng):
    inputs = Input((6,))
    h = layers.Dense(6, activation="relu")(inputs)
    outputs = layers.Dense(6)(h) + inputs
    model = Model(inputs, outputs)
    add = _op_entries(model)["add"]
    assert add["inputs"] == ["dense_1", model.input_names[0]]
    X = rng.normal(size=(5, 6)).astype("float32")
    inner = Model(inputs, model.get_layer("dense_1").output)
    np.testing.assert_allclose(model.predict(X, verbose=0), inner.predict(X, verbose=0) + X,
                               rtol=1e-6)
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, X, epochs=1, verbose=0)


@pytest.mark.parametrize("make,op,expected", [
    (lambda a, b: a + b, "add", lambda a, b: a + b),
    (lambda a, b: a - b, "subtract", lambda a, b: a - b),
    (lambda a, b: 3.0 - a, "subtract", lambda a, b: 3.0 - a),
    (lambda a, b: a * b, "multiply", lambda a, b: a * b),
    (lambda a, b: a / (b * b + 1.0), "divide", lambda a, b: a / (b * b + 1.0)),
    (lambda a, b: a[:, :, None] @ b[:, None, :], "matmul",
     lambda a, b: a[:, :, None] @ b[:, None, :]),
    (lambda a, b: -a, "negative", lambda a, b: -a),
    (lambda a, b: (a * a) ** 1.5, "power", lambda a, b: (a * a) ** 1.5),
    (lambda a, b: abs(a), "absolute", lambda a, b: np.abs(a)),
    (lambda a, b: a[:, 1:3], "getitem", lambda a, b: a[:, 1:3]),
    (lambda a, b: a[..., ::-1], "getitem", lambda a, b: a[..., ::-1]),
])
def test_that_each_operator_is_an_op_node_that_computes_like_numpy(rng, make, op, expected):
    a, b = Input((3,)), Input((3,))
    out = make(a, b)
    assert out.layer.op == op
    A, B = (rng.normal(size=(4, 3)).astype("float32") for _ in range(2))
    used_b = b.layer._inbound_nodes != [] and any(  # the unary cases leave `b` unused
        b in t.inputs for t in _upstream(out))
    model = Model([a, b] if used_b else a, out)
    got = model.predict([A, B] if used_b else A, verbose=0)
    np.testing.assert_allclose(got, expected(A, B), rtol=1e-5)


def _upstream(tensor):
    seen, stack = [], [tensor]
    while stack:
        t = stack.pop()
        if not any(t is s for s in seen):
            seen.append(t)
            stack.extend(t.inputs)
    return seen


def test_that_ops_functions_take_symbolic_tensors_inside_lists_and_keywords(rng):
    a, b = Input((2, 3)), Input((2, 3))
    joined = ops.concatenate([a, b], axis=-1)
    pooled = ops.mean(joined, axis=1, keepdims=True)
    probs = ops.softmax(ops.reshape(pooled, (-1, 6)), axis=-1)
    swapped = ops.transpose(a, axes=(0, 2, 1))
    first, second = ops.split(joined, 2, axis=-1)
    assert joined.shape == (None, 2, 6) and pooled.shape == (None, 1, 6)
    assert probs.shape == (None, 6) and swapped.shape == (None, 3, 2)
    assert first.shape == second.shape == (None, 2, 3)
    assert ops.shape(a) == (None, 2, 3) and ops.ndim(a) == 3
    model = Model([a, b], [probs, swapped, second])
    concat = _op_entries(model)["concatenate"]["config"]["arguments"]
    assert concat == {"xs": {"list": [{"input": 0}, {"input": 1}]}, "axis": -1}
    A, B = (rng.normal(size=(3, 2, 3)).astype("float32") for _ in range(2))
    got_probs, got_swapped, got_second = Model.from_spec(model.to_spec()).predict([A, B],
                                                                                 verbose=0)
    joined_np = np.concatenate([A, B], axis=-1)
    logits = joined_np.mean(axis=1)
    soft = np.exp(logits - logits.max(-1, keepdims=True))
    np.testing.assert_allclose(got_probs, soft / soft.sum(-1, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(got_swapped, A.transpose(0, 2, 1))
    np.testing.assert_allclose(got_second, B)


def test_that_every_exported_op_makes_nodes_and_only_allow_listed_names_are_read():
    for name in ops.__all__:
        if name not in ("GradientTape", "Tensor"):
            assert getattr(ops, name).__wrapped_op__ in op_table.OPS or \
                name in op_table.NOT_NODES
    assert "getitem" in op_table.OPS and "convert_to_numpy" not in op_table.OPS


@pytest.mark.parametrize("bad_op", ["eval", "__import__", "os.system", "Dense", "_binary_values"])
def test_that_a_spec_naming_an_op_off_the_allow_list_is_refused(bad_op):
    x = Input((4,))
    spec = Model(x, ops.exp(x)).to_spec()
    spec["layers"][-1]["config"]["op"] = bad_op
    with pytest.raises(SpecError, match=f"unknown op '{bad_op}'"):
        Model.from_spec(spec)


@pytest.mark.parametrize("arguments,message", [
    ({"x": {"input": -1}}, "input index >= 0"),
    ({"x": {"input": 0}, "bogus": 1}, "has no argument 'bogus'"),
    ({"x": {"tensor": 0}}, "is not argument data"),
    ({"x": 2.0}, "reads no input tensor"),
    ({"x": {"input": 0, "list": []}}, "is not argument data"),
])
def test_that_damaged_op_arguments_are_refused_with_the_reason(arguments, message):
    with pytest.raises(SpecError, match=message):
        engine.op_node.Op(op="exp", arguments=arguments)


def test_that_a_newer_op_node_schema_is_refused():
    with pytest.raises(SpecError, match="schema version 2"):
        engine.op_node.Op(op="exp", version=2)


def test_that_small_constants_are_inline_and_big_ones_suggest_a_layer(rng):
    x = Input((3,))
    scale = np.array([1.0, 2.0, 3.0], dtype="float32")
    model = Model(x, x * scale)
    stored = _op_entries(model)["multiply"]["config"]["arguments"]["x2"]
    assert stored == {"array": [1.0, 2.0, 3.0], "dtype": "float32"}
    X = rng.normal(size=(2, 3)).astype("float32")
    np.testing.assert_allclose(Model.from_spec(model.to_spec()).predict(X, verbose=0), X * scale)
    with pytest.raises(SpecError, match="add_weight"):
        _ = Input((1000,)) + np.ones(1000, dtype="float32")


def test_that_an_op_that_drops_the_batch_axis_is_refused():
    x = Input((4,))
    with pytest.raises(ShapeError, match="batch axis"):
        ops.mean(x)
    with pytest.raises(ShapeError, match="batch axis"):
        ops.transpose(Input((2, 3)))


def test_that_ops_still_compute_on_arrays_and_tensors():
    value = ops.add(np.ones(2, "float32"), 1.0)
    assert isinstance(value, ops.Tensor)
    np.testing.assert_array_equal(np.asarray(value), [2.0, 2.0])
