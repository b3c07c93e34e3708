"""Weight gradients of a model called under a GradientTape, as views of one flat buffer.

fit() writes every weight gradient into one flat array and updates all weights in one
vectorised optimizer pass. A Keras-style loop (`tape.gradient(loss,
model.trainable_variables)`, then `optimizer.apply_gradients`) gets the same when each
recorded model call hands its layers' backward passes views of one fresh zeroed buffer laid
out like the model's parameters: the returned gradients then tile that buffer, and the
optimizer uses it as is (`optimizers.flat_views.gathered`) instead of copying them into one.

Each model call gets its own buffer, so gradients a user keeps from an earlier step are never
overwritten. A layer called a second time in one model call (shared weights), a layer with a
weight the model does not pack, or a model whose packing is stale gets separate arrays.
"""

import contextlib
import threading

from .. import backend

_current = threading.local()  # `home`: the FlatGradients of the model call now recording


class FlatGradients:
    """The flat gradient buffer of one recorded model call (allocated on first use)."""

    def __init__(self, model):
        self._like = model._flat_params
        self._segments = {(id(layer), key): segment for (layer, key), segment
                          in zip(model._trainable_entries, model._segments)}
        self._buffer = None
        self._given = set()

    def views_for(self, layer, keys) -> dict | None:
        """`{key: view}` for `layer`'s gradient arrays, or None where it must have its own."""
        segments = [self._segments.get((id(layer), key)) for key in keys]
        if not keys or id(layer) in self._given or None in segments:
            return None
        self._given.add(id(layer))
        if self._buffer is None:
            self._buffer = backend.get_array_module(self._like).zeros_like(self._like)
        return {key: self._buffer[a:b].reshape(layer.params[key].shape)
                for key, (a, b) in zip(keys, segments)}


@contextlib.contextmanager
def recording_model(model):
    """Inside, recorded calls of `model`'s layers take gradient views of one flat buffer."""
    previous = getattr(_current, "home", None)
    _current.home = _home_for(model)
    try:
        yield
    finally:
        _current.home = previous


def _home_for(model):
    if getattr(model, "_trainable_entries", None) is None:
        return None
    model._ensure_packed()  # a stale packing would put gradients where no weight reads them
    return FlatGradients(model)


def current():
    """The FlatGradients of the model call now recording, or None."""
    return getattr(_current, "home", None)
