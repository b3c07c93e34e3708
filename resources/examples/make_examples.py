"""Writes the example projects (`python resources/examples/make_examples.py`).

Each model is built in code with the engine's functional API, so the example specs are
exactly what `model.to_spec()` gives; positions come from the app's auto-layout.
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.auto_layout import auto_layout
from engine import Input, Model, layers
from engine.graph import ModelGraph

ADAM = {"class_name": "Adam", "config": {"learning_rate": 0.001}}
SCALE_DIGITS = {"op": "scale", "factor": 0.0625}  # pixel counts 0..16 -> 0..1
TRAINING = {"epochs": 20, "batch_size": 32, "validation_split": 0.1}


def mlp_digits():
    x = Input((8, 8), name="input")
    h = layers.Flatten(name="flatten")(x)
    h = layers.Dense(64, activation="relu", name="dense")(h)
    y = layers.Dense(10, activation="softmax", name="probs")(h)
    return Model(x, y, name="digits_mlp"), {"dataset": "digits", "preprocessing": [SCALE_DIGITS]}


def cnn_digits():
    x = Input((8, 8, 1), name="input")
    h = layers.Conv2D(16, 3, activation="relu", padding="same", name="conv2d")(x)
    h = layers.MaxPooling2D(name="max_pooling2d")(h)
    h = layers.Flatten(name="flatten")(h)
    y = layers.Dense(10, activation="softmax", name="probs")(h)
    data = {"dataset": "digits", "preprocessing": [SCALE_DIGITS, {"op": "add_channel_axis"}]}
    return Model(x, y, name="digits_cnn"), data


def residual_mlp():
    x = Input((8, 8), name="input")
    f = layers.Flatten(name="flatten")(x)
    h = layers.Dense(64, activation="relu", name="dense")(f)
    r = layers.Dense(64, activation="relu", name="dense_1")(h)
    r = layers.Dense(64, name="dense_2")(r)
    s = layers.Add(name="add")([h, r])
    s = layers.Activation("relu", name="activation")(s)
    y = layers.Dense(10, activation="softmax", name="probs")(s)
    return Model(x, y, name="residual_mlp"), {"dataset": "digits", "preprocessing": [SCALE_DIGITS]}


def attention_digits():
    """Each digit as a sequence of 8 rows of 8 pixels; the rows attend to each other.

    Self-attention and average pooling ignore the order of the rows, so the head flattens
    the sequence instead: the classifier then knows which row each feature came from.
    """
    x = Input((8, 8), name="input")
    h = layers.Dense(32, name="row_projection")(x)
    a = layers.MultiHeadAttention(num_heads=2, key_dim=16, name="self_attention")(h, h)
    s = layers.Add(name="residual")([a, h])  # attention first: its edge comes from the left
    s = layers.LayerNormalization(name="layer_norm")(s)
    s = layers.Flatten(name="flatten")(s)
    y = layers.Dense(10, activation="softmax", name="probs")(s)
    data = {"dataset": "digits", "preprocessing": [SCALE_DIGITS]}
    return Model(x, y, name="attention_digits"), data


def regression():
    x = Input((10,), name="input")
    h = layers.Dense(32, activation="relu", name="dense")(x)
    h = layers.Dense(16, activation="relu", name="dense_1")(h)
    y = layers.Dense(1, name="prediction")(h)
    data = {"dataset": "diabetes", "preprocessing": [{"op": "standardize"}]}
    return Model(x, y, name="diabetes_regression"), data


def moons():
    x = Input((2,), name="input")
    h = layers.Dense(16, activation="relu", name="dense")(x)
    y = layers.Dense(1, activation="sigmoid", name="probability")(h)
    return Model(x, y, name="moons_classifier"), {"dataset": "moons"}


EXAMPLES = {
    "mlp_digits": (mlp_digits, "sparse_categorical_crossentropy", ["accuracy"]),
    "cnn_digits": (cnn_digits, "sparse_categorical_crossentropy", ["accuracy"]),
    "residual_mlp": (residual_mlp, "sparse_categorical_crossentropy", ["accuracy"]),
    "attention_digits": (attention_digits, "sparse_categorical_crossentropy", ["accuracy"]),
    "regression": (regression, "mean_squared_error", ["mean_absolute_error"]),
    "moons": (moons, "binary_crossentropy", ["accuracy"]),
}


def main():
    for stem, (build, loss, metrics) in EXAMPLES.items():
        model, data = build()
        spec = model.to_spec()
        layout = auto_layout(ModelGraph.from_spec(spec))
        project = {"format": "layercraft.project", "version": 1, "model": spec,
                   "layout": {k: [v[0], v[1]] for k, v in layout.items()},
                   "compile": {"optimizer": ADAM, "loss": loss, "metrics": metrics,
                               "device": "auto"},
                   "data": data, "training": dict(TRAINING), "runs": []}
        path = Path(__file__).with_name(f"{stem}.lcproj")
        path.write_text(json.dumps(project, indent=1) + "\n", encoding="utf-8")
        print(f"{path.name}: {model.count_params():,} params")


if __name__ == "__main__":
    main()
