"""Offline stand-ins for the data sets that Keras guides download.

`mnist_load_data` returns what `keras.datasets.mnist.load_data()` returns (uint8 images of
shape (n, 28, 28) in 0..255, uint8 labels), made from the bundled 8x8 digits: each pixel
becomes a 3x3 block (24x24) with a 2-pixel border, so the images are real digits that a
convnet can learn, at MNIST's shape and scale.
"""

import numpy as np

import engine as keras


def _upscaled(images) -> np.ndarray:
    big = np.kron(images, np.ones((3, 3), dtype=images.dtype))  # (n, 24, 24)
    big = np.pad(big, ((0, 0), (2, 2), (2, 2)))  # (n, 28, 28), as MNIST's 20x20 in 28x28
    return np.round(big * (255.0 / 16.0)).astype(np.uint8)


def mnist_load_data(n_train=1000, n_test=360):
    """`(x_train, y_train), (x_test, y_test)` shaped like MNIST, `n_train`/`n_test` samples."""
    (x_train, y_train), (x_test, y_test) = keras.datasets.load("digits")
    return ((_upscaled(x_train[:n_train]), y_train[:n_train].astype(np.uint8)),
            (_upscaled(x_test[:n_test]), y_test[:n_test].astype(np.uint8)))
