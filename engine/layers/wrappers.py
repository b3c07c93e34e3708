"""Layer wrappers: TimeDistributed (one layer applied to every timestep) and Bidirectional
(a recurrent layer read forwards and backwards).

A wrapper owns its inner layers and exposes their weights as its own (`self.params`), so the
model packs, saves and updates them like any layer's. Before each pass it hands the current
arrays back to the inner layers (`_bind`): the model may have replaced them with views into
its flat buffers or moved them to another device.
"""

import json

from .. import registry
from ..errors import ShapeError, SpecError
from ..params import STR, Param
from .base import Layer, WeightSpec, format_shape

__all__ = ["TimeDistributed", "Wrapper", "inner_layer"]


def inner_layer(owner: str, layer, allowed=None) -> Layer:
    """A Layer from an instance, a `{"class_name", "config"}` dict or its JSON text."""
    if isinstance(layer, str):
        try:
            layer = json.loads(layer)
        except json.JSONDecodeError as exc:
            raise SpecError(f"{owner}: `layer` must be a layer or its JSON "
                            f'{{"class_name", "config"}}. Received invalid JSON: {exc}') from None
    if isinstance(layer, dict):
        if not isinstance(layer.get("class_name"), str):
            raise SpecError(f"{owner}: `layer` needs a 'class_name'. Received: {layer!r}")
        cls = registry.get_class("layer", layer["class_name"])
        config = dict(layer.get("config", {}))
        config.pop("name", None)
        layer = cls.from_config(config)
    if not isinstance(layer, Layer):
        raise SpecError(f"{owner}: `layer` must be a Layer instance. Received: {layer!r}")
    if allowed and type(layer).class_name() not in allowed:
        raise SpecError(f"{owner}: `layer` must be one of {', '.join(allowed)}. Received: "
                        f"{type(layer).class_name()}.")
    return layer


class Wrapper(Layer):
    """Shares the inner layers' weights under `<prefix><name>` keys."""

    def _inner_layers(self) -> list[tuple[str, Layer]]:
        raise NotImplementedError

    def weight_specs(self, input_shape):
        return [WeightSpec(prefix + s.name, s.shape, s.initializer, s.trainable, s.regularizer)
                for prefix, inner in self._inner_layers()
                for s in inner.weight_specs(input_shape)]

    def build(self, input_shape):
        self.compute_output_shape(input_shape)
        for prefix, inner in self._inner_layers():
            inner.device = self.device
            inner.build(self._inner_input_shape(input_shape))
            for key, array in inner.params.items():
                self.params[prefix + key] = array
                if key in inner.grads:
                    self.grads[prefix + key] = inner.grads[key]
                if key in inner.regularizers:
                    self.regularizers[prefix + key] = inner.regularizers[key]
        self.input_shape = input_shape
        self.built = True

    def _inner_input_shape(self, input_shape):
        return input_shape

    def _bind(self) -> None:
        """Points the inner layers at this wrapper's current weight and gradient arrays."""
        for prefix, inner in self._inner_layers():
            for key in inner.params:
                inner.params[key] = self.params[prefix + key]
                if prefix + key in self.grads:
                    inner.grads[key] = self.grads[prefix + key]
            inner.needs_input_gradient = True


@registry.register("layer")
class TimeDistributed(Wrapper):
    """Applies one layer to every timestep (axis 1) of its input, with shared weights.

    `y[:, t] = layer(x[:, t])`: the batch and time axes are folded into one batch for the
    inner layer, then unfolded.

    Args:
        layer: The layer to apply: an instance (as in Keras), its `{"class_name", "config"}`
            dict or that dict as JSON text (how the property editor edits it). Defaults to
            `Dense(32)`.

    Input shape:
        `(timesteps, ...)`, where `...` is what the inner layer takes.
    Output shape:
        `(timesteps, ...)`, where `...` is what the inner layer gives.
    """

    CATEGORY = "Core"
    DESCRIPTION = "Applies a layer (Dense, Conv...) to every timestep of a sequence."
    TRAINING_DEPENDENT = True
    PARAMS = (Param("layer", STR, '{"class_name": "Dense", "config": {"units": 32}}',
                    help='The wrapped layer as JSON: {"class_name": ..., "config": {...}}.'),)

    def __init__(self, layer=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        owner = f"Layer '{self.name}' (TimeDistributed)"
        self._layer = inner_layer(owner, layer if layer is not None else self.PARAMS[0].default)
        if self._layer.takes_list(1) or self._layer.output_count() != 1:
            raise SpecError(f"{owner} wraps layers with one input and one output; "
                            f"{type(self._layer).__name__} takes or gives several. Wrap a "
                            "layer such as Dense or Conv2D (an RNN without return_state).")
        config = {k: v for k, v in self._layer.get_config().items() if k != "name"}
        self.layer = json.dumps({"class_name": type(self._layer).class_name(),
                                 "config": config})

    @property
    def wrapped(self) -> Layer:
        """The inner layer (Keras's `TimeDistributed.layer` object)."""
        return self._layer

    def _inner_layers(self):
        return [("", self._layer)]

    def _inner_input_shape(self, input_shape):
        return tuple(input_shape[1:])

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, tuple) or len(input_shape) < 2:
            raise ShapeError(
                f"Layer '{self.name}' (TimeDistributed) expects an input of rank 2 or more "
                f"(timesteps, ...), but received {format_shape(input_shape)}. Add a Reshape "
                "that gives it a time axis first.")
        return (input_shape[0],) + tuple(self._layer.compute_output_shape(input_shape[1:]))

    def forward(self, x, training=False):
        # fold: (B, T, ...) -> (B*T, ...); y = layer(fold(x)); unfold back to (B, T, ...)
        self._bind()
        self._layer.inference_only = self.inference_only
        self._batch = x.shape[:2]
        y = self._layer.forward(x.reshape((-1,) + x.shape[2:]), training=training)
        return y.reshape(self._batch + y.shape[1:])

    def backward(self, grad):
        # dL/dx = unfold(layer.backward(fold(dL/dy))); weight grads sum over every timestep
        self._bind()
        dx = self._layer.backward(grad.reshape((-1,) + grad.shape[2:]))
        return dx.reshape(self._batch + dx.shape[1:])
