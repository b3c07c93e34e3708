"""The Keras example "Simple MNIST convnet" (keras-io examples/vision/mnist_convnet.py), run on
the engine.

The whole script, as written, except the imports (`from tensorflow import keras` /
`from tensorflow.keras import layers` become the lines below) and the data:
`keras.datasets.mnist.load_data()` downloads, so `mnist_load_data` gives uint8 arrays of
MNIST's shapes made from the bundled digits (upscaled to 28x28), fewer of them, for fewer
epochs. Those changes are marked `# changed: <why>`. The asserts check what the script prints
and that the convnet learns the digits.
"""

import numpy as np
from guide_data import mnist_load_data

import engine as keras
from engine import layers


def test_simple_mnist_convnet(capsys):
    # ## Prepare the data

    # Model / data parameters
    num_classes = 10
    input_shape = (28, 28, 1)

    # Load the data and split it between train and test sets
    # changed: offline digits at MNIST's shape, 600 train and 200 test samples
    (x_train, y_train), (x_test, y_test) = mnist_load_data(n_train=600, n_test=200)

    # Scale images to the [0, 1] range
    x_train = x_train.astype("float32") / 255
    x_test = x_test.astype("float32") / 255
    # Make sure images have shape (28, 28, 1)
    x_train = np.expand_dims(x_train, -1)
    x_test = np.expand_dims(x_test, -1)
    print("x_train shape:", x_train.shape)
    print(x_train.shape[0], "train samples")
    print(x_test.shape[0], "test samples")

    # convert class vectors to binary class matrices
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)

    out = capsys.readouterr().out
    assert "x_train shape: (600, 28, 28, 1)" in out
    assert y_train.shape == (600, 10) and y_test.shape == (200, 10)

    # ## Build the model

    model = keras.Sequential(
        [
            keras.Input(shape=input_shape),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(num_classes, activation="softmax"),
        ]
    )

    model.summary()
    out = capsys.readouterr().out
    # The shapes and the parameter count the example's summary shows.
    for shape in ("(None, 26, 26, 32)", "(None, 13, 13, 32)", "(None, 11, 11, 64)",
                  "(None, 5, 5, 64)", "(None, 1600)", "(None, 10)"):
        assert shape in out
    assert "34,826" in out

    # ## Train the model

    batch_size = 128
    epochs = 4  # changed: 15 in the example; 4 keep the test quick on 600 samples

    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])

    history = model.fit(  # changed: the History kept, for the asserts
        x_train, y_train, batch_size=batch_size, epochs=epochs, validation_split=0.1
    )
    out = capsys.readouterr().out
    assert "Epoch 4/4" in out and "val_accuracy" in out
    assert history.history["loss"][-1] < history.history["loss"][0]

    # ## Evaluate the trained model

    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])
    assert score[1] > 0.6  # the real digits are learnt (chance: 0.1)
