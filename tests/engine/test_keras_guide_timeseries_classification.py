"""The Keras example "Timeseries classification from scratch" (keras-io
examples/timeseries/timeseries_classification_from_scratch.py), run on the engine.

The script as written, except the imports (`from tensorflow import keras` becomes the line
below) and the data: FordA is downloaded, so `write_forda_like` writes two TSV files of
FordA's layout (label -1 or 1 in the first column, then 500 z-normalized values) with a small
synthetic set (the two classes are noisy waves of two frequencies), and `readucr` reads them
as written. Fewer epochs; other changes are marked `# changed: <why>`.

Left out, with the reason:
- The plots (`matplotlib` is not a LayerCraft dependency): "Visualize the data" and "Plot the
  model's training and validation loss"; their data (`classes`, `history.history[...]`) is
  checked instead.
- `keras.utils.plot_model(model, show_shapes=True)`: the engine has no `plot_model`
  (Keras draws it with pydot and graphviz); `model.summary()` would be its text twin.
"""

import numpy as np
import pytest

import engine as keras

LENGTH = 500  # FordA's series length


def write_forda_like(path, count, seed):
    """A FordA-shaped TSV: label (-1 or 1), then a z-normalized series of LENGTH values."""
    rng = np.random.default_rng(seed)
    labels = rng.choice([-1, 1], size=count)
    t = np.arange(LENGTH)
    cycles = np.where(labels == 1, 40.0, 12.0)[:, None]  # waves over the series
    phase = rng.uniform(0, 2 * np.pi, size=(count, 1))
    series = np.sin(2 * np.pi * cycles * t / LENGTH + phase)
    series += rng.normal(scale=0.5, size=series.shape)
    series = (series - series.mean(axis=1, keepdims=True)) / series.std(axis=1, keepdims=True)
    np.savetxt(path, np.column_stack([labels, series]), delimiter="\t", fmt="%.5f")


def readucr(filename):
    data = np.loadtxt(filename, delimiter="\t")
    y = data[:, 0]
    x = data[:, 1:]
    return x, y.astype(int)


@pytest.fixture
def forda_dir(tmp_path, monkeypatch):
    write_forda_like(tmp_path / "FordA_TRAIN.tsv", 150, seed=0)
    write_forda_like(tmp_path / "FordA_TEST.tsv", 60, seed=1)
    monkeypatch.chdir(tmp_path)  # the script saves "best_model.h5" in the working directory
    return tmp_path


def test_timeseries_classification_from_scratch(forda_dir, capsys):
    # ## Load the data: the FordA dataset
    root_url = str(forda_dir) + "/"  # changed: the synthetic files, not the download

    x_train, y_train = readucr(root_url + "FordA_TRAIN.tsv")
    x_test, y_test = readucr(root_url + "FordA_TEST.tsv")

    # ## Visualize the data (the plot is left out: no matplotlib)
    classes = np.unique(np.concatenate((y_train, y_test), axis=0))
    assert list(classes) == [-1, 1]

    # ## Standardize the data
    x_train = x_train.reshape((x_train.shape[0], x_train.shape[1], 1))
    x_test = x_test.reshape((x_test.shape[0], x_test.shape[1], 1))

    num_classes = len(np.unique(y_train))

    idx = np.random.permutation(len(x_train))
    x_train = x_train[idx]
    y_train = y_train[idx]

    y_train[y_train == -1] = 0
    y_test[y_test == -1] = 0

    # ## Build a model
    def make_model(input_shape):
        input_layer = keras.layers.Input(input_shape)

        conv1 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(input_layer)
        conv1 = keras.layers.BatchNormalization()(conv1)
        conv1 = keras.layers.ReLU()(conv1)

        conv2 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv1)
        conv2 = keras.layers.BatchNormalization()(conv2)
        conv2 = keras.layers.ReLU()(conv2)

        conv3 = keras.layers.Conv1D(filters=64, kernel_size=3, padding="same")(conv2)
        conv3 = keras.layers.BatchNormalization()(conv3)
        conv3 = keras.layers.ReLU()(conv3)

        gap = keras.layers.GlobalAveragePooling1D()(conv3)

        output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)

        return keras.models.Model(inputs=input_layer, outputs=output_layer)

    model = make_model(input_shape=x_train.shape[1:])
    # keras.utils.plot_model(model, show_shapes=True)  # changed: left out, no plot_model
    assert model.output_shapes == [(2,)]

    # ## Train the model
    epochs = 6  # changed: 500 in the example; a few epochs of the small set here
    batch_size = 32

    callbacks = [
        keras.callbacks.ModelCheckpoint(
            "best_model.h5", save_best_only=True, monitor="val_loss"
        ),
        keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss", factor=0.5, patience=20, min_lr=0.0001
        ),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=50, verbose=1),
    ]
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    history = model.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=epochs,
        callbacks=callbacks,
        validation_split=0.2,
        verbose=1,
    )
    assert "Epoch 6/6" in capsys.readouterr().out
    assert (forda_dir / "best_model.h5").exists()

    # ## Evaluate model on test data
    model = keras.models.load_model("best_model.h5")

    test_loss, test_acc = model.evaluate(x_test, y_test)

    print("Test accuracy", test_acc)
    print("Test loss", test_loss)

    # The file holds the epoch with the lowest val_loss: the validation split (the last 20%
    # of x_train) scores that loss again.
    val_loss = model.evaluate(x_train[-30:], y_train[-30:], verbose=0)[0]
    assert val_loss == pytest.approx(min(history.history["val_loss"]), rel=1e-4)
    assert test_acc > 0.8  # chance: 0.5

    # ## Plot the model's training and validation loss (the plot is left out)
    metric = "sparse_categorical_accuracy"
    assert len(history.history[metric]) == len(history.history["val_" + metric]) == epochs
