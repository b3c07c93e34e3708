"""Bidirectional: a recurrent layer read forwards and a copy read backwards, merged.

    y_f = forward_layer(x)           y_b = backward_layer(x)   (go_backwards=True)
    with return_sequences, y_b is reversed in time so step t of both outputs lines up
    y = concat(y_f, y_b) | y_f + y_b | y_f * y_b | (y_f + y_b) / 2 | [y_f, y_b]

The wrapped layer is edited through flat parameters (its class and the recurrent layers'
own parameters), so the property editor can show them with its usual fields; Keras's
`Bidirectional(LSTM(64))` and `{"layer": {"class_name", "config"}}` are accepted too.
Weights: the forward layer's, then the backward layer's, as Keras orders them.
"""

from .. import registry
from ..errors import SpecError
from ..params import STR, Param, to_json_value
from .base import Layer
from .recurrent import GRU, LSTM, SimpleRNN
from .wrappers import Wrapper, inner_layer

__all__ = ["Bidirectional"]

_RNN_CLASSES = {"LSTM": LSTM, "GRU": GRU, "SimpleRNN": SimpleRNN}
_MERGE_MODES = ("concat", "sum", "mul", "ave")


def _recurrent_params() -> tuple:
    """Every parameter of the engine's recurrent layers, once each, without go_backwards."""
    seen = {}
    for cls in _RNN_CLASSES.values():
        for param in cls.PARAMS:
            if param.name != "go_backwards":
                seen.setdefault(param.name, param)
    return tuple(seen.values())


_INNER_PARAMS = _recurrent_params()


@registry.register("layer")
class Bidirectional(Wrapper):
    """Bidirectional wrapper for SimpleRNN, LSTM and GRU.

    Args:
        layer: The recurrent layer (an instance, as in Keras, or its config dict). When
            given, it sets `layer_class` and the recurrent parameters.
        merge_mode: `"concat"`, `"sum"`, `"mul"`, `"ave"` or None (eager calls only: two
            outputs). Defaults to `"concat"`.
        backward_layer: Only None: the backward layer is a copy of `layer` reading backwards.
        layer_class: `"SimpleRNN"`, `"LSTM"` or `"GRU"`, when `layer` is not given.
        units, activation, ..., return_sequences: the recurrent layer's own arguments.

    Input shape:
        `(timesteps, features)`.
    Output shape:
        `(2 * units,)` for concat, else `(units,)`; with `return_sequences` a leading
        timesteps axis.
    """

    CATEGORY = "Recurrent"
    DESCRIPTION = "Runs a recurrent layer forwards and backwards and merges both outputs."
    PARAMS = (Param("layer_class", STR, "LSTM", choices=tuple(_RNN_CLASSES),
                    help="The recurrent layer run in both directions."),
              *_INNER_PARAMS,
              Param("merge_mode", STR, "concat", choices=_MERGE_MODES, optional=True,
                    help="How the two directions combine (None = two outputs)."))

    def __init__(self, layer=None, merge_mode="concat", backward_layer=None, name=None,
                 trainable=True, **kwargs):
        inner = {k: kwargs.pop(k) for k in list(kwargs)
                 if k == "layer_class" or k in {p.name for p in _INNER_PARAMS}}
        super().__init__(name=name, trainable=trainable, **kwargs)
        owner = f"Layer '{self.name}' (Bidirectional)"
        if backward_layer is not None:
            raise SpecError(f"{owner}: a separate `backward_layer` is not supported; the "
                            "backward layer is a copy of `layer` reading backwards. Expected: "
                            f"None. Received: {backward_layer!r}.")
        if layer is not None:
            inner.update(self._flatten(owner, layer))
        self._configure(merge_mode=merge_mode,
                        **{p.name: inner.get(p.name, p.default) for p in self.PARAMS
                           if p.name != "merge_mode"})
        self._make_layers()

    @staticmethod
    def _flatten(owner, layer) -> dict:
        layer = inner_layer(owner, layer, allowed=tuple(_RNN_CLASSES))
        if getattr(layer, "go_backwards", False):
            raise SpecError(f"{owner}: wrap a layer with go_backwards=False; the wrapper makes "
                            "the backward copy itself. Received: go_backwards=True.")
        config = layer.get_config()
        return {"layer_class": type(layer).class_name(),
                **{k: v for k, v in config.items() if k in {p.name for p in _INNER_PARAMS}}}

    def _make_layers(self):
        cls = _RNN_CLASSES[self.layer_class]
        own = {p.name for p in cls.PARAMS}
        config = {p.name: getattr(self, p.name) for p in _INNER_PARAMS if p.name in own}
        base = f"{cls.__name__.lower()}_{self.name}"
        self.forward_layer = cls(**config, name=f"forward_{base}")
        self.backward_layer = cls(**config, go_backwards=True, name=f"backward_{base}")

    def get_config(self):
        config = super().get_config()
        return {k: to_json_value(v) for k, v in config.items()}

    def _inner_layers(self) -> list[tuple[str, Layer]]:
        return [("forward_", self.forward_layer), ("backward_", self.backward_layer)]

    def __call__(self, inputs, training=False, **kwargs):
        from .attention_utils import is_symbolic  # noqa: PLC0415

        if self.merge_mode is None and is_symbolic([inputs]):
            raise SpecError(
                f"Layer '{self.name}' (Bidirectional): merge_mode=None gives two outputs, and "
                "a graph node has one. Expected: 'concat', 'sum', 'mul' or 'ave' in a "
                "functional model. Fix: pick a merge mode, or call it eagerly on arrays.")
        return super().__call__(inputs, training=training, **kwargs)

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(input_shape)
        if self.merge_mode == "concat":
            return tuple(shape[:-1]) + (2 * shape[-1],)
        return tuple(shape)

    def forward(self, x, training=False):
        self._bind()
        y_f = self.forward_layer.forward(x, training=training)
        y_b = self.backward_layer.forward(x, training=training)
        if self.return_sequences:
            y_b = y_b[:, ::-1]  # back to input time order (Keras reverses it too)
        self._y = (y_f, y_b)
        return _merge(self.merge_mode, y_f, y_b)

    def backward(self, grad):
        self._bind()
        g_f, g_b = _merge_backward(self.merge_mode, grad, *self._y)
        if self.return_sequences:
            g_b = g_b[:, ::-1]
        xp_copy = g_b.copy()  # the reversed view must be contiguous for the cell loops
        return self.forward_layer.backward(g_f) + self.backward_layer.backward(xp_copy)


def _merge(mode, y_f, y_b):
    if mode == "concat":
        from ..backend import get_array_module  # noqa: PLC0415

        return get_array_module(y_f).concatenate([y_f, y_b], axis=-1)
    if mode == "sum":
        return y_f + y_b
    if mode == "mul":
        return y_f * y_b
    if mode == "ave":
        return (y_f + y_b) / 2
    return [y_f, y_b]


def _merge_backward(mode, grad, y_f, y_b):
    """(dL/dy_f, dL/dy_b) for each merge: split, copy, the other factor, or half."""
    if mode == "concat":
        units = y_f.shape[-1]
        return grad[..., :units], grad[..., units:]
    if mode == "sum":
        return grad, grad
    if mode == "mul":
        return grad * y_b, grad * y_f
    if mode == "ave":
        return grad / 2, grad / 2
    return grad[0], grad[1]
