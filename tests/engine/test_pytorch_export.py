"""PyTorch export (`engine.interop.pytorch_export`): the package's files, the layers it refuses,
and, with torch installed, `build_model()` predicting like the engine."""

import importlib.util
import itertools
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from engine import Input, Model, Sequential, layers, losses, optimizers, schedules
from engine.saving import safetensors_io
from engine.saving.checkpoint import weight_layout
from engine.errors import CheckpointError, SpecError
from engine.interop import exporter
from engine.interop.pytorch_export import export
from engine.interop.pytorch_schedules import schedule_code

_counter = itertools.count()


def _import_model_py(folder):
    spec = importlib.util.spec_from_file_location(f"exported_model_{next(_counter)}",
                                                  os.path.join(folder, "model.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _varied_weights(model, seed=0):
    """Weights with non-trivial biases and BatchNormalization statistics."""
    rng = np.random.default_rng(seed)
    weights = []
    for (_, key, shape), array in zip(weight_layout(model), model.get_weights()):
        if key == "moving_variance":
            array = rng.uniform(0.5, 2.0, shape)
        elif array.ndim <= 2 and not array.any() or key in ("gamma", "moving_mean"):
            array = rng.normal(0.0, 0.3, shape)
        weights.append(np.asarray(array, dtype=np.float32))
    model.set_weights(weights)


def _max_difference(model, x, folder):
    torch = pytest.importorskip("torch")
    _varied_weights(model)
    export(model, folder, batch_size=16)
    torch_model = _import_model_py(folder).build_model()
    inputs = x if isinstance(x, list) else [x]
    with torch.no_grad():
        outputs = torch_model(*(torch.from_numpy(a) for a in inputs))
    outputs = outputs if isinstance(outputs, tuple) else (outputs,)
    expected = model.predict(x, verbose=0)
    expected = expected if isinstance(expected, list) else [expected]
    return max(float(np.abs(o.numpy() - e).max()) for o, e in zip(outputs, expected))


def _cnn():
    return Sequential([
        Input((12, 12, 3)), layers.Conv2D(6, 3, padding="same", activation="relu"),
        layers.BatchNormalization(), layers.MaxPooling2D(),
        layers.Conv2D(8, 3, strides=2, padding="same"), layers.AveragePooling2D(padding="same"),
        layers.Dropout(0.3), layers.Flatten(), layers.Dense(10, activation="softmax")])


# ----- predictions (torch needed) ------------------------------------------------------------
@pytest.mark.interop
def test_that_an_exported_cnn_predicts_like_the_engine(tmp_path):
    x = np.random.default_rng(1).normal(size=(6, 12, 12, 3)).astype(np.float32)
    assert _max_difference(_cnn(), x, tmp_path / "cnn") < 1e-4


@pytest.mark.interop
def test_that_an_exported_rnn_predicts_like_the_engine(tmp_path):
    model = Sequential([Input((7,)), layers.Embedding(20, 8),
                        layers.LSTM(6, return_sequences=True), layers.GRU(5, go_backwards=True),
                        layers.Dense(3, activation="softmax")])
    ids = np.random.default_rng(2).integers(0, 20, size=(5, 7)).astype(np.float32)
    assert _max_difference(model, ids, tmp_path / "rnn") < 1e-4


@pytest.mark.interop
def test_that_simple_rnn_conv1d_and_layer_normalization_predict_like_the_engine(tmp_path):
    model = Sequential([Input((9, 3)), layers.SimpleRNN(4, return_sequences=True),
                        layers.LayerNormalization(), layers.Conv1D(5, 3, padding="causal"),
                        layers.MaxPooling1D(2, padding="same"), layers.GlobalAveragePooling1D()])
    x = np.random.default_rng(3).normal(size=(4, 9, 3)).astype(np.float32)
    assert _max_difference(model, x, tmp_path / "seq") < 1e-4


@pytest.mark.interop
def test_that_a_functional_model_with_merges_shared_layers_and_states_predicts_alike(tmp_path):
    image, vector = Input((9, 9, 2), name="image"), Input((5,), name="vector")
    left = layers.Conv2D(4, 2, strides=2, padding="same")(image)
    right = layers.MaxPooling2D(3, strides=2, padding="same")(layers.Conv2D(4, 1)(image))
    joined = layers.Concatenate()([left, right])  # channels-first inside: dim 1
    shared = layers.Dense(5)
    mixed = layers.Add()([shared(vector), layers.Dense(5)(layers.GlobalMaxPooling2D()(joined))])
    mixed = layers.Multiply()([mixed, shared(vector)])
    flat = layers.Dense(3)(layers.Flatten()(joined))
    steps = layers.Reshape((5, 1))(vector)
    _, h, c = layers.LSTM(3, return_state=True)(steps)
    gru = layers.GRU(3)(steps, initial_state=[h])
    model = Model([image, vector], [layers.Concatenate()([mixed, flat]),
                                    layers.Average()([gru, c]), layers.Softmax()(joined)])
    rng = np.random.default_rng(4)
    x = [rng.normal(size=(3, 9, 9, 2)).astype(np.float32),
         rng.normal(size=(3, 5)).astype(np.float32)]
    assert _max_difference(model, x, tmp_path / "functional") < 1e-4


@pytest.mark.interop
def test_that_weights_go_to_torch_and_back_unchanged(tmp_path):
    pytest.importorskip("torch")
    model = Sequential([Input((6,)), layers.Embedding(10, 4), layers.GRU(3), layers.Dense(2)])
    _varied_weights(model)
    export(model, tmp_path / "pkg")
    module = _import_model_py(tmp_path / "pkg")
    back = module.keras_weights(module.build_model())
    assert list(back) == [f"{i:04d}:{layer}/{key}"
                          for i, (layer, key, _) in enumerate(weight_layout(model))]
    for tensor, array in zip(back.values(), model.get_weights()):
        np.testing.assert_array_equal(tensor.numpy(), array)


@pytest.mark.interop
@pytest.mark.parametrize("loss", [
    "sparse_categorical_crossentropy", losses.SparseCategoricalCrossentropy(from_logits=True),
    "categorical_crossentropy", losses.CategoricalCrossentropy(label_smoothing=0.1),
    "binary_crossentropy", losses.BinaryCrossentropy(from_logits=True), "mse", "mae",
    losses.Huber(delta=0.5)])
def test_that_train_py_computes_the_compiled_loss_as_the_engine(tmp_path, loss):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    model = Sequential([Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss=loss)
    name = type(losses.get(loss)).__name__
    y_pred = rng.uniform(0.05, 0.9, (8, 3)).astype(np.float32)
    y_true = {"SparseCategoricalCrossentropy": rng.integers(0, 3, (8,)),
              "BinaryCrossentropy": rng.integers(0, 2, (8, 3)).astype(np.float32),
              "CategoricalCrossentropy": np.eye(3, dtype=np.float32)[rng.integers(0, 3, 8)]
              }.get(name, rng.normal(size=(8, 3)).astype(np.float32))
    export(model, tmp_path / "pkg")
    source = (tmp_path / "pkg" / "train.py").read_text()
    namespace = {"torch": torch, "F": torch.nn.functional, "EPSILON": 1e-7}
    loss_source = source[source.index("def loss_fn"):source.index("def learning_rate")]
    exec(loss_source, namespace)  # noqa: S102 - the generated code under test
    value = namespace["loss_fn"](torch.from_numpy(y_pred), torch.from_numpy(y_true)).item()
    assert value == pytest.approx(float(losses.get(loss)(y_true, y_pred)), rel=1e-5)


# ----- the package, without torch -----------------------------------------------------------
def test_that_the_package_holds_model_train_weights_and_readme(tmp_path):
    model = _cnn()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    notes = exporter("pytorch")(model, tmp_path / "pkg", compile_config=model.compile_config)
    assert sorted(os.listdir(tmp_path / "pkg")) == ["README.md", "model.py", "train.py",
                                                    "weights.safetensors"]
    readme = (tmp_path / "pkg" / "README.md").read_text()
    for text in ("--nnodes", "--node-rank", "--rdzv-endpoint", "load_weights", "model.py"):
        assert text in readme
    train = (tmp_path / "pkg" / "train.py").read_text()
    assert "betas=(0.9, 0.999)" in train and "KERAS_EPSILON = 1e-07" in train
    assert "BATCH_SIZE = None" in train
    assert "DistributedSampler" in train and '"gloo"' in train and '"nccl"' in train
    assert any("--batch-size" in note for note in notes)


def test_that_exporting_does_not_import_torch():
    code = ("import sys; from engine import Input, Sequential, layers; "
            "from engine.interop.pytorch_export import package_files; "
            "package_files(Sequential([Input((3,)), layers.Dense(2)])); "
            "print('torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"


def test_that_the_batch_size_given_becomes_train_py_default(tmp_path):
    model = Sequential([Input((4,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    export(model, tmp_path / "pkg", batch_size=64)
    assert "BATCH_SIZE = 64" in (tmp_path / "pkg" / "train.py").read_text()


def test_that_an_uncompiled_model_gets_no_train_py_and_a_note(tmp_path):
    notes = export(Sequential([Input((4,)), layers.Dense(2)]), tmp_path / "pkg")
    assert "train.py" not in os.listdir(tmp_path / "pkg")
    assert any("train.py was not written" in note and "compile" in note for note in notes)


def test_that_an_unsupported_layer_is_named_and_nothing_is_written(tmp_path):
    model = Sequential([Input((4, 4, 4, 1)), layers.Conv3D(2, 2, name="volume")])
    with pytest.raises(SpecError, match=r"Layer 'volume' \(Conv3D\).*Supported layers"):
        export(model, tmp_path / "pkg")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("layer, setting", [
    (layers.GRU(3, reset_after=False, name="gru"), "reset_after=False"),
    (layers.LSTM(3, activation="relu", name="lstm"), "activation='relu'"),
    (layers.BatchNormalization(axis=1, name="bn"), "axis"),
])
def test_that_a_refused_setting_names_the_layer_and_the_fix(tmp_path, layer, setting):
    model = Sequential([Input((5, 4)), layer])
    with pytest.raises(SpecError) as info:
        export(model, tmp_path / "pkg")
    message = str(info.value)
    assert f"'{layer.name}'" in message and setting in message
    assert "Expected" in message and "received" in message and "Fix:" in message
    assert not (tmp_path / "pkg").exists()


def test_that_embedding_masks_are_refused(tmp_path):
    model = Sequential([Input((5,)), layers.Embedding(9, 3, mask_zero=True, name="words"),
                        layers.LSTM(2)])
    with pytest.raises(SpecError, match="'words'.*mask_zero"):
        export(model, tmp_path / "pkg")


def test_that_a_folder_with_other_files_is_not_replaced(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "notes.txt").write_text("mine")
    with pytest.raises(CheckpointError, match="notes.txt"):
        export(Sequential([Input((4,)), layers.Dense(2)]), tmp_path / "pkg")
    assert (tmp_path / "pkg" / "notes.txt").read_text() == "mine"


def test_that_an_earlier_export_is_replaced_whole(tmp_path):
    export(Sequential([Input((4,)), layers.Dense(2)]), tmp_path / "pkg")
    model = Sequential([Input((4,)), layers.Dense(3)])
    model.compile(optimizer="sgd", loss="mse")
    export(model, tmp_path / "pkg")
    assert "nn.Linear(4, 3)" in (tmp_path / "pkg" / "model.py").read_text()
    assert sorted(os.listdir(tmp_path)) == ["pkg"]


@pytest.mark.parametrize("schedule", [
    schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True),
    schedules.ExponentialDecay(0.1, 4, 0.5), schedules.CosineDecay(0.1, 8, alpha=0.2),
    schedules.InverseTimeDecay(0.1, 7, 0.3), schedules.PiecewiseConstantDecay([5, 9],
                                                                             [0.1, 0.05, 0.01]),
    schedules.PolynomialDecay(0.1, 20, 0.001, power=2.0, cycle=True),
    schedules.CosineDecay(0.1, 30, alpha=0.1, warmup_target=0.2, warmup_steps=5)])
def test_that_train_py_learning_rate_follows_the_engine_schedule(schedule):
    namespace = {"math": math}
    exec(schedule_code(schedule, None), namespace)  # noqa: S102 - the generated code under test
    for step in (0, 1, 4, 5, 6, 10, 19, 20, 33, 80):
        assert namespace["learning_rate"](step) == pytest.approx(schedule(step), rel=1e-9)


def test_that_the_optimizer_settings_and_clipping_reach_train_py(tmp_path):
    model = Sequential([Input((4,)), layers.Dense(2, kernel_regularizer="l2")])
    model.compile(optimizer=optimizers.RMSprop(0.01, rho=0.8, clipnorm=1.5), loss="mse")
    export(model, tmp_path / "pkg")
    train = (tmp_path / "pkg" / "train.py").read_text()
    assert "torch.optim.RMSprop(" in train and "alpha=0.8" in train
    assert "clip_grad_norm_([p], 1.5)" in train
    assert "(['dense" in train and ".weight'], 0.0, 0.01)" in train


# ----- weights back into the engine ------------------------------------------------------------
def test_that_load_weights_reads_a_safetensors_file_with_engine_names(tmp_path):
    source = Sequential([Input((4,)), layers.Dense(3), layers.Dense(2)])
    _varied_weights(source)
    names = [f"{i:04d}:{layer}/{key}" for i, (layer, key, _) in enumerate(weight_layout(source))]
    (tmp_path / "w.safetensors").write_bytes(
        safetensors_io.encode(dict(zip(names, source.get_weights()))))
    target = Sequential([Input((4,)), layers.Dense(3), layers.Dense(2)])
    target.load_weights(tmp_path / "w.safetensors")
    x = np.ones((2, 4), dtype=np.float32)
    np.testing.assert_array_equal(target.predict(x, verbose=0), source.predict(x, verbose=0))


def test_that_load_weights_refuses_a_safetensors_file_of_other_shapes(tmp_path):
    arrays = {"0000:dense/kernel": np.zeros((4, 5), np.float32),
              "0001:dense/bias": np.zeros((5,), np.float32)}
    (tmp_path / "w.safetensors").write_bytes(safetensors_io.encode(arrays))
    model = Sequential([Input((4,)), layers.Dense(3)])
    with pytest.raises(CheckpointError, match=r"shape \(4, 5\).*\(4, 3\)"):
        model.load_weights(tmp_path / "w.safetensors")


def test_that_load_weights_refuses_foreign_tensor_names(tmp_path):
    (tmp_path / "w.safetensors").write_bytes(
        safetensors_io.encode({"fc.weight": np.zeros((3, 4), np.float32)}))
    with pytest.raises(CheckpointError, match="fc.weight"):
        Sequential([Input((4,)), layers.Dense(3)]).load_weights(tmp_path / "w.safetensors")


@pytest.mark.interop
@pytest.mark.parametrize("layer, shape", [
    (layers.Conv2D(2, 4, strides=3, padding="same"), (7, 8, 3)),
    (layers.Conv2D(2, 3, strides=2, padding="same", dilation_rate=1), (6, 6, 3)),
    (layers.Conv1D(2, 2, padding="same", dilation_rate=2), (7, 3)),
    (layers.MaxPooling2D(2, strides=1, padding="same"), (5, 6, 3)),
    (layers.MaxPooling2D(3, strides=2, padding="same"), (6, 7, 3)),
    (layers.AveragePooling2D(3, strides=1, padding="same"), (5, 5, 3)),
    (layers.AveragePooling2D(2, padding="same"), (7, 6, 3)),
    (layers.AveragePooling1D(4, strides=3, padding="same"), (8, 3)),
])
def test_that_keras_same_padding_gives_the_same_windows(tmp_path, layer, shape):
    x = np.random.default_rng(6).normal(size=(2, *shape)).astype(np.float32)
    assert _max_difference(Sequential([Input(shape), layer]), x, tmp_path / "pkg") < 1e-5


def test_that_an_average_pooling_pytorch_cannot_pad_alike_is_refused(tmp_path):
    model = Sequential([Input((6, 6, 1)),
                        layers.AveragePooling2D(2, strides=1, padding="same", name="smooth")])
    with pytest.raises(SpecError, match="'smooth'.*padding='same'.*Fix:"):
        export(model, tmp_path / "pkg")


def _import_train_py(folder):
    sys.modules.pop("model", None)  # train.py imports the model.py beside it
    sys.path.insert(0, str(folder))
    try:
        spec = importlib.util.spec_from_file_location(f"exported_train_{next(_counter)}",
                                                      os.path.join(folder, "train.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("model", None)
    return module


def _torch_steps(train, x, y, steps):
    """`steps` full-batch steps with train.py's own pieces, as its training loop takes them."""
    torch = pytest.importorskip("torch")
    model = train.build_model().train()
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = train.make_optimizer(parameters)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    for step in range(steps):
        train.prepare_step(optimizer, step)
        optimizer.zero_grad()
        (train.loss_fn(model(x), y) + train.regularization(model)).backward()
        train.clip_gradients(parameters)
        with torch.no_grad():
            for p in parameters:
                p.mul_(1.0 - train.learning_rate(step) * train.WEIGHT_DECAY)
        optimizer.step()
    return train.keras_weights(model)


@pytest.mark.interop
@pytest.mark.parametrize("optimizer", [
    optimizers.SGD(0.1, momentum=0.9, nesterov=True, clipnorm=0.5),
    optimizers.SGD(schedules.ExponentialDecay(0.1, 1, 0.7), momentum=0.8, nesterov=True),
    optimizers.SGD(schedules.PiecewiseConstantDecay([0, 1], [0.1, 0.05, 0.02]), clipvalue=0.1,
                   weight_decay=0.05),
    optimizers.Adam(0.01, amsgrad=True), optimizers.Adam(0.01, weight_decay=0.1),
    optimizers.AdamW(schedules.ExponentialDecay(0.02, 2, 0.5), global_clipnorm=1.0),
    optimizers.Nadam(0.01), optimizers.Adamax(0.01)])
def test_that_train_py_steps_the_weights_as_the_engine_does(tmp_path, optimizer):
    pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(32, 5)).astype(np.float32), rng.integers(0, 3, 32)
    model = Sequential([Input((5,)), layers.Dense(8, activation="tanh", kernel_regularizer="l2"),
                        layers.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    export(model, tmp_path / "pkg", batch_size=32)
    torch_weights = _torch_steps(_import_train_py(tmp_path / "pkg"), x, y, steps=3)
    model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0)
    for tensor, array in zip(torch_weights.values(), model.get_weights()):
        np.testing.assert_allclose(tensor.numpy(), array, atol=1e-5)
