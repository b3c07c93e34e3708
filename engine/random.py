"""`engine.random`: Keras 3's `keras.random` on NumPy (and CuPy inputs).

    gen = random.SeedGenerator(42)
    a = random.normal((2, 3), seed=gen)       # a different draw each call...
    b = random.normal((2, 3), seed=gen)
    random.normal((2, 3), seed=7)             # ...while an int seed always gives the same
    y = random.dropout(x, rate=0.5)           # differentiable: the same mask goes backward

`seed` is an int (stateless: the same numbers every call), a `SeedGenerator` (its state
advances each call, so two generators made with the same seed give the same stream), or
None: the engine's global generator `backend.rng()`, which `backend.set_seed` seeds (weight
initialisation, Dropout and shuffling draw from it too). As Keras's NumPy backend, an int or
a generator's state `[seed, counter]` seeds `np.random.default_rng`, so the draws match it.
Results are Tensors, float32 (floatx) unless `dtype` says otherwise.
"""

import numpy as np

from . import backend
from .errors import ShapeError, SpecError
from .ops.core import Tensor, array_module, record, value_of
from .variables import Variable

_STATE_DTYPE = np.uint32  # Keras's NumPy backend's `random_seed_dtype()`


class SeedGenerator:
    """The state of a stream of random seeds (Keras's `keras.random.SeedGenerator`).

    Args:
        seed: An int; None draws one from the engine's generator (so `backend.set_seed`
            makes it reproducible).
        name: Defaults to `"seed_generator"`.

    `state` is a non-trainable `Variable` `[seed, counter]`; `next()` returns the current
    state and advances the counter.
    """

    def __init__(self, seed=None, name=None, **kwargs):
        kwargs.pop("backend", None)  # Keras's custom-backend hook: there is one backend here
        if kwargs:
            raise SpecError(f"Unrecognized keyword arguments: {kwargs}")
        self.name = name or "seed_generator"
        self._initial_seed = seed
        if seed is None:
            seed = int(backend.rng().integers(1, 10**9))
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise SpecError(f"Argument `seed` must be an integer. Received: seed={seed!r}")
        self.state = Variable(np.array([int(seed) & 0xFFFFFFFF, 0], dtype=_STATE_DTYPE),
                              trainable=False, name="seed_generator_state")

    def next(self, ordered=True):
        """The current `[seed, counter]` (a copy); the state then advances."""
        current = np.array(self.state.numpy(), dtype=_STATE_DTYPE)
        if ordered:
            self.state.assign(current + np.array([0, 1], dtype=_STATE_DTYPE))
        else:  # Keras's scramble: near-unique values below 933199
            wide = current.astype(np.uint64)
            self.state.assign(((wide + 1) * 5387 % 933199).astype(_STATE_DTYPE))
        return current

    def get_config(self):
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<SeedGenerator name={self.name!r}, state={self.state.numpy().tolist()}>"


def draw_seed(seed) -> np.random.Generator:
    """The NumPy generator one random op draws from (see the module docstring)."""
    if isinstance(seed, SeedGenerator):
        return np.random.default_rng(seed.next())
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(np.array([int(seed) & 0xFFFFFFFF, 0], dtype=_STATE_DTYPE))
    if seed is None:
        return backend.rng()
    raise SpecError("Argument `seed` must be either an integer or an instance of "
                    f"`SeedGenerator`. Received: seed={seed!r} (of type {type(seed)})")


def _float_dtype(dtype):
    dtype = np.dtype(backend.FLOATX if dtype is None else dtype)
    if dtype.kind != "f":
        raise SpecError(f"Expected a float dtype, received: dtype={dtype}")
    return dtype


def _shape(shape):
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normally distributed values."""
    dtype = _float_dtype(dtype)
    rng = draw_seed(seed)
    return Tensor(rng.normal(size=_shape(shape), loc=mean, scale=stddev).astype(dtype))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Values uniform in `[minval, maxval)`."""
    dtype = _float_dtype(dtype)
    rng = draw_seed(seed)
    return Tensor(rng.uniform(size=_shape(shape), low=minval, high=maxval).astype(dtype))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal values, redrawn until within two standard deviations of the mean."""
    dtype = _float_dtype(dtype)
    rng = draw_seed(seed)
    shape = _shape(shape)
    size = int(np.prod(shape))
    low, high = mean - 2 * stddev, mean + 2 * stddev
    kept = np.empty(0)
    while kept.shape[0] < size:  # Keras's loop: whole batches, the in-range values kept
        batch = rng.normal(loc=mean, scale=stddev, size=size)
        kept = np.append(kept, batch[(batch >= low) & (batch <= high)])
    return Tensor(kept[:size].astype(dtype).reshape(shape))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers uniform in `[minval, maxval)`."""
    dtype = np.dtype(dtype)
    if dtype.kind not in "iu":
        raise SpecError(f"randint needs an integer dtype, received: dtype={dtype}")
    rng = draw_seed(seed)
    return Tensor(rng.integers(low=minval, high=maxval, size=_shape(shape), dtype=dtype))


def categorical(logits, num_samples, dtype="int64", seed=None):
    """`num_samples` class indices per row of `logits` `(batch, classes)`, drawn from
    `softmax(logits)` (as NumPy's `Generator.choice`: one uniform per sample)."""
    raw = value_of(logits)
    xp = array_module(raw)
    z = np.asarray(backend.to_numpy(raw), dtype=np.float64)
    if z.ndim != 2:
        raise ShapeError("`logits` should be a 2-D tensor with shape [batch_size, num_classes]."
                         f" Received: logits.shape={z.shape}")
    rng = draw_seed(seed)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    cdf = np.cumsum(e / e.sum(axis=-1, keepdims=True), axis=-1)
    cdf /= cdf[:, -1:]
    u = rng.random((z.shape[0], int(num_samples)))
    samples = (cdf[:, None, :] <= u[:, :, None]).sum(axis=-1)  # searchsorted(side="right")
    samples = np.minimum(samples, z.shape[1] - 1).astype(dtype)
    return Tensor(xp.asarray(samples) if xp is not np else samples)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zeroes a fraction `rate` of `inputs` and scales the rest by `1 / (1 - rate)`.

    `noise_shape` (None entries follow `inputs`) broadcasts one draw over some axes. The
    VJP applies the same mask and scale. With `seed=None` a CuPy input draws on the GPU from
    `cupy.random` (seeded by `backend.set_seed`), as the Dropout layer does.
    """
    x = value_of(inputs)
    if not hasattr(x, "dtype"):
        x = np.asarray(x, dtype=backend.FLOATX)
    xp = array_module(x)
    rate = float(rate)
    if not 0.0 <= rate <= 1.0:
        raise SpecError(f"Invalid value received for argument `rate`. Expected a float value "
                        f"between 0 and 1. Received: rate={rate}")
    if rate == 0.0:
        return record(x, (inputs,), lambda g: (g,))
    if rate == 1.0:
        return record(xp.zeros_like(x), (inputs,), lambda g: (xp.zeros_like(g),))
    shape = tuple(x.shape) if noise_shape is None else tuple(
        x.shape[i] if n is None else int(n) for i, n in enumerate(noise_shape))
    keep = 1.0 - rate
    if seed is None and backend.is_gpu_array(x):
        mask = xp.random.random_sample(shape) < keep
    else:
        mask = draw_seed(seed).uniform(size=shape) < keep
        mask = xp.asarray(mask) if xp is not np else mask
    mask = xp.broadcast_to(mask, x.shape)
    y = xp.where(mask, (x / keep).astype(x.dtype), xp.zeros((), dtype=x.dtype))
    return record(y, (inputs,),
                  lambda g: (xp.where(mask, g / keep, xp.zeros((), dtype=g.dtype)),))


def shuffle(x, axis=0, seed=None):
    """`x` with its slices along `axis` in a random order (whole slices move, as in Keras's
    TensorFlow and JAX backends). Differentiable: the VJP puts each slice back."""
    a = value_of(x)
    if not hasattr(a, "shape"):
        a = np.asarray(a)
    xp = array_module(a)
    axis = int(axis) % max(a.ndim, 1)
    order = draw_seed(seed).permutation(a.shape[axis])
    back = np.argsort(order)
    if xp is not np:
        order, back = xp.asarray(order), xp.asarray(back)
    return record(xp.take(a, order, axis=axis), (x,), lambda g: (xp.take(g, back, axis=axis),))


def gamma(shape, alpha, dtype=None, seed=None):
    """Gamma-distributed values with concentration `alpha` (scale 1)."""
    dtype = _float_dtype(dtype)
    return Tensor(draw_seed(seed).gamma(alpha, scale=1.0, size=_shape(shape)).astype(dtype))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Binomial draws: successes out of `counts` trials of probability `probabilities`."""
    dtype = _float_dtype(dtype)
    sample = draw_seed(seed).binomial(n=np.asarray(value_of(counts)),
                                      p=np.asarray(value_of(probabilities)), size=_shape(shape))
    return Tensor(sample.astype(dtype))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Beta-distributed values."""
    dtype = _float_dtype(dtype)
    sample = draw_seed(seed).beta(a=np.asarray(value_of(alpha)), b=np.asarray(value_of(beta)),
                                  size=_shape(shape))
    return Tensor(sample.astype(dtype))


__all__ = ["SeedGenerator", "beta", "binomial", "categorical", "draw_seed", "dropout", "gamma",
           "normal", "randint", "shuffle", "truncated_normal", "uniform"]
