"""Toy 2-D classification sets made on the fly, for learning what a network can separate.

Each maker returns `(x, y)`: `x` float32 `(n_samples, 2)`, `y` int64 class indices, in a
random order. The same `seed` gives the same points; `noise` is the standard deviation of
Gaussian jitter added to every point (for blobs, the spread of each cluster).
"""

import numpy as np

from .. import backend
from ..errors import SpecError
from ..params import FLOAT, INT, Param, validate_param

NAMES = ("moons", "circles", "spirals", "xor", "blobs")
DEFAULT_NOISE = {"moons": 0.1, "circles": 0.05, "spirals": 0.1, "xor": 0.1, "blobs": 0.5}
TEST_SPLIT = 0.2


def moons(n_samples=500, noise=0.1, seed=0):
    """Two interleaving half circles (the formula of `sklearn.datasets.make_moons`)."""
    rng, n_out, n_in = _start(n_samples, noise, seed, 2)
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
    inner = np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], axis=1)
    return _finish(rng, [outer, inner], noise)


def circles(n_samples=500, noise=0.05, seed=0, factor=0.5):
    """A circle of radius `factor` inside the unit circle; inner points are class 1."""
    rng, n_out, n_in = _start(n_samples, noise, seed, 2)
    if not 0 < factor < 1:
        raise SpecError(f"`factor` must be between 0 and 1. Received: factor={factor!r}")
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
    inner = factor * np.stack([np.cos(t_in), np.sin(t_in)], axis=1)
    return _finish(rng, [outer, inner], noise)


def spirals(n_samples=500, noise=0.1, seed=0, classes=2, turns=1.5):
    """`classes` spiral arms, each turning `turns` times around the centre."""
    rng = _start(n_samples, noise, seed, classes)[0]
    parts = []
    for k, m in enumerate(_sizes(n_samples, classes)):
        radius = np.linspace(0.05, 1.0, m)
        angle = radius * turns * 2 * np.pi + 2 * np.pi * k / classes
        parts.append(np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1))
    return _finish(rng, parts, noise)


def xor(n_samples=500, noise=0.1, seed=0):
    """Uniform points in [-1, 1]^2, class 1 where x1 and x2 have opposite signs."""
    rng = _start(n_samples, noise, seed, 2)[0]
    points = rng.uniform(-1.0, 1.0, size=(n_samples, 2))
    labels = (points[:, 0] * points[:, 1] < 0).astype(np.int64)
    points = points + rng.normal(0.0, noise, size=points.shape)  # labels keep the clean signs
    return points.astype(np.float32), labels


def blobs(n_samples=500, noise=0.5, seed=0, centers=3):
    """`centers` Gaussian clusters with spread `noise`, centred on a circle of radius 2."""
    rng = _start(n_samples, noise, seed, centers)[0]
    angles = 2 * np.pi * np.arange(centers) / centers
    middles = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    parts = [np.repeat(middles[k:k + 1], m, axis=0)
             for k, m in enumerate(_sizes(n_samples, centers))]
    return _finish(rng, parts, noise)


MAKERS = {"moons": moons, "circles": circles, "spirals": spirals, "xor": xor, "blobs": blobs}


def load(name, n_samples=500, noise=None, seed=0, test_split=TEST_SPLIT, **options):
    """Makes a set and splits it (stratified, by `seed`) as `(x_train, y_train), (x_test,
    y_test)`. `noise=None` uses the set's default; `options` go to the maker (`factor`,
    `classes`, `turns`, `centers`)."""
    from ..data.split import train_val_test_split  # noqa: PLC0415 - keeps the packages apart

    test_split = validate_param(Param("test_split", FLOAT, 0.2, minimum=0.0, maximum=1.0,
                                      exclusive_maximum=True), test_split, name)
    noise = DEFAULT_NOISE[name] if noise is None else noise
    try:
        x, y = MAKERS[name](n_samples=n_samples, noise=noise, seed=seed, **options)
    except TypeError as exc:
        raise SpecError(f"Data set {name!r}: {exc}.") from None
    train, _, test = train_val_test_split(x, y, val=0, test=test_split, seed=seed)
    return train, test


#: A 2-D toy set larger than this teaches nothing more and only fills memory (10M points =
#: 80 MB of float32); more classes than points-per-class make no picture either.
MAX_SAMPLES = 10_000_000
MAX_CLASSES = 1000


def _start(n_samples, noise, seed, classes):
    n_samples = validate_param(Param("n_samples", INT, 500, minimum=2, maximum=MAX_SAMPLES),
                               n_samples, "data set")
    validate_param(Param("noise", FLOAT, 0.1, minimum=0.0), noise, "data set")
    classes = validate_param(Param("classes", INT, 2, minimum=2, maximum=MAX_CLASSES), classes,
                             "data set")
    if n_samples < 2 * classes:
        raise SpecError(f"`n_samples` must be at least {2 * classes} for {classes} classes. "
                        f"Received: n_samples={n_samples}")
    if seed is not None:
        validate_param(Param("seed", INT, 0, minimum=0), seed, "data set")
    n_out = n_samples // 2
    rng = backend.rng() if seed is None else np.random.default_rng(seed)
    return rng, n_out, n_samples - n_out


def _sizes(n_samples, classes):
    base, extra = divmod(n_samples, classes)
    return [base + (1 if k < extra else 0) for k in range(classes)]


def _finish(rng, parts, noise):
    x = np.concatenate(parts)
    y = np.concatenate([np.full(len(p), k, dtype=np.int64) for k, p in enumerate(parts)])
    x = x + rng.normal(0.0, noise, size=x.shape)
    order = rng.permutation(len(x))
    return x[order].astype(np.float32), y[order]
