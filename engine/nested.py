"""A model called on a symbolic tensor: one node of the outer functional graph.

    encoder = Model(encoder_input, encoder_output, name="encoder")
    decoded = decoder(encoder(img))          # two nested-model nodes
    autoencoder = Model(img, decoded)

As in Keras, calling a model reuses its layers and their weights: the outer model trains the
inner model's layer objects, so `encoder.predict` sees what `autoencoder.fit` learnt. In a
spec the node holds the inner model's spec as data, and its weights are saved with the
outer model's (after the node's place in Keras order):

    {"name": "encoder", "class_name": "Model", "inputs": ["img"],
     "config": {"model_class": "Functional", "spec": {...the inner model's spec...}}}

`model_class` is `"Functional"` or `"Sequential"` (the class the inner model is rebuilt as).
The node is a call-based Layer holding the inner model's layers as sublayers, so inside
`fit()` it runs the inner model under its private tape and its backward reaches every
inner weight.
"""

import threading

from . import registry
from .errors import ShapeError, SpecError
from .layers.base import Layer, format_shape

#: How deep models may nest in a spec (a hostile file must not recurse for ever).
MAX_NESTING = 16
_MODEL_CLASSES = ("Functional", "Sequential")
_depth = threading.local()
_MODEL_SURFACE = frozenset({"predict", "evaluate", "summary", "layers", "get_layer", "inputs",
                            "outputs", "to_spec", "input_names", "output_names"})


@registry.register("layer")
class ModelNode(Layer):
    """A nested model as a layer of the outer graph.

    Args:
        spec: The inner model's spec (`model.to_spec()`), when building from data.
        model_class: `"Functional"` or `"Sequential"`.
        model: The inner model object itself (when a model is called in code); its spec
            is then written from it.
    """

    CLASS_NAME = "Model"
    CATEGORY = "Models"
    DESCRIPTION = "A model used as one block of another model (its layers and weights)."
    IN_PALETTE = False  # made by calling a model in code, not dragged from the palette
    #: Two calls in one graph would need a second node over the same inner layers, whose
    #: private tapes would overwrite each other's weight gradients: refused when traced.
    SHAREABLE = False

    def __init__(self, spec=None, model_class="Functional", model=None, name=None, **kwargs):
        if model is None:
            model = _model_from_spec(spec, model_class, name)
        super().__init__(name=name or model.name, **kwargs)
        self.model = model
        # Public attribute: the sublayer tracking of call-based layers finds the inner
        # layers here, so their weights are packed, trained and saved with the outer model.
        self.inner_layers = list(model.layers)

    def __getattr__(self, name):
        # `autoencoder.get_layer("encoder")` is the encoder model in Keras: the model's own
        # surface (predict, summary, layers...) answers through its node.
        if name in _MODEL_SURFACE and "model" in vars(self):
            return getattr(self.model, name)
        return super().__getattr__(name)

    @property
    def model_class(self) -> str:
        return "Sequential" if type(self.model).__name__ == "Sequential" else "Functional"

    def get_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable, "model_class": self.model_class,
                "spec": self.model.to_spec()}

    def takes_list(self, count: int) -> bool:
        return len(self.model.input_names) > 1

    def compute_output_shape(self, input_shape):
        got = [tuple(s[1:]) for s in (input_shape if isinstance(input_shape, list)
                                      else [input_shape])]
        expected = [tuple(e) for e in self.model.input_shapes]
        if len(got) != len(expected) or not all(map(_compatible, got, expected)):
            raise ShapeError(
                f"Model '{self.model.name}' expects input shape "
                f"{', '.join(format_shape(e) for e in expected)}, but it was called on "
                f"{', '.join(format_shape(g) for g in got)}. Call it on a tensor of the "
                "shape its Input declares.")
        shapes = [(None, *s) for s in self.model.output_shapes]
        return shapes if len(shapes) > 1 else shapes[0]

    def call(self, inputs, training=False):
        return self.model(inputs, training=training)


def _model_from_spec(spec, model_class, name):
    """The inner model of a node read from a spec (fresh weights; the outer load fills them)."""
    where = f"Nested model '{name}'" if name else "A nested model"
    if not isinstance(spec, dict):
        raise SpecError(f"{where} needs its model's spec (an object) in 'spec'. Received: "
                        f"{type(spec).__name__}")
    if model_class not in _MODEL_CLASSES:
        raise SpecError(f"{where}: 'model_class' must be one of {', '.join(_MODEL_CLASSES)}. "
                        f"Received: {model_class!r}")
    depth = getattr(_depth, "value", 0)
    if depth >= MAX_NESTING:
        raise SpecError(f"{where}: models nest more than {MAX_NESTING} deep in this spec.")
    _depth.value = depth + 1
    try:
        from .models import check_spec_classes  # noqa: PLC0415 - models imports model
        from .model import Model  # noqa: PLC0415 - model imports this module
        from .sequential import Sequential  # noqa: PLC0415

        check_spec_classes(spec)
        if model_class == "Sequential":
            return Sequential.from_config(spec)
        return Model.from_spec(spec)
    finally:
        _depth.value = depth


def call_symbolic(model, x):
    """`model(x)` on symbolic tensors: a nested-model node (Keras's `encoder(img)`)."""
    from .symbolic import call_symbolic as call_layer  # noqa: PLC0415 - cycle

    if model.graph is None and hasattr(model, "build") and _shape_of(x) is not None:
        model.build(_shape_of(x))  # a Sequential without an Input builds from the call
    if model.graph is None:
        raise SpecError(f"Model '{model.name}' has no graph yet, so it cannot be a node of a "
                        "functional model. Give it an Input, or build it first.")
    if getattr(model, "_node_layer", None) is None:  # one node layer per model, as Keras
        model._node_layer = ModelNode(model=model)
    return call_layer(model._node_layer, x)


def _shape_of(x):
    return getattr(x, "shape", None) if not isinstance(x, (list, tuple)) else None


def _compatible(got, expected) -> bool:
    """Whether a batch-less shape fits an Input's (None matches any size)."""
    return len(got) == len(expected) and all(
        a is None or b is None or a == b for a, b in zip(got, expected))
