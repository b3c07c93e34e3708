"""Embedding: looks up a learned vector for each integer index (token id, category...)."""

import numpy as np

from .. import backend, registry
from ..errors import DataError, ShapeError
from ..params import BOOL, INT, Param
from .base import Layer, WeightSpec, format_shape
from .core import initializer_param, regularizer_param

__all__ = ["Embedding"]


def _scatter_add(target, indices, values) -> None:
    """`target[indices[k]] += values[k]`, adding up repeated indices (NumPy or CuPy)."""
    if backend.is_gpu_array(target):
        import cupyx  # noqa: PLC0415 - only present with CuPy

        cupyx.scatter_add(target, indices, values)
    else:
        np.add.at(target, indices, values)


@registry.register("layer")
class Embedding(Layer):
    """Maps each integer index in `[0, input_dim)` to a learned vector of `output_dim` numbers.

    The inputs are indices: integer arrays, or float arrays holding whole numbers (they are
    cast to integers). Indices cannot be differentiated, so `backward` only fills the
    gradient of `embeddings` (a scatter-add of the output gradient onto the looked-up rows)
    and returns `None` as the gradient of the input: put Embedding directly after the
    model's Input.

    With `mask_zero=True`, index 0 is padding: the output carries a mask, True where the
    index is not 0, which mask-aware layers after it use (RNNs skip those steps, global
    pooling leaves them out), as in Keras.

    Args:
        input_dim: Vocabulary size: the largest index plus one. Defaults to `1000`.
        output_dim: Length of each embedding vector. Defaults to `64`.
        embeddings_initializer: Defaults to `"uniform"` (uniform in [-0.05, 0.05]).
        embeddings_regularizer: Optional penalty on the embeddings. Defaults to `None`.
        mask_zero: Whether index 0 is padding to mask out. The vocabulary still counts it:
            `input_dim` is the largest index plus one. Defaults to `False`.

    Input shape:
        Any shape of indices, e.g. `(sequence_length,)`.
    Output shape:
        The input shape plus `(output_dim,)`, e.g. `(sequence_length, output_dim)`.
    """

    CATEGORY = "Core"
    DESCRIPTION = "Turns integer ids (words, categories) into learned dense vectors."
    PARAMS = (
        Param("input_dim", INT, 1000, minimum=1,
              help="Vocabulary size: the largest index plus one."),
        Param("output_dim", INT, 64, minimum=1, help="Length of each embedding vector."),
        initializer_param("embeddings_initializer", "uniform"),
        regularizer_param("embeddings_regularizer"),
        Param("mask_zero", BOOL, False,
              help="Treat index 0 as padding: later RNNs and pooling skip those steps."),
    )

    def __init__(self, input_dim=1000, output_dim=64, embeddings_initializer="uniform",
                 embeddings_regularizer=None, mask_zero=False, name=None, trainable=True,
                 **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(input_dim=input_dim, output_dim=output_dim,
                        embeddings_initializer=embeddings_initializer,
                        embeddings_regularizer=embeddings_regularizer, mask_zero=mask_zero)

    def compute_mask(self, inputs, previous_mask=None):
        """True where the index is not 0 (with `mask_zero`), else None, as Keras."""
        if not self.mask_zero:
            return None
        return backend.get_array_module(inputs).asarray(inputs) != 0

    def output_has_mask(self, input_has_mask: bool) -> bool:
        return self.mask_zero

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, tuple):
            raise ShapeError(
                f"Layer '{self.name}' (Embedding) takes one input of indices, but received "
                f"shapes {format_shape(list(input_shape))}."
            )
        return tuple(input_shape) + (self.output_dim,)

    def weight_specs(self, input_shape):
        return [WeightSpec("embeddings", (self.input_dim, self.output_dim),
                           self.embeddings_initializer,
                           regularizer=self.embeddings_regularizer)]

    def forward(self, x, training=False):
        self._indices = self._as_indices(x)
        return self.params["embeddings"][self._indices]

    def backward(self, grad):
        """Fills the embeddings gradient; returns `None` (integer inputs have no gradient)."""
        if "embeddings" in self.grads:
            target = self.grads["embeddings"]
            target[...] = 0
            _scatter_add(target, self._indices.reshape(-1),
                         grad.reshape(-1, self.output_dim).astype(target.dtype, copy=False))
        return None

    def _as_indices(self, x):
        """Integer indices from `x`, or a `DataError` that says what is wrong and the fix."""
        xp = backend.get_array_module(x)
        x = xp.asarray(x)
        kind = x.dtype.kind
        if kind not in "iuf":
            raise DataError(
                f"Layer '{self.name}' (Embedding) expects integer indices, but received an "
                f"array of dtype {x.dtype}. Encode the data as integer ids first."
            )
        if kind == "f":
            rounded = xp.rint(x)
            if x.size and not bool((rounded == x).all()):
                raise DataError(
                    f"Layer '{self.name}' (Embedding) expects integer indices, but received "
                    "floats that are not whole numbers (or NaN). Feed token/category ids, not "
                    "scaled or normalized features."
                )
            x = rounded
        if x.size:
            low, high = int(x.min()), int(x.max())
            if low < 0 or high >= self.input_dim:
                self._raise_out_of_range(low, high)
        return x.astype(xp.int64, copy=False)

    def _raise_out_of_range(self, low: int, high: int):
        if low < 0:
            raise DataError(
                f"Layer '{self.name}' (Embedding) received index {low}, but indices must be in "
                f"[0, {self.input_dim - 1}] (input_dim={self.input_dim}). Map the data to "
                "non-negative ids, e.g. reserve 0 for padding and unknown tokens."
            )
        raise DataError(
            f"Layer '{self.name}' (Embedding) received index {high} (the largest in the batch), "
            f"but input_dim={self.input_dim} allows indices up to {self.input_dim - 1}. "
            f"Raise input_dim to at least {high + 1} (the vocabulary size)."
        )
