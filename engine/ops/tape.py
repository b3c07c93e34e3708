"""GradientTape: records the ops run on tracked values and differentiates any target.

    with GradientTape() as tape:
        logits = model(x, training=True)
        loss = loss_fn(y, logits) + ops.sum(model.losses)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))

As TensorFlow's: trainable Variables read inside the tape are watched automatically
(`watch_accessed_variables`), `watch` adds tensors or arrays, a non-scalar target is summed,
sources may be nested lists/dicts, `persistent=True` allows several `gradient` calls, and
`stop_recording()` pauses it. Tapes nest (a GAN's generator and discriminator tapes); ops are
recorded while any entered tape records.
"""

import contextlib

from .. import backend, fpu
from ..errors import TrainingError
from . import core
from .core import Node, Tensor, backprop, value_of

UNCONNECTED = ("none", "zero")


class GradientTape:
    """Records operations for automatic differentiation (`tf.GradientTape`'s interface)."""

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = bool(persistent)
        self._watch_accessed = bool(watch_accessed_variables)
        self._watched_variables = []
        self._watched_arrays = {}  # id(array) -> leaf node (the array is kept alive by it)
        self._paused = False
        self._used = False

    def __enter__(self):
        core.active_tapes().append(self)
        self._paused = False
        return self

    def __exit__(self, *exc):
        tapes = core.active_tapes()
        if self in tapes:
            tapes.remove(self)
        return False

    # ----- what is tracked --------------------------------------------------------------------
    def watch(self, tensor):
        """Tracks `tensor` (a Tensor, Variable, array, or a nested list/tuple/dict of them)."""
        for item in _flatten(tensor):
            if isinstance(item, Tensor):
                if item.node is None:
                    item.node = Node(source=item)
            elif hasattr(item, "_engine_leaf"):
                if not any(v is item for v in self._watched_variables):
                    self._watched_variables.append(item)
            elif hasattr(item, "shape") and hasattr(item, "dtype"):
                self._watched_arrays[id(item)] = Node(source=item)
            else:
                raise TrainingError(f"GradientTape.watch: cannot watch {type(item).__name__}; "
                                    "pass a Tensor, a Variable or an array.")

    def watched_variables(self) -> list:
        return list(self._watched_variables)

    @contextlib.contextmanager
    def stop_recording(self):
        """Ops run inside this block are not recorded by this tape."""
        was = self._paused
        self._paused = True
        try:
            yield
        finally:
            self._paused = was

    def reset(self):
        """Forgets what was watched; the tape can be used again."""
        self._watched_variables, self._watched_arrays, self._used = [], {}, False

    # ----- gradients --------------------------------------------------------------------------
    @fpu.flushed
    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients="none"):
        """d(sum of target)/d(source) for each source, in the structure of `sources`.

        Returns None for a source the target does not depend on, or zeros with
        `unconnected_gradients="zero"`.
        """
        if unconnected_gradients not in UNCONNECTED:
            raise TrainingError(f"unconnected_gradients must be 'none' or 'zero'. Received: "
                                f"{unconnected_gradients!r}")
        if self._used and not self.persistent:
            raise TrainingError("A non-persistent GradientTape can compute gradients only once. "
                                "Use GradientTape(persistent=True) to call gradient() again.")
        self._used = True
        seeds = self._seeds(target, output_gradients)
        flat_sources = list(_flatten(sources))
        source_nodes = [self._node_of_source(s) for s in flat_sources]
        kept = backprop(seeds, keep=[n for n in source_nodes if n is not None])
        grads = []
        for source, node in zip(flat_sources, source_nodes):
            g = kept.get(id(node)) if node is not None else None
            if g is None and unconnected_gradients == "zero":
                v = value_of(source)
                g = backend.get_array_module(v).zeros_like(v)
            grads.append(None if g is None else Tensor(_like_source(g, source)))
        return _pack(sources, iter(grads))

    def _seeds(self, target, output_gradients) -> dict:
        targets = list(_flatten(target))
        upstream = (list(_flatten(output_gradients)) if output_gradients is not None
                    else [None] * len(targets))
        if len(upstream) != len(targets):
            raise TrainingError("output_gradients must hold one gradient per target.")
        seeds = {}
        for t, up in zip(targets, upstream):
            node = self._node_of_source(t)
            if node is None:
                continue
            v = value_of(t)
            xp = backend.get_array_module(v)
            g = xp.ones_like(v) if up is None else xp.asarray(value_of(up), dtype=v.dtype)
            seeds[node] = g if node not in seeds else seeds[node] + g
        return seeds

    def _node_of_source(self, source):
        if isinstance(source, Tensor):
            return source.node
        if hasattr(source, "_tape_node"):  # a Variable: its leaf (exists if it was used)
            return source._leaf
        return self._watched_arrays.get(id(source))


def _like_source(g, source):
    """The gradient in the source's shape and float dtype."""
    v = value_of(source)
    shape = tuple(getattr(v, "shape", ()))
    if tuple(g.shape) != shape:
        g = core.sum_to_shape(g, shape)
    dtype = getattr(v, "dtype", None)
    if dtype is not None and dtype.kind == "f" and g.dtype != dtype:
        g = g.astype(dtype)
    return g


def _flatten(structure):
    if isinstance(structure, dict):
        for key in structure:
            yield from _flatten(structure[key])
    elif isinstance(structure, (list, tuple)):
        for item in structure:
            yield from _flatten(item)
    else:
        yield structure


def _pack(structure, items):
    if isinstance(structure, dict):
        return {key: _pack(structure[key], items) for key in structure}
    if isinstance(structure, (list, tuple)):
        packed = [_pack(item, items) for item in structure]
        return packed if isinstance(structure, list) else type(structure)(packed) \
            if not hasattr(structure, "_fields") else type(structure)(*packed)
    return next(items)
