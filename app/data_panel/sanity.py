"""Checks of prepared data before (and just after) training. Pure functions, no Qt.

Each warning is one sentence or two for a person: what was found, in numbers, and what to
do about it. They are warnings, not errors: the user may dismiss them and train anyway.
"""

import numpy as np

from ..compile_checks import CLASSIFICATION, REGRESSION, loss_name

#: The largest class may be this many times the smallest before we warn.
IMBALANCE_RATIO = 10.0
#: Share of samples one class may hold before we warn (with at least 2 classes).
DOMINANT_SHARE = 0.9


def sanity_warnings(prepared, compile_spec: dict | None, output_shape) -> list[str]:
    """Warnings about `prepared` data for a model compiled with `compile_spec`.

    Args:
        prepared: A `PreparedData`.
        compile_spec: The document's compile spec (its "loss" is read), or None.
        output_shape: The model output's shape without the batch axis, e.g. (10,), or None.

    Returns:
        Messages for: strong class imbalance, samples shared between training and
        validation/test, labels that do not fit the loss or the output, constant features.
    """
    out = []
    if prepared.task == "classification":
        out += _imbalance(prepared)
    out += _overlap(prepared)
    out += _label_fit(prepared, (compile_spec or {}).get("loss"), output_shape)
    out += _constant_features(prepared)
    return out


def single_class_warning(predictions, class_names=None) -> str | None:
    """After the first epoch: a warning when every prediction is the same class.

    Args:
        predictions: Model outputs, (n, classes) probabilities or (n, 1) / (n,) sigmoid.
        class_names: Optional names for the message.
    """
    p = np.asarray(predictions)
    if p.ndim == 0 or len(p) < 2:
        return None
    if p.ndim == 1 or p.shape[-1] == 1:
        predicted = (p.reshape(len(p)) > 0.5).astype(np.int64)
    else:
        predicted = p.reshape(len(p), -1).argmax(axis=1)
    values = np.unique(predicted)
    if values.size != 1:
        return None
    c = int(values[0])
    name = class_names[c] if class_names is not None and c < len(class_names) else str(c)
    return (f"The model predicts class {name!r} for all {len(p)} samples. It has not started "
            "to tell the classes apart: check the learning rate (try 10x lower), the input "
            "scaling (standardize or scale to 0..1), and the class balance.")


def class_counts(prepared, y=None) -> np.ndarray:
    y = prepared.y_train if y is None else y
    return np.bincount(prepared.class_indices(y), minlength=prepared.num_classes)


def _imbalance(prepared):
    counts = class_counts(prepared)
    if counts.size < 2 or counts.sum() == 0:
        return []
    names = prepared.class_names
    empty = [names[i] for i in np.flatnonzero(counts == 0)]
    if empty:
        return [f"The training data has no samples of class(es) {', '.join(empty[:5])}; the "
                "model cannot learn them. Fix: use a different split seed or more data."]
    big, small = int(counts.argmax()), int(counts.argmin())
    ratio = counts[big] / counts[small]
    share = counts[big] / counts.sum()
    if ratio >= IMBALANCE_RATIO or share >= DOMINANT_SHARE:
        return [f"Strong class imbalance: {names[big]!r} has {counts[big]} training samples "
                f"({share:.0%}), {names[small]!r} only {counts[small]} ({ratio:.0f}x fewer). "
                "Accuracy can look high while the rare class is never found; watch precision "
                "and recall per class, or balance the data."]
    return []


def _rows(x):
    """Each sample's bytes as one void scalar, so rows compare and sort as a whole."""
    flat = np.ascontiguousarray(np.asarray(x).reshape(len(x), -1))
    return flat.view(np.dtype((np.void, flat.dtype.itemsize * flat.shape[1]))).reshape(-1)


def _overlap(prepared):
    out = []
    train = _rows(prepared.x_train)
    parts = [("validation", prepared.x_val), ("test", prepared.x_test)]
    if prepared.x_val is prepared.x_test:
        parts = [("validation/test", prepared.x_test)]
    for label, x in parts:
        if x is None or len(x) == 0 or x.shape[1:] != prepared.x_train.shape[1:]:
            continue
        shared = int(np.isin(_rows(x), train).sum())
        if shared:
            out.append(f"{shared} of the {len(x)} {label} samples ({shared / len(x):.0%}) are "
                       "identical to training samples, so their scores overstate how well the "
                       "model generalises. Fix: remove duplicates before splitting.")
    return out


def _label_fit(prepared, loss, output_shape):
    if not loss:
        return []
    name, _ = loss_name(loss)
    y = np.asarray(prepared.y_train)
    units = int(output_shape[-1]) if output_shape else None
    one_hot = y.ndim == 2 and y.shape[1] > 1
    k = prepared.num_classes
    if prepared.task == "regression":
        if name in CLASSIFICATION or name == "binary_crossentropy":
            return [f"The labels are numbers to predict (regression), but the loss {name} is "
                    "for classes. Fix: compile with mean_squared_error."]
        return []
    if name in REGRESSION:
        return [f"The labels are {k} classes, but the loss {name} is for regression. Fix: "
                "compile with sparse_categorical_crossentropy."]
    if name == "sparse_categorical_crossentropy" and one_hot:
        return ["The labels are one-hot rows, but sparse_categorical_crossentropy expects "
                "class indices. Fix: remove the one-hot step, or compile with "
                "categorical_crossentropy."]
    if name == "categorical_crossentropy" and not one_hot:
        return ["categorical_crossentropy expects one-hot labels, but the labels are class "
                "indices. Fix: tick 'One-hot labels', or compile with "
                "sparse_categorical_crossentropy."]
    if name == "binary_crossentropy" and k > 2:
        return [f"binary_crossentropy is for two classes, but the labels have {k}. Fix: "
                "compile with sparse_categorical_crossentropy and a softmax output of "
                f"{k} units."]
    if units is not None and name in CLASSIFICATION and units != k:
        return [f"The labels have {k} classes but the model outputs {units} values. Fix: "
                f"give the last Dense layer {k} units."]
    return []


def _constant_features(prepared):
    x = prepared.x_train
    if len(x) < 2:
        return []
    flat = x.reshape(len(x), -1)
    constant = np.flatnonzero(flat.min(axis=0) == flat.max(axis=0))
    if prepared.is_image:
        # Blank border pixels are normal in images; only all-constant images are suspect.
        if constant.size == flat.shape[1]:
            return ["Every training image is the same. Check the data source."]
        return []
    if constant.size == 0:
        return []
    names = prepared.feature_names or [f"feature {i}" for i in range(flat.shape[1])]
    shown = ", ".join(repr(names[i]) if i < len(names) else str(i) for i in constant[:5])
    more = f" and {constant.size - 5} more" if constant.size > 5 else ""
    return [f"{constant.size} feature(s) never change in the training data ({shown}{more}); "
            "they carry no information. Fix: leave them out of the import."]
