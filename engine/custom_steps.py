"""Keras 3's "customizing what happens in fit()": `train_step`, `test_step`, `predict_step`,
`compute_loss`, `compute_metrics` and the `metrics` property, honoured by fit/evaluate/predict.

A model that does not override a step keeps the engine's fused fast path; one that does gets
its own method called with each batch as Keras packs it (`x`, `(x, y)` or
`(x, y, sample_weight)`), and the dict it returns becomes the logs (Tensors read as floats,
nested dicts such as `compile_metrics` flattened).
"""

import numpy as np

from . import backend
from .data_adapter import ArrayData
from .errors import DataError, TrainingError
from .ops.core import Tensor, value_of

STEPS = ("train_step", "test_step", "predict_step")


def overrides(model, name: str) -> bool:
    """Whether `model`'s class overrides the step `name` (a Keras customization)."""
    from .training import TrainingMixin  # noqa: PLC0415 - training imports this module

    return getattr(type(model), name) is not getattr(TrainingMixin, name)


# ----- batches as Keras hands them to a step --------------------------------------------------
def pack(xs, ys, weights):
    """Keras's `data`: `x` alone, `(x, y)` or `(x, y, sample_weight)`."""
    x = xs[0] if len(xs) == 1 else list(xs)
    if not ys:
        return x
    y = ys[0] if len(ys) == 1 else list(ys)
    return (x, y) if weights is None else (x, y, weights)


def unpack_x_y_sample_weight(data):
    """Keras's `keras.utils.unpack_x_y_sample_weight`."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise DataError(f"Data is expected to be x, (x,), (x, y) or (x, y, sample_weight); "
                    f"received a tuple of {len(data)} items.")


def loose_array_data(model, x, y, sample_weight) -> ArrayData:
    """Arrays for a model whose own step reads them: no graph to check them against (a
    GAN has no `call`), and `y` may be absent."""
    def device_array(a):
        a = value_of(a)
        if not backend.is_gpu_array(a):
            a = np.asarray(a)
        dtype = backend.FLOATX if a.dtype.kind in "fcb" else a.dtype
        return backend.to_device(a, model.device, dtype)

    xs = [device_array(a) for a in (x if isinstance(x, (list, tuple)) else [x])]
    ys = [] if y is None else [device_array(a) for a in (y if isinstance(y, (list, tuple))
                                                          else [y])]
    sizes = {int(a.shape[0]) for a in xs + ys}
    if len(sizes) != 1:
        raise DataError(f"Data cardinality is ambiguous: x and y hold {sorted(sizes)} samples. "
                        "Make sure all arrays contain the same number of samples.")
    weights = None if sample_weight is None else device_array(sample_weight)
    return ArrayData(xs, ys, weights)


# ----- logs ------------------------------------------------------------------------------------
def float_logs(logs) -> dict:
    """A step's returned dict as floats; nested dicts (compile_metrics) are flattened."""
    if logs is None:
        return {}
    if not isinstance(logs, dict):
        raise TrainingError(f"train_step/test_step must return a dict of metric values (e.g. "
                            f"{{'loss': loss}}); it returned {type(logs).__name__}.")
    flat = {}
    for key, value in logs.items():
        if isinstance(value, dict):
            flat.update(float_logs(value))
        else:
            flat[key] = _as_float(value)
    return flat


def _as_float(value):
    value = value_of(value) if isinstance(value, Tensor) or hasattr(value, "_engine_value") \
        else value
    array = np.asarray(backend.to_numpy(value))
    return float(array) if array.size == 1 else array


# ----- the loops -------------------------------------------------------------------------------
def train_epoch(model, data, batch_size, shuffle, rng, callbacks, steps=None):
    """One epoch of the model's own `train_step`; returns the last step's logs."""
    model.reset_metrics()
    logs = {}
    for step, (xs, ys, weights) in enumerate(data.batches(batch_size, shuffle=shuffle, rng=rng)):
        if steps is not None and step >= steps:
            break
        callbacks.on_train_batch_begin(step)
        logs = float_logs(model.train_step(pack(xs, ys, weights)))
        callbacks.on_train_batch_end(step, logs)
        if model.stop_training or model._control.stop_requested:
            break
        model._control.wait_while_paused()
        if model._control.stop_requested:
            break
    return logs


def evaluate(model, data, batch_size, callbacks=None):
    """The model's own `test_step` over `data`; returns the last step's logs."""
    model.reset_metrics()
    if callbacks is not None:
        callbacks.on_test_begin()
    logs = {}
    for step, (xs, ys, weights) in enumerate(data.batches(batch_size)):
        if callbacks is not None:
            callbacks.on_test_batch_begin(step)
        logs = float_logs(model.test_step(pack(xs, ys, weights)))
        if callbacks is not None:
            callbacks.on_test_batch_end(step, logs)
    if callbacks is not None:
        callbacks.on_test_end(logs)
    return logs


def predict_outputs(model, batch):
    """One batch through the model's own `predict_step`, as a list of NumPy arrays."""
    out = model.predict_step(batch[0] if len(batch) == 1 else batch)
    items = out if isinstance(out, (list, tuple)) else [out]
    return [np.asarray(backend.to_numpy(value_of(o)), dtype=np.float32) for o in items]
