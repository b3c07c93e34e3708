"""The TensorBoard callback: Keras's run folders and tags, read back with TensorBoard's own
readers; batch-level writes, histograms, images and the graph; the message without the
optional `tensorboard` package."""

import io
import json
import subprocess
import sys

import numpy as np
import pytest

from engine import Input, Sequential, callbacks, layers, registry
from engine.callbacks.tensorboard import weight_images
from engine.errors import SpecError


@pytest.fixture
def tensorboard():
    return pytest.importorskip("tensorboard")


def classifier():
    model = Sequential([Input((4,)), layers.Dense(8, activation="relu"),
                        layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def data(rng, n=64):
    x = rng.normal(size=(n, 4)).astype(np.float32)
    return x, (x[:, 0] > 0).astype(np.int64)


def read_run(folder):
    """`{tag: [(step, value)]}` of one run, through TensorBoard's EventAccumulator."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    accumulator = EventAccumulator(str(folder), size_guidance={"tensors": 0})
    accumulator.Reload()
    return {tag: [(event.step, tensor_util.make_ndarray(event.tensor_proto))
                  for event in accumulator.Tensors(tag)]
            for tag in accumulator.Tags()["tensors"]}


def scalars(run, tag):
    return [(step, float(value)) for step, value in run[tag]]


def test_that_two_epochs_write_keras_epoch_scalars_in_train_and_validation_runs(tensorboard,
                                                                                 tmp_path, rng):
    x, y = data(rng)
    history = classifier().fit(x, y, epochs=2, batch_size=16, validation_split=0.25,
                               verbose=0, callbacks=[callbacks.TensorBoard(tmp_path)])
    logs = history.history
    train, validation = read_run(tmp_path / "train"), read_run(tmp_path / "validation")
    for tag, key in (("epoch_loss", "loss"), ("epoch_accuracy", "accuracy"),
                     ("epoch_learning_rate", "learning_rate")):
        steps, values = zip(*scalars(train, tag))
        assert steps == (0, 1)
        np.testing.assert_allclose(values, logs[key], rtol=1e-6)
    for tag, key in (("epoch_loss", "val_loss"), ("epoch_accuracy", "val_accuracy")):
        steps, values = zip(*scalars(validation, tag))
        assert steps == (0, 1)
        np.testing.assert_allclose(values, logs[key], rtol=1e-6)
    assert not any(tag.startswith(("batch_", "epoch_val_")) for tag in train)
    # after each validation pass, as Keras: the results against the optimizer's iterations
    assert [step for step, _ in scalars(validation, "evaluation_loss_vs_iterations")] == [3, 6]


@pytest.mark.parametrize("update_freq, expected_steps", [
    (3, [3, 6]), ("batch", [1, 2, 3, 4, 5, 6, 7, 8])])
def test_that_update_freq_writes_running_batch_logs_every_n_batches(tensorboard, tmp_path, rng,
                                                                    update_freq,
                                                                    expected_steps):
    x, y = data(rng)
    answers = []

    class CountingTensorBoard(callbacks.TensorBoard):
        def wants_batch_logs(self, batch, mode="train"):
            answers.append(super().wants_batch_logs(batch, mode))
            return answers[-1]

    board = CountingTensorBoard(tmp_path, update_freq=update_freq, write_graph=False)
    classifier().fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[board])
    train = read_run(tmp_path / "train")
    assert [step for step, _ in scalars(train, "batch_loss")] == expected_steps
    assert [step for step, _ in scalars(train, "batch_accuracy")] == expected_steps
    # the running means are read from the device only for the batches that are written
    assert sum(answers) == len(expected_steps)
    assert all(0.0 < value < 5.0 for _, value in scalars(train, "batch_loss"))


def test_that_histograms_images_and_the_graph_are_in_the_formats_tensorboard_serves(
        tensorboard, tmp_path, rng):
    from PIL import Image
    from tensorboard.backend.event_processing import plugin_event_accumulator
    from tensorboard.compat.proto import summary_pb2
    from tensorboard.plugins.graph import keras_util

    x, y = data(rng)
    model = classifier()
    model.fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[
        callbacks.TensorBoard(tmp_path, histogram_freq=2, write_images=True)])
    served = plugin_event_accumulator.EventAccumulator(str(tmp_path / "train"))
    served.Reload()
    kinds = {tag: summary_pb2.DataClass.Name(served.SummaryMetadata(tag).data_class)
             for tag in ("epoch_loss", "dense/kernel/histogram", "dense/kernel/image", "keras")}
    assert kinds == {"epoch_loss": "DATA_CLASS_SCALAR",
                     "dense/kernel/histogram": "DATA_CLASS_TENSOR",
                     "dense/kernel/image": "DATA_CLASS_BLOB_SEQUENCE",
                     "keras": "DATA_CLASS_BLOB_SEQUENCE"}
    train = read_run(tmp_path / "train")
    ((step, buckets),) = train["dense_1/kernel/histogram"]  # histogram_freq=2: epoch 0 only
    assert step == 0 and buckets.shape == (30, 3) and buckets[:, 2].sum() == 8 * 2
    (_, image), = train["dense/kernel/image"]
    width, height, png = int(image[0]), int(image[1]), image[2]
    assert (width, height) == (8, 4)  # the (4, 8) kernel, wider than tall, as Keras lays it
    assert Image.open(io.BytesIO(png)).size == (8, 4)
    config = json.loads(train["keras"][0][1].item())
    graph = keras_util.keras_model_to_graph_def(config)
    edges = {node.name.split("/")[-1]: [i.split("/")[-1] for i in node.input]
             for node in graph.node}
    assert edges == {"input_layer": [], "dense": ["input_layer"], "dense_1": ["dense"]}


def test_that_evaluate_alone_writes_the_evaluation_scalars(tensorboard, tmp_path, rng):
    x, y = data(rng)
    model = classifier()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    results = model.evaluate(x, y, verbose=0, return_dict=True,
                             callbacks=[callbacks.TensorBoard(tmp_path, write_graph=False)])
    validation = read_run(tmp_path / "validation")
    assert scalars(validation, "evaluation_loss_vs_iterations") == [
        (4, pytest.approx(results["loss"], rel=1e-6))]


def test_that_the_callback_is_registered_and_its_config_round_trips(tensorboard, tmp_path):
    cls = registry.get_class("callback", "TensorBoard")
    board = cls(log_dir=str(tmp_path), histogram_freq=2, update_freq="batch")
    config = board.get_config()
    assert list(config) == [p.name for p in cls.PARAMS]
    assert config["update_freq"] == 1  # "batch" is 1, as Keras stores it
    assert cls.from_config(json.loads(json.dumps(config))).get_config() == config
    defaults = cls().get_config()
    assert defaults == {p.name: p.default for p in cls.PARAMS}


def test_that_bad_or_tensorflow_only_arguments_are_refused_with_the_reason(tensorboard):
    with pytest.raises(SpecError, match="update_freq"):
        callbacks.TensorBoard(update_freq=0)
    with pytest.raises(SpecError, match="histogram_freq"):
        callbacks.TensorBoard(histogram_freq=-1)
    with pytest.raises(SpecError, match="profiling is not available"):
        callbacks.TensorBoard(profile_batch=(2, 5))
    with pytest.raises(SpecError, match="embedding projector"):
        callbacks.TensorBoard(embeddings_freq=1)


def test_that_without_the_package_the_error_says_how_to_install(monkeypatch):
    for name in [n for n in sys.modules if n == "tensorboard" or n.startswith("tensorboard.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # `import tensorboard` now fails
    with pytest.raises(ImportError, match=r'pip install "layercraft\[tensorboard\]"'):
        callbacks.TensorBoard("logs")


def test_that_importing_the_engine_does_not_need_tensorboard():
    code = "import sys, engine; print('tensorboard' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_that_weights_become_images_the_way_keras_lays_them_out():
    assert weight_images(np.zeros(5)).shape == (1, 1, 5, 1)  # a bias: one row
    assert weight_images(np.zeros((6, 3))).shape == (1, 3, 6, 1)  # tall kernels are turned
    assert weight_images(np.zeros((3, 3, 1, 8))).shape == (8, 3, 3, 1)  # one per filter
    assert weight_images(np.zeros((3, 3, 2, 8))) is None  # not drawn, as in Keras
