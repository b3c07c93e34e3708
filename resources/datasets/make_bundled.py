"""Writes the bundled data sets (`resources/datasets/*.npz`) once, from scikit-learn's copies.

This is how the files in this folder were produced; the project does not depend on
scikit-learn. To reproduce them, use a throw-away virtual environment:

    python3 -m venv /tmp/skl-venv
    /tmp/skl-venv/bin/pip install scikit-learn
    /tmp/skl-venv/bin/python resources/datasets/make_bundled.py

Each set is split once into a training and a test part (20 % test, stratified by class for
the classification sets, `random_state=0`), so every user sees the same split. Each file
holds `x_train`, `y_train`, `x_test`, `y_test`, `feature_names` and `class_names` (empty for
the regression set) as plain arrays, readable with `np.load(path, allow_pickle=False)`.
"""

from pathlib import Path

import numpy as np
from sklearn import datasets
from sklearn.model_selection import train_test_split

HERE = Path(__file__).resolve().parent
TEST_SIZE = 0.2
SEED = 0


def _digits():
    bunch = datasets.load_digits()
    x = bunch.images.astype(np.uint8)  # integer counts 0..16, exact in uint8
    names = [f"pixel_{r}_{c}" for r in range(8) for c in range(8)]
    return x, bunch.target.astype(np.int64), names, [str(c) for c in bunch.target_names]


def _classification(loader):
    bunch = loader()
    return (bunch.data.astype(np.float64), bunch.target.astype(np.int64),
            [str(n) for n in bunch.feature_names], [str(n) for n in bunch.target_names])


def _diabetes():
    bunch = datasets.load_diabetes(scaled=False)  # raw units (age in years, bmi, ...)
    return bunch.data.astype(np.float64), bunch.target.astype(np.float64), \
        [str(n) for n in bunch.feature_names], []


SOURCES = {
    "digits": _digits,
    "iris": lambda: _classification(datasets.load_iris),
    "wine": lambda: _classification(datasets.load_wine),
    "breast_cancer": lambda: _classification(datasets.load_breast_cancer),
    "diabetes": _diabetes,
}


def write(name: str) -> Path:
    x, y, feature_names, class_names = SOURCES[name]()
    stratify = y if class_names else None
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=TEST_SIZE, random_state=SEED, stratify=stratify)
    path = HERE / f"{name}.npz"
    np.savez_compressed(
        path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
        feature_names=np.array(feature_names, dtype=str),
        class_names=np.array(class_names, dtype=str))
    return path


def main() -> None:
    for name in SOURCES:
        path = write(name)
        print(f"{path.name}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
