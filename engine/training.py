"""Inference (and, with compile, training) methods shared by every Model."""

import numpy as np

from . import backend
from .errors import DataError


def batch_slices(count: int, batch_size: int):
    """`slice` objects covering `count` samples in batches; the last may be partial."""
    for start in range(0, count, batch_size):
        yield slice(start, min(start + batch_size, count))


def sample_count(arrays) -> int:
    sizes = {int(a.shape[0]) for a in arrays}
    if len(sizes) != 1:
        raise DataError("Data cardinality is ambiguous. Make sure all arrays contain the same "
                        "number of samples. Sizes received: " + ", ".join(
                            str(int(a.shape[0])) for a in arrays))
    return sizes.pop()


class TrainingMixin:
    """predict/predict_on_batch here; compile/fit/evaluate join in the training issue."""

    def _init_training_state(self):
        self.compiled = False

    def _on_device_changed(self):
        """Called after the weights moved to another device."""

    def predict(self, x, batch_size: int = 32, verbose: int = 0, callbacks=None):
        """Outputs for `x` in inference mode, batched, as NumPy (a list for several outputs).

        Memory stays bounded: each batch goes to the device, runs, and its output is copied
        into one preallocated NumPy array.
        """
        if batch_size is None:
            batch_size = 32
        arrays = self._host_inputs(x)
        count = sample_count(arrays)
        results = None
        for part in batch_slices(count, int(batch_size)):
            outputs = self.forward(self.standardize_inputs(
                [a[part] for a in arrays] if len(arrays) > 1 else arrays[0][part]),
                training=False)
            if results is None:
                results = [np.empty((count, *o.shape[1:]), dtype=np.float32) for o in outputs]
            for target, out in zip(results, outputs):
                target[part] = backend.to_numpy(out)
        if results is None:  # zero samples
            results = [np.empty((0, *s), dtype=np.float32) for s in self.output_shapes]
        return results[0] if len(results) == 1 else results

    def predict_on_batch(self, x):
        outputs = self.forward(self.standardize_inputs(x), training=False)
        outputs = [backend.to_numpy(o) for o in outputs]
        return outputs[0] if len(outputs) == 1 else outputs

    def _host_inputs(self, x) -> list:
        """Inputs as a list in `input_names` order, not yet moved to the device."""
        names = self.input_names
        if isinstance(x, dict):
            return [x[n] for n in names]
        if isinstance(x, (list, tuple)) and len(names) > 1:
            return list(x)
        return [x]
