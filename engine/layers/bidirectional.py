"""Bidirectional: a recurrent layer read forwards and a copy read backwards, merged.

    y_f = forward_layer(x)           y_b = backward_layer(x)   (go_backwards=True)
    with return_sequences, y_b is reversed in time so step t of both outputs lines up
    y = concat(y_f, y_b) | y_f + y_b | y_f * y_b | (y_f + y_b) / 2 | [y_f, y_b]
    with return_state, as Keras: [y (or y_f, y_b), *forward states, *backward states]

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
        merge_mode: `"concat"`, `"sum"`, `"mul"`, `"ave"` or None (two outputs, the
            forward and the backward one). Defaults to `"concat"`.
        backward_layer: Only None: the backward layer is a copy of `layer` reading backwards.
        layer_class: `"SimpleRNN"`, `"LSTM"` or `"GRU"`, when `layer` is not given.
        units, activation, ..., return_sequences, return_state: the recurrent layer's own
            arguments; `return_state` adds the forward states, then the backward states
            (LSTM: h_f, c_f, h_b, c_b) after the output(s), as Keras does.

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

    def __call__(self, inputs, initial_state=None, training=False, **kwargs):
        if initial_state is not None:
            raise SpecError(
                f"Layer '{self.name}' (Bidirectional): `initial_state` is not supported. "
                f"Expected: None. Received: a list of {len(_as_list(initial_state))} "
                "tensor(s). Fix: start both directions from zeros, or use two recurrent "
                "layers (one with go_backwards=True) and pass each its states.")
        return super().__call__(inputs, training=training, **kwargs)

    def output_count(self) -> int:
        heads = 2 if self.merge_mode is None else 1
        return heads + (2 * self.forward_layer.STATES if self.return_state else 0)

    def compute_output_shape(self, input_shape):
        shapes = self.forward_layer.compute_output_shape(input_shape)
        shape, states = (shapes[0], shapes[1:]) if self.return_state else (shapes, [])
        if self.merge_mode is None:
            heads = [tuple(shape), tuple(shape)]
        elif self.merge_mode == "concat":
            heads = [tuple(shape[:-1]) + (2 * shape[-1],)]
        else:
            heads = [tuple(shape)]
        outputs = heads + list(states) * 2
        return outputs[0] if len(outputs) == 1 else outputs

    def forward(self, x, training=False):
        self._bind()
        outs_f = _as_list(self.forward_layer.forward(x, training=training))
        outs_b = _as_list(self.backward_layer.forward(x, training=training))
        y_f, y_b = outs_f[0], outs_b[0]
        if self.return_sequences:
            y_b = y_b[:, ::-1]  # back to input time order (Keras reverses it too)
        self._y = (y_f, y_b)
        merged = _merge(self.merge_mode, y_f, y_b)
        outputs = _as_list(merged) + outs_f[1:] + outs_b[1:]
        return outputs[0] if len(outputs) == 1 else outputs

    def backward(self, grad):
        self._bind()
        grads = _as_list(grad)
        heads = 2 if self.merge_mode is None else 1
        if heads == 2:  # an output nothing used gets a zero gradient
            head = [g if g is not None else y * 0 for g, y in zip(grads, self._y)]
        else:
            head = grads[0] if grads[0] is not None else _merge(self.merge_mode, *self._y) * 0
        g_f, g_b = _merge_backward(self.merge_mode, head, *self._y)
        if self.return_sequences:
            g_b = g_b[:, ::-1]
        g_b = g_b.copy()  # the reversed view must be contiguous for the cell loops
        states = self.forward_layer.STATES
        f_states, b_states = grads[heads:heads + states], grads[heads + states:]
        if self.return_state:
            g_f, g_b = [g_f, *f_states], [g_b, *b_states]
        return self.forward_layer.backward(g_f) + self.backward_layer.backward(g_b)


def _as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


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
