"""The Keras example "Imbalanced classification: credit card fraud detection" (keras-io
examples/structured_data/imbalanced_classification.py), run on the engine.

The script as written, except `import keras` (which becomes `import engine as keras`) and the
data: the Kaggle file is not downloadable without an account, so `write_creditcard_like`
writes a CSV of its layout (a quoted header, 30 features, a quoted 0/1 "Class" column) with
3,000 synthetic transactions, about 2% of them fraudulent, and the script reads it as
written. Changes are marked `# changed: <why>`.
"""

import csv  # noqa: F401 - the script imports it (and reads the file by hand)
from pathlib import Path

import numpy as np
import pytest

FEATURES = ["Time"] + [f"V{i}" for i in range(1, 29)] + ["Amount"]


def write_creditcard_like(path, count=3000, fraud_rate=0.02, seed=0):
    """A creditcard.csv look-alike: frauds are shifted along a few of the 30 features."""
    rng = np.random.default_rng(seed)
    targets = (rng.random(count) < fraud_rate).astype(int)
    features = rng.normal(size=(count, len(FEATURES)))
    features[:, 1:5] += 2.5 * targets[:, None]
    features[:, 0] = np.sort(rng.uniform(0, 172792, count))  # "Time": seconds, increasing
    features[:, -1] = np.abs(rng.normal(88, 250, count))  # "Amount"
    with open(path, "w") as f:
        f.write(",".join(f'"{name}"' for name in FEATURES + ["Class"]) + "\n")
        f.writelines(",".join(f"{v:.6f}" for v in row) + f',"{target}"\n'
                     for row, target in zip(features, targets))


@pytest.fixture
def fname(tmp_path, monkeypatch):
    path = tmp_path / "creditcard.csv"
    write_creditcard_like(path)
    monkeypatch.chdir(tmp_path)  # the checkpoints go to the working directory
    return str(path)


# Without the optional h5py (CI's core install) the guide's `.keras` checkpoints are saved as
# LayerCraft checkpoints, with a warning that Keras cannot open them: expected here.
@pytest.mark.filterwarnings("ignore:Saving .* as a LayerCraft checkpoint")
def test_imbalanced_classification(fname, capsys):
    # ## First, vectorize the CSV data
    # Get the real data from https://www.kaggle.com/mlg-ulb/creditcardfraud/
    # changed: `fname` is the synthetic file (the fixture), not a path in the author's home

    all_features = []
    all_targets = []
    with open(fname) as f:
        for i, line in enumerate(f):
            if i == 0:
                print("HEADER:", line.strip())
                continue  # Skip header
            fields = line.strip().split(",")
            all_features.append([float(v.replace('"', "")) for v in fields[:-1]])
            all_targets.append([int(fields[-1].replace('"', ""))])
            if i == 1:
                print("EXAMPLE FEATURES:", all_features[-1])

    features = np.array(all_features, dtype="float32")
    targets = np.array(all_targets, dtype="uint8")
    print("features.shape:", features.shape)
    print("targets.shape:", targets.shape)
    assert features.shape == (3000, 30) and targets.shape == (3000, 1)

    # ## Prepare a validation set
    num_val_samples = int(len(features) * 0.2)
    train_features = features[:-num_val_samples]
    train_targets = targets[:-num_val_samples]
    val_features = features[-num_val_samples:]
    val_targets = targets[-num_val_samples:]

    print("Number of training samples:", len(train_features))
    print("Number of validation samples:", len(val_features))

    # ## Analyze class imbalance in the targets
    counts = np.bincount(train_targets[:, 0])
    print(
        "Number of positive samples in training data: {} ({:.2f}% of total)".format(  # noqa: UP032
            counts[1], 100 * float(counts[1]) / len(train_targets)
        )
    )

    weight_for_0 = 1.0 / counts[0]
    weight_for_1 = 1.0 / counts[1]

    # ## Normalize the data using training set statistics
    mean = np.mean(train_features, axis=0)
    train_features -= mean
    val_features -= mean
    std = np.std(train_features, axis=0)
    train_features /= std
    val_features /= std

    # ## Build a binary classification model
    import engine as keras

    model = keras.Sequential(
        [
            keras.Input(shape=train_features.shape[1:]),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.summary()

    # ## Train the model with `class_weight` argument
    metrics = [
        keras.metrics.FalseNegatives(name="fn"),
        keras.metrics.FalsePositives(name="fp"),
        keras.metrics.TrueNegatives(name="tn"),
        keras.metrics.TruePositives(name="tp"),
        keras.metrics.Precision(name="precision"),
        keras.metrics.Recall(name="recall"),
    ]

    model.compile(
        optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy", metrics=metrics
    )

    callbacks = [keras.callbacks.ModelCheckpoint("fraud_model_at_epoch_{epoch}.keras")]
    class_weight = {0: weight_for_0, 1: weight_for_1}

    history = model.fit(  # changed: the History kept, for the asserts
        train_features,
        train_targets,
        batch_size=2048,
        epochs=30,
        verbose=2,
        callbacks=callbacks,
        validation_data=(val_features, val_targets),
        class_weight=class_weight,
    )

    out = capsys.readouterr().out
    assert "Number of training samples: 2400" in out
    assert "Epoch 30/30" in out
    # One checkpoint per epoch, named by the template.
    assert all(Path(f"fraud_model_at_epoch_{epoch}.keras").exists() for epoch in range(1, 31))
    logs = {key: values[-1] for key, values in history.history.items()}
    names = ["fn", "fp", "tn", "tp", "precision", "recall"]
    assert [key for key in logs if key in names] == names
    # The confusion counts cover the validation set, and class weighting finds the frauds.
    assert logs["val_fn"] + logs["val_fp"] + logs["val_tn"] + logs["val_tp"] == 600
    assert logs["val_fn"] + logs["val_tp"] == int(val_targets.sum())
    assert logs["val_recall"] >= 0.8
    assert logs["val_precision"] == pytest.approx(
        logs["val_tp"] / max(logs["val_tp"] + logs["val_fp"], 1))
