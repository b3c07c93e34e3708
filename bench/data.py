"""Learnable MNIST-like training data for the benchmark.

MNIST itself when it is already in the engine's dataset cache (nothing is downloaded here);
otherwise the bundled 8x8 digits, upscaled to 20x20 like MNIST's digit box and placed at a
random shift inside a 28x28 frame, so the border pixels stay zero as in MNIST. Values lie in
[0, 1], labels are the digits 0-9: a network learns them, its ReLUs stay alive and its Adam
moments behave as they do on real data (random labels collapse the MLP within an epoch).
"""

import numpy as np

DIGIT_BOX = 20  # MNIST centres each digit in a 20x20 box inside the 28x28 image
FRAME = 28
MAX_SHIFT = 3  # pixels from the centre either way: the outer ring of pixels stays zero


def training_data(count: int, image: bool = False, seed: int = 0):
    """`(x, y, source)`: `count` float32 images (flat 784, or 28x28x1 when `image`) and int64
    labels; `source` names where they came from."""
    cached = _cached_mnist()
    if cached is not None and len(cached[0]) >= count:
        x, y, source = cached[0][:count], cached[1][:count], "MNIST (from the dataset cache)"
    else:
        x, y = upscaled_digits(count, seed)
        source = "bundled digits upscaled to 28x28 with random shifts"
    shape = (FRAME, FRAME, 1) if image else (FRAME * FRAME,)
    return np.ascontiguousarray(x.reshape(len(x), *shape)), y.astype(np.int64), source


def _cached_mnist():
    """MNIST's training images scaled to [0, 1] when the cache holds them, else None."""
    from engine import datasets

    if not datasets.is_available_offline("mnist"):
        return None
    (x, y), _ = datasets.mnist.load_data()
    return x.astype(np.float32) / 255.0, y


def upscaled_digits(count: int, seed: int = 0):
    """`count` 28x28 images drawn from the bundled digits (train and test), each at a random
    shift of up to `MAX_SHIFT` pixels from the centre."""
    from engine import datasets

    (x_train, y_train), (x_test, y_test) = datasets.load("digits")
    digits = resize_bilinear(np.concatenate([x_train, x_test]) / 16.0, DIGIT_BOX)
    labels = np.concatenate([y_train, y_test])
    rng = np.random.default_rng(seed)
    source = rng.integers(0, len(digits), size=count)
    centre = (FRAME - DIGIT_BOX) // 2
    shifts = rng.integers(centre - MAX_SHIFT, centre + MAX_SHIFT + 1, size=(count, 2))
    images = np.zeros((count, FRAME, FRAME), dtype=np.float32)
    for dy in range(centre - MAX_SHIFT, centre + MAX_SHIFT + 1):
        for dx in range(centre - MAX_SHIFT, centre + MAX_SHIFT + 1):
            rows = np.flatnonzero((shifts[:, 0] == dy) & (shifts[:, 1] == dx))
            images[rows, dy:dy + DIGIT_BOX, dx:dx + DIGIT_BOX] = digits[source[rows]]
    return images, labels[source]


def resize_bilinear(images, size: int):
    """Square images `(n, h, h)` resized to `(n, size, size)` by bilinear interpolation."""
    side = images.shape[1]
    pos = np.linspace(0, side - 1, size)
    low = np.floor(pos).astype(int)
    high = np.minimum(low + 1, side - 1)
    frac = (pos - low).astype(np.float32)
    rows = images[:, low, :] * (1 - frac)[:, None] + images[:, high, :] * frac[:, None]
    out = rows[:, :, low] * (1 - frac) + rows[:, :, high] * frac
    return out.astype(np.float32)
