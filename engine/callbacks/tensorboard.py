"""TensorBoard: training curves, weight histograms and the model graph for TensorBoard.

Keras's layout and tags: `log_dir/train` and `log_dir/validation` runs, `epoch_<log>` scalars
per epoch (validation logs without their `val_` prefix), `batch_<log>` every `update_freq`
batches, `evaluation_<log>_vs_iterations` after each evaluation. The event files are written
with the `tensorboard` package (`pip install "layercraft[tensorboard]"`), without TensorFlow.
"""

import os
import time
import warnings

import numpy as np

from .. import backend, registry
from ..errors import LayerCraftError, SpecError
from ..params import BOOL, INT, STR, Param
from .base import Callback
from .lr import current_learning_rate
from .tensorboard_events import RunWriter, keras_model_config, load


def check_update_freq(value, owner: str = "TensorBoard"):
    """`"epoch"`, or a positive number of batches (`"batch"` is 1, digits from a form)."""
    if value == "batch":
        return 1
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if value == "epoch" or (isinstance(value, int) and not isinstance(value, bool) and value > 0):
        return value
    raise SpecError(f"{owner}: `update_freq` must be 'epoch', 'batch' or a positive number of "
                    f"batches. Received: update_freq={value!r}")


@registry.register("callback")
class TensorBoard(Callback):
    """Writes TensorBoard event files: `tensorboard --logdir <log_dir>` shows them.

    Args:
        log_dir: Folder of the runs (`train/`, `validation/`); not shared with other
            callbacks. Defaults to `"logs"`.
        histogram_freq: Every how many epochs to write weight histograms (0 = never).
            Defaults to `0`.
        write_graph: Write the model's layer graph (TensorBoard's conceptual graph).
            Defaults to `True`.
        write_images: Write the weights as images with the histograms. Defaults to `False`.
        write_steps_per_second: Also write the training steps per second. Defaults to
            `False`.
        update_freq: `"epoch"` writes the logs at each epoch end; an integer N (or
            `"batch"`, 1) also writes the running batch logs every N batches.
            Defaults to `"epoch"`.
        profile_batch, embeddings_freq, embeddings_metadata: Keras's profiler and embedding
            projector, which need TensorFlow; only their off values (`0`, `0`, `None`) are
            accepted.

    Raises:
        ImportError: at construction, when the `tensorboard` package is not installed.
    """

    DESCRIPTION = "Write training curves and weight histograms for TensorBoard."
    PARAMS = (
        Param("log_dir", STR, "logs", help="Folder for the train/ and validation/ runs."),
        Param("histogram_freq", INT, 0, minimum=0,
              help="Weight histograms every N epochs (0 = never)."),
        Param("write_graph", BOOL, True, help="Write the model graph (Graphs tab)."),
        Param("write_images", BOOL, False, help="Write the weights as images too."),
        Param("write_steps_per_second", BOOL, False, help="Write training steps per second."),
        Param("update_freq", STR, "epoch",
              help="'epoch', 'batch', or a number of batches between batch-level writes."),
    )

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        load()  # the ImportError with the install command comes here, not mid-training
        self._configure(log_dir=os.fspath(log_dir), histogram_freq=histogram_freq,
                        write_graph=write_graph, write_images=write_images,
                        write_steps_per_second=write_steps_per_second)
        self.update_freq = check_update_freq(update_freq)
        _refuse_tensorflow_only(profile_batch, embeddings_freq, embeddings_metadata)
        self._writers: dict[str, RunWriter] = {}
        self._global_train_batch = 0
        self._batch_start = self._epoch_start = 0.0
        self._epoch_start_iterations = 0

    # ----- writers ---------------------------------------------------------------------------
    def _writer(self, run: str) -> RunWriter:
        if run not in self._writers:
            self._writers[run] = RunWriter(os.path.join(self.log_dir, run))
        return self._writers[run]

    def _close_writers(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    def set_model(self, model) -> None:
        """Starts fresh event files for this model and writes its graph (as Keras does)."""
        super().set_model(model)
        self._close_writers()
        if self.write_graph and model is not None:
            self._write_graph()

    def _write_graph(self) -> None:
        try:
            config = keras_model_config(self.model.to_spec())
        except (LayerCraftError, AttributeError, TypeError, ValueError) as exc:
            # a model without a spec still trains; Keras warns the same way
            warnings.warn(f"TensorBoard: the model graph was not written ({exc}).",
                          stacklevel=3)
            return
        self._writer("train").keras_model(config, step=0)

    # ----- hooks -----------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._global_train_batch = 0

    def on_train_end(self, logs=None):
        self._close_writers()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self.write_steps_per_second:
            self._batch_start = time.perf_counter()

    def wants_batch_logs(self, batch, mode="train"):
        if self._subclass_reads_batch_logs(TensorBoard, mode):
            return True
        return mode == "train" and self._batch_due()

    def _batch_due(self) -> bool:
        return self.update_freq != "epoch" and self._global_train_batch % self.update_freq == 0

    def on_train_batch_end(self, batch, logs=None):
        if not self._batch_due():
            return
        writer, step = self._writer("train"), self._global_train_batch
        if self.write_steps_per_second:
            seconds = time.perf_counter() - self._batch_start
            writer.scalar("batch_steps_per_second", 1.0 / max(seconds, 1e-9), step)
        for name, value in _scalars(logs).items():
            writer.scalar(f"batch_{name}", value, step)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._epoch_start_iterations = _iterations(self.model)

    def on_epoch_end(self, epoch, logs=None):
        self._write_epoch_logs(epoch, logs or {})
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_weights(epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_test_end(self, logs=None):
        step = _iterations(self.model)
        if step is None:
            return
        writer = self._writer("validation")
        for name, value in _scalars(logs).items():
            writer.scalar(f"evaluation_{name}_vs_iterations", value, step)
        writer.flush()

    # ----- what is written -------------------------------------------------------------------
    def _write_epoch_logs(self, epoch: int, logs: dict) -> None:
        if not logs:
            return
        train = {k: v for k, v in _scalars(logs).items() if not k.startswith("val_")}
        validation = {k[4:]: v for k, v in _scalars(logs).items() if k.startswith("val_")}
        if getattr(self.model, "optimizer", None) is not None:
            train["learning_rate"] = current_learning_rate(self.model)
        if self.write_steps_per_second:
            steps = (_iterations(self.model) or 0) - (self._epoch_start_iterations or 0)
            train["steps_per_second"] = steps / max(time.perf_counter() - self._epoch_start,
                                                    1e-9)
        for run, values in (("train", train), ("validation", validation)):
            if values:
                writer = self._writer(run)
                for name, value in values.items():
                    writer.scalar(f"epoch_{name}", value, epoch)

    def _write_weights(self, epoch: int) -> None:
        writer = self._writer("train")
        for layer in self.model.layers:
            for key, weight in layer.params.items():
                values = backend.to_numpy(weight)
                writer.histogram(f"{layer.name}/{key}/histogram", values, epoch)
                if self.write_images:
                    images = weight_images(values)
                    if images is not None:
                        writer.images(f"{layer.name}/{key}/image", images, epoch)


def weight_images(weight: np.ndarray):
    """A weight as `(k, h, w, 1)` images, laid out as Keras's TensorBoard does, or None for
    shapes it does not draw (a bias is one row; a kernel is wider than tall; a 3-D kernel is
    one image per channel)."""
    image = np.squeeze(weight)
    if image.ndim == 1:
        return image.reshape(1, 1, -1, 1)
    if image.ndim == 2:
        image = image.T if image.shape[0] > image.shape[1] else image
        return image.reshape(1, *image.shape, 1)
    if image.ndim == 3:
        return np.transpose(image, (2, 0, 1))[..., None]
    return image if image.ndim == 4 and image.shape[-1] in (1, 3, 4) else None


def _scalars(logs) -> dict:
    """The logs that are single numbers (per-class vectors stay out, as in the epoch logs)."""
    numbers = (int, float, np.number, np.ndarray)
    return {name: float(value) for name, value in (logs or {}).items()
            if isinstance(value, numbers) and not isinstance(value, bool)
            and np.ndim(value) == 0}


def _iterations(model):
    optimizer = getattr(model, "optimizer", None)
    return None if optimizer is None else int(getattr(optimizer, "iterations", 0))


def _refuse_tensorflow_only(profile_batch, embeddings_freq, embeddings_metadata) -> None:
    if profile_batch not in (0, None, "0"):
        raise SpecError(
            "TensorBoard: profiling is not available with the LayerCraft engine (Keras offers "
            "it on the TensorFlow and JAX backends only). Received: "
            f"profile_batch={profile_batch!r}. Use profile_batch=0, and the steps per second "
            "(write_steps_per_second=True) for speed.")
    if embeddings_freq or embeddings_metadata is not None:
        raise SpecError(
            "TensorBoard: the embedding projector needs TensorFlow checkpoints, which the "
            "LayerCraft engine does not write. Received: "
            f"embeddings_freq={embeddings_freq!r}, embeddings_metadata={embeddings_metadata!r}."
            " Use embeddings_freq=0; histogram_freq=1 shows the embedding weights' histograms.")
