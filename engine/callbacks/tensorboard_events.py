"""TensorBoard event files written with the `tensorboard` package alone (no TensorFlow).

`RunWriter` appends summaries to one run folder's event file in the formats `tf.summary`
writes, so TensorBoard reads them as it reads Keras's: scalars, histograms, images and the
Keras model config behind the Graphs tab's conceptual graph. The package is an optional
dependency; `load()` says how to install it.
"""

import io
import json
import time
from types import SimpleNamespace

import numpy as np

INSTALL_HINT = (
    "The TensorBoard callback writes its event files with the `tensorboard` package, which "
    'is not installed. Install it with: pip install "layercraft[tensorboard]" (or: pip '
    "install tensorboard), then start TensorBoard with: tensorboard --logdir <log_dir>")
KERAS_MODEL_PLUGIN = "graph_keras_model"  # TensorBoard's plugin name for the model config


def load() -> SimpleNamespace:
    """The `tensorboard` modules used here.

    Raises:
        ImportError: when the package is missing, saying how to install it.
    """
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2  # noqa: PLC0415
        from tensorboard.plugins.histogram import summary_v2 as histogram  # noqa: PLC0415
        from tensorboard.plugins.image import metadata as image_metadata  # noqa: PLC0415
        from tensorboard.plugins.scalar import metadata as scalar_metadata  # noqa: PLC0415
        from tensorboard.summary.writer import event_file_writer  # noqa: PLC0415
        from tensorboard.util import tensor_util  # noqa: PLC0415
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc
    return SimpleNamespace(event_pb2=event_pb2, summary_pb2=summary_pb2, histogram=histogram,
                           image_metadata=image_metadata, scalar_metadata=scalar_metadata,
                           EventFileWriter=event_file_writer.EventFileWriter,
                           tensor_util=tensor_util)


class RunWriter:
    """One run folder (such as `logs/train`) and the event file written into it."""

    def __init__(self, folder: str):
        self._tb = load()
        self.folder = folder
        self._file = self._tb.EventFileWriter(folder)  # creates the folder and the file

    def scalar(self, tag: str, value, step: int) -> None:
        """A float32 scalar, as `tf.summary.scalar` writes it."""
        tb = self._tb
        metadata = tb.scalar_metadata.create_summary_metadata(display_name=None,
                                                              description=None)
        tensor = tb.tensor_util.make_tensor_proto(np.float32(value))
        self._write(tb.summary_pb2.Summary.Value(tag=tag, tensor=tensor, metadata=metadata),
                    step)

    def histogram(self, tag: str, values, step: int, buckets: int = 30) -> None:
        """`(buckets, 3)` rows of left edge, right edge and count (`tf.summary.histogram`)."""
        summary = self._tb.histogram.histogram_pb(tag, np.asarray(values, dtype=np.float64),
                                                  buckets=buckets)
        self._write(summary.value[0], step)

    def images(self, tag: str, images, step: int, max_outputs: int = 3) -> None:
        """The first `max_outputs` of `images` `(k, h, w, c)`, floats in [0, 1] (clipped, as
        `tf.summary.image` does), as PNGs."""
        from PIL import Image  # noqa: PLC0415 - Pillow is a core dependency

        tb = self._tb
        pixels = np.rint(np.clip(np.asarray(images, dtype=np.float64), 0.0, 1.0) * 255.0)
        pixels = pixels.astype(np.uint8)
        encoded = []
        for image in pixels[:max_outputs]:
            buffer = io.BytesIO()
            Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image).save(buffer, "PNG")
            encoded.append(buffer.getvalue())
        height, width = pixels.shape[1:3]
        tensor = tb.tensor_util.make_tensor_proto(
            [str(width).encode(), str(height).encode(), *encoded])
        metadata = tb.image_metadata.create_summary_metadata(display_name=None,
                                                             description=None)
        self._write(tb.summary_pb2.Summary.Value(tag=tag, tensor=tensor, metadata=metadata),
                    step)

    def keras_model(self, config: dict, step: int = 0) -> None:
        """A Keras-format model config (`keras_model_config`) under the tag `"keras"`."""
        tb = self._tb
        metadata = tb.summary_pb2.SummaryMetadata(
            plugin_data=tb.summary_pb2.SummaryMetadata.PluginData(
                plugin_name=KERAS_MODEL_PLUGIN, content=b"1"))
        tensor = tb.tensor_util.make_tensor_proto(json.dumps(config).encode())
        self._write(tb.summary_pb2.Summary.Value(tag="keras", tensor=tensor, metadata=metadata),
                    step)

    def _write(self, value, step: int) -> None:
        event = self._tb.event_pb2.Event(wall_time=time.time(), step=int(step))
        event.summary.value.append(value)
        self._file.add_event(event)

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def keras_model_config(spec: dict) -> dict:
    """A model spec in the shape of Keras 3's `model.to_json()`, which TensorBoard's graph
    plugin draws: layers with `inbound_nodes` naming their inputs' layers."""
    def history(name):
        return {"class_name": "__keras_tensor__", "config": {"keras_history": [name, 0, 0]}}

    layers = []
    for entry in spec["layers"]:
        inputs = entry.get("inputs") or []
        nodes = [{"args": [[history(n) for n in inputs]], "kwargs": {}}] if inputs else []
        layers.append({"class_name": entry["class_name"], "name": entry["name"],
                       "config": {"name": entry["name"], **(entry.get("config") or {})},
                       "inbound_nodes": nodes})
    starts = [entry["name"] for entry in spec["layers"] if not entry.get("inputs")]
    return {"class_name": "Functional",
            "config": {"name": spec.get("name", "model"), "layers": layers,
                       "input_layers": [[name, 0, 0] for name in starts],
                       "output_layers": [[name, 0, 0] for name in spec["outputs"]]}}
