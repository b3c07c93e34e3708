"""CategoryEncoding: integer category ids to one-hot, multi-hot or count vectors (Keras)."""

import numpy as np

from .. import backend, registry
from ..errors import DataError, ShapeError, SpecError
from ..params import INT, STR, Param
from .base import Layer, format_shape

__all__ = ["CategoryEncoding"]

OUTPUT_MODES = ("multi_hot", "one_hot", "count")


@registry.register("layer")
class CategoryEncoding(Layer):
    """Encodes integer ids in `[0, num_tokens)` as dense vectors of length `num_tokens`.

    - `"one_hot"`: each id becomes a one-hot vector; an input `(n,)` gives `(n, num_tokens)`,
      except `(1,)`, which gives `(num_tokens,)`.
    - `"multi_hot"`: each sample `(n,)` gives one vector with a 1 for every id present.
    - `"count"`: like multi-hot, with how many times each id occurs (or the sum of
      `count_weights`, when calling the layer directly with them).

    Ids may arrive as floats (the model feeds float32) if they are whole numbers. The output
    is float32. Keras requires `num_tokens`; here it defaults to `10` so the palette can
    create the layer. Keras's `sparse=True` is not available (outputs are dense).

    Args:
        num_tokens: How many categories, ids `0..num_tokens - 1`. Defaults to `10`.
        output_mode: `"multi_hot"`, `"one_hot"` or `"count"`. Defaults to `"multi_hot"`.
        sparse: Only `False`.

    Input shape:
        `(n,)` integer ids per sample.
    Output shape:
        `(num_tokens,)`, or `(n, num_tokens)` for one-hot with `n > 1`.
    """

    CATEGORY = "Preprocessing"
    DESCRIPTION = "Turns integer category ids into one-hot, multi-hot or count vectors."
    PARAMS = (
        Param("num_tokens", INT, 10, minimum=1,
              help="Number of categories; ids must be in 0..num_tokens-1."),
        Param("output_mode", STR, "multi_hot", choices=OUTPUT_MODES,
              help="one_hot per id, multi_hot per sample, or count per sample."),
    )

    def __init__(self, num_tokens=10, output_mode="multi_hot", sparse=False, name=None,
                 trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        if output_mode == "binary":  # Keras's deprecated name
            output_mode = "multi_hot"
        self._configure(num_tokens=num_tokens, output_mode=output_mode)
        if sparse:
            raise SpecError(
                f"Layer '{self.name}' (CategoryEncoding) produces dense outputs only. "
                f"Received: sparse={sparse!r}. Fix: leave sparse=False."
            )

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, tuple) or len(input_shape) > 1:
            raise ShapeError(
                f"Layer '{self.name}' (CategoryEncoding) expects ids of shape (n,) per "
                f"sample, but received {format_shape(input_shape)}. Flatten or Reshape the "
                "ids to one axis first."
            )
        if self.output_mode == "one_hot" and input_shape not in ((), (1,)):
            return (*input_shape, self.num_tokens)
        return (self.num_tokens,)

    def __call__(self, inputs, training=False, count_weights=None):
        """Eager calls may pass `count_weights` (same shape as the ids) in `"count"` mode."""
        if count_weights is not None and self.output_mode != "count":
            raise SpecError(
                f"Layer '{self.name}' (CategoryEncoding): `count_weights` is used only with "
                f"output_mode='count'. Received output_mode={self.output_mode!r}."
            )
        if isinstance(inputs, (list, tuple)) and not any(
                type(t).__name__ == "SymbolicTensor" for t in inputs):
            inputs = np.asarray(inputs)  # Keras accepts plain lists of ids
        self._count_weights = count_weights
        try:
            return super().__call__(inputs, training=training)
        finally:
            self._count_weights = None

    def forward(self, x, training=False):
        xp = backend.get_array_module(x)
        ids = self._as_ids(x)
        if ids.ndim == 1:
            ids = ids[:, None]
        batch, n = ids.shape
        if self.output_mode == "one_hot":
            out = xp.eye(self.num_tokens, dtype=backend.FLOATX)[ids]  # rows of the identity
            return out.reshape(batch, self.num_tokens) if n == 1 else out
        weights = getattr(self, "_count_weights", None)
        if self.output_mode == "count" and weights is not None:
            values = backend.to_device(np.asarray(weights), backend.device_of(x),
                                       dtype=backend.FLOATX).reshape(batch, n)
        else:
            values = xp.ones((batch, n), dtype=backend.FLOATX)
        rows = xp.repeat(xp.arange(batch), n) * self.num_tokens
        flat = xp.bincount((rows + ids.ravel()), weights=values.ravel(),
                           minlength=batch * self.num_tokens)
        out = flat.reshape(batch, self.num_tokens).astype(backend.FLOATX)
        return xp.minimum(out, 1.0) if self.output_mode == "multi_hot" else out

    def backward(self, grad):
        """Ids are not differentiable: no gradient flows back (as Embedding's indices)."""
        return

    def _as_ids(self, x):
        """Integer ids from `x`, or a DataError that names the problem and the fix."""
        xp = backend.get_array_module(x)
        x = xp.asarray(x)
        if x.dtype.kind not in "iuf":
            raise DataError(
                f"Layer '{self.name}' (CategoryEncoding) expects integer ids, but received "
                f"dtype {x.dtype}. Encode the categories as integers first."
            )
        if x.dtype.kind == "f":
            rounded = xp.rint(x)
            if x.size and not bool((rounded == x).all()):
                raise DataError(
                    f"Layer '{self.name}' (CategoryEncoding) expects integer ids, but "
                    "received floats that are not whole numbers (or NaN). Feed category "
                    "ids, not scaled features."
                )
            x = rounded
        if x.size and (int(x.min()) < 0 or int(x.max()) >= self.num_tokens):
            raise DataError(
                f"Layer '{self.name}' (CategoryEncoding) received ids from {int(x.min())} to "
                f"{int(x.max())}, but num_tokens={self.num_tokens} allows 0.."
                f"{self.num_tokens - 1}. Raise num_tokens to at least {int(x.max()) + 1}, "
                "or map the ids into range."
            )
        return x.astype(xp.int64)
