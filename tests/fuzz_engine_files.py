"""Mutated checkpoints and model specs for the fuzz tests and `bench/fuzz.py`.

Each family is a pair of plain functions: `<family>_case(rng)` makes one mutated input from a
`random.Random`, and `open_<family>(case)` opens it the way a user would and returns an
outcome. An input may load or be refused with a `LayerCraftError`; any other exception is a
bug. A loaded model must also predict, since a file that loads and then crashes the first
prediction is no better than one that crashes the loader.
"""

import copy
import functools
import json
import math
import random
import warnings

import numpy as np

from engine import Input, Model, Sequential, layers
from engine.saving import archive as checkpoint_archive
from engine.errors import LayerCraftError

#: Values a mutation may put anywhere in a JSON document.
ODD_VALUES = (None, True, False, 0, -1, 1, 2**70, -(2**70), 1e308, math.nan, math.inf,
              -math.inf, 0.5, "", "x", "relu", "Dense", [], [1, 2], [[1]], {}, {"a": 1},
              {"class_name": "Dense", "config": {}}, "../../etc/passwd", "__import__('os')")


# ----- the valid inputs ----------------------------------------------------------------------
def _models() -> list:
    """Small models covering the spec's shapes: a stack, a CNN, an RNN and a graph."""
    mlp = Sequential([Input((4,)), layers.Dense(5, activation="relu"),
                      layers.BatchNormalization(), layers.Dropout(0.2),
                      layers.Dense(3, activation="softmax")])
    cnn = Sequential([Input((6, 6, 1)), layers.Conv2D(2, 3, padding="same", activation="relu"),
                      layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(2)])
    rnn = Sequential([Input((5, 3)), layers.LSTM(4), layers.Dense(1)])
    inputs = Input((4,))
    hidden = layers.Dense(4, activation="relu")(inputs)
    merged = layers.Add()([inputs, hidden])
    graph = Model(inputs, layers.Dense(2, activation="softmax")(merged))
    return [mlp, cnn, rnn, graph]


@functools.lru_cache(maxsize=None)
def valid_specs() -> tuple:
    return tuple(json.dumps(model.to_spec()) for model in _models())


@functools.lru_cache(maxsize=None)
def valid_checkpoint_members() -> tuple:
    """`(members, kind)` of checkpoints saved by the engine: trained and compiled."""
    import tempfile  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    from engine import metrics  # noqa: PLC0415

    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=16)
    model = _models()[0]
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", metrics.SparseTopKCategoricalAccuracy(k=2)])
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    result = []
    with tempfile.TemporaryDirectory() as folder:
        for kind, save in (("model", model.save), ("weights", model.save_weights)):
            path = Path(folder) / f"m.{kind}"
            save(path)
            _, members = checkpoint_archive.unpack(path)
            result.append((members, kind))
    return tuple(result)


# ----- mutations -----------------------------------------------------------------------------
def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """Flips, overwrites, inserts, deletes or truncates a few bytes."""
    data = bytearray(data)
    for _ in range(rng.choice((1, 1, 2, 3, 8))):
        op = rng.randrange(5)
        at = rng.randrange(max(len(data), 1))
        if op == 0 and data:
            data[at] ^= 1 << rng.randrange(8)
        elif op == 1 and data:
            data[at] = rng.choice((0, 0xFF, 0x7F, 0x80, rng.randrange(256)))
        elif op == 2:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
        elif op == 3:
            del data[at:at + rng.randrange(1, 17)]
        else:
            del data[at:]
    return bytes(data)


def mutate_json(value, rng: random.Random, edits: int | None = None):
    """A deep copy of `value` with a few nodes replaced, deleted, added or retyped."""
    value = copy.deepcopy(value)
    for _ in range(edits or rng.choice((1, 1, 2, 3))):
        value = _edit(value, rng)
    return value


def _edit(node, rng):
    """Edits one place in `node`, going deeper into containers more often than not (the
    interesting fields of a spec sit a few levels down)."""
    if isinstance(node, dict) and node and rng.random() < 0.9:
        key = rng.choice(list(node))
        action = 3 if _container(node[key]) and rng.random() < 0.7 else rng.randrange(4)
        if action == 0:
            del node[key]
        elif action == 1:
            node[key] = _odd(rng)
        elif action == 2:
            node[rng.choice(("extra", "module", "fn", key + "_"))] = _odd(rng)
        else:
            node[key] = _edit(node[key], rng)
        return node
    if isinstance(node, list) and node and rng.random() < 0.9:
        at = rng.randrange(len(node))
        action = 3 if _container(node[at]) and rng.random() < 0.7 else rng.randrange(4)
        if action == 0:
            del node[at]
        elif action == 1:
            node[at] = _odd(rng)
        elif action == 2:
            node.insert(at, copy.deepcopy(rng.choice(node)))
        else:
            node[at] = _edit(node[at], rng)
        return node
    return _odd(rng)


def _odd(rng):
    return copy.deepcopy(rng.choice(ODD_VALUES))  # a fresh copy: later edits may change it


def _container(value) -> bool:
    return isinstance(value, (dict, list)) and bool(value)


# ----- families ------------------------------------------------------------------------------
def checkpoint_case(rng: random.Random) -> bytes:
    """A checkpoint file: damaged bytes, or members changed and the manifest re-signed (the
    structure checks then see well-formed archives with hostile content)."""
    members, kind = rng.choice(valid_checkpoint_members())
    if rng.random() < 0.3:
        return mutate_bytes(checkpoint_archive.pack(dict(members), kind, "0.1.0"), rng)
    members = dict(members)
    name = rng.choice(sorted(members))
    if name.endswith(".json"):
        members[name] = json.dumps(mutate_json(json.loads(members[name]), rng)).encode()
    else:
        members[name] = mutate_bytes(members[name], rng)
    return checkpoint_archive.pack(members, kind, "0.1.0")


def open_checkpoint(path) -> object:
    from engine import load_model  # noqa: PLC0415

    model = load_model(path)
    _predict_once(model)
    return model


def spec_case(rng: random.Random) -> dict:
    return mutate_json(json.loads(rng.choice(valid_specs())), rng)


def open_spec(spec) -> object:
    model = Model.from_spec(spec)
    _predict_once(model)
    return model


def _predict_once(model) -> None:
    """One prediction on zeros of the model's input shapes (None dims become 3)."""
    shapes = [tuple(3 if d is None else d for d in shape) for shape in model.input_shapes]
    inputs = [np.zeros((2, *shape), dtype=np.float32) for shape in shapes]
    with warnings.catch_warnings():  # weights a file may hold (a negative variance) give NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        model.predict(inputs[0] if len(inputs) == 1 else inputs, verbose=0)


def outcome(open_case, case) -> str:
    """"loaded", "refused" (a LayerCraftError) or "raw: <exception type>"."""
    try:
        open_case(case)
    except LayerCraftError:
        return "refused"
    except Exception as exc:  # noqa: BLE001 - counting what escapes is the point
        return f"raw: {type(exc).__name__}: {exc}"[:300]
    return "loaded"


# ----- project files (the app's reader; it imports no Qt) -------------------------------------
def _examples_folder():
    from pathlib import Path  # noqa: PLC0415

    return Path(__file__).resolve().parents[1] / "resources" / "examples"


@functools.lru_cache(maxsize=None)
def valid_projects() -> tuple:
    return tuple(path.read_text() for path in sorted(_examples_folder().glob("*.lcproj")))


def project_case(rng: random.Random) -> bytes:
    """A project file: JSON values changed (most cases) or its bytes damaged."""
    text = rng.choice(valid_projects())
    if rng.random() < 0.15:
        return mutate_bytes(text.encode(), rng)
    return json.dumps(mutate_json(json.loads(text), rng, edits=rng.choice((1, 2, 4)))).encode()


def open_project(path) -> object:
    from app import project_io  # noqa: PLC0415 - the app is optional for engine-only users

    return project_io.load(path)
