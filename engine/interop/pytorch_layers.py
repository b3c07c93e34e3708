"""PyTorch code for the engine's layers: one translator per layer class.

A translator reads a built layer (its config, its input and output shapes) and returns a
`TorchLayer`: the `nn.Module` to declare in `__init__`, the expression that calls it in
`forward`, the tensor layout it wants its inputs in, and where each of its Keras weights goes
in PyTorch. The code generator (`pytorch_codegen`) strings them together.

Layouts: the engine is channels-last (`(N, H, W, C)`), PyTorch's convolutions, pooling and
batch normalization are channels-first (`(N, C, H, W)`). A layer says what it wants:
`CF` (channels-first), `CL` (channels-last: Flatten, Dense, Reshape... read features in Keras
order) or `ANY` (element-wise layers run in whatever layout their input is in).

This module holds the shared pieces and the core, normalization and merge layers;
`pytorch_conv` and `pytorch_recurrent` add the convolution, pooling, embedding and recurrent
layers to `TRANSLATORS`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from ..activations import LEAKY_SLOPE
from ..activations import get as get_activation
from ..errors import SpecError

CL, CF, ANY = "channels_last", "channels_first", "any"


@dataclass
class Call:
    """What a layer's `forward` code is written from: the variable names of its inputs and
    outputs, the module (`self.dense`) and the layout its inputs are in."""

    inputs: list
    outputs: list
    module: str
    layout: str = CL

    @property
    def x(self) -> str:
        return self.inputs[0]

    @property
    def channel_dim(self) -> int:
        return 1 if self.layout == CF else -1


@dataclass
class TorchLayer:
    """One layer in the generated `nn.Module`.

    Attributes:
        call: `call(Call) -> str` (the output's expression) or a list of statements.
        module: The `nn.Module` expression declared in `__init__`, or None.
        comment: Said after the declaration (why it differs from the Keras layer).
        setup: More `__init__` statements; `{m}` stands for the module (`self.lstm`).
        wants: The layout the inputs must be in (`CL`, `CF` or `ANY`).
        weights: Keras weight name -> (PyTorch tensor names under the module, conversion kind
            in `pytorch_weights.CONVERSIONS`).
        eval_only: Whether the module always runs in inference mode (a frozen
            BatchNormalization, as Keras runs it).
    """

    call: Callable
    module: str | None = None
    comment: str = ""
    setup: list = field(default_factory=list)
    wants: str = CL
    weights: dict = field(default_factory=dict)
    eval_only: bool = False


@dataclass
class LayerContext:
    """A layer as the translators see it: the owner layer and its shapes (no batch axis)."""

    layer: object
    input_shapes: list
    output_shapes: list

    @property
    def config(self) -> dict:
        return self.layer.get_config()

    @property
    def input_shape(self) -> tuple:
        return tuple(self.input_shapes[0])

    @property
    def description(self) -> str:
        return f"Layer '{self.layer.name}' ({type(self.layer).__name__})"


def refuse(ctx: LayerContext, setting: str, expected: str, received, fix: str) -> SpecError:
    """The error for a layer setting the PyTorch export cannot reproduce."""
    return SpecError(f"{ctx.description} cannot be exported to PyTorch: {setting} is not "
                     f"supported. Expected {expected}; received {received!r}. Fix: {fix}")


# ----- activations -----------------------------------------------------------------------------
#: activation name -> PyTorch expression of `{x}` ({dim}: the channel axis, for softmax).
ACTIVATIONS = {
    "linear": "{x}",
    "relu": "torch.relu({x})",
    "relu6": "F.relu6({x})",
    "leaky_relu": f"F.leaky_relu({{x}}, {LEAKY_SLOPE})",
    "elu": "F.elu({x})",
    "selu": "F.selu({x})",
    "gelu": "F.gelu({x})",
    "sigmoid": "torch.sigmoid({x})",
    "hard_sigmoid": "F.hardsigmoid({x})",
    "tanh": "torch.tanh({x})",
    "softmax": "torch.softmax({x}, dim={dim})",
    "log_softmax": "torch.log_softmax({x}, dim={dim})",
    "softplus": "F.softplus({x})",
    "softsign": "F.softsign({x})",
    "silu": "F.silu({x})",
    "swish": "F.silu({x})",
    "mish": "F.mish({x})",
    "exponential": "torch.exp({x})",
}


def activate(expression: str, activation, dim: int = -1) -> str:
    """`expression` passed through the named activation (None or "linear": unchanged)."""
    name = get_activation(activation).name
    return ACTIVATIONS[name].format(x=expression, dim=dim)


def freeze(ctx: LayerContext) -> list:
    """`requires_grad_(False)` for a layer the user froze (`trainable=False`)."""
    if ctx.layer.trainable:
        return []
    return ["{m}.requires_grad_(False)  # trainable=False in LayerCraft"]


# ----- core layers -----------------------------------------------------------------------------
def dense(ctx: LayerContext) -> TorchLayer:
    c = ctx.config
    bias = "" if c["use_bias"] else ", bias=False"
    weights = {"kernel": (("weight",), "dense")}
    if c["use_bias"]:
        weights["bias"] = (("bias",), "copy")
    return TorchLayer(
        module=f"nn.Linear({ctx.input_shape[-1]}, {c['units']}{bias})",
        call=lambda k: activate(f"{k.module}({k.x})", c["activation"]),
        setup=freeze(ctx), weights=weights)


def dropout(ctx: LayerContext) -> TorchLayer:
    return TorchLayer(module=f"nn.Dropout({ctx.config['rate']})",
                      call=lambda k: f"{k.module}({k.x})", wants=ANY)


def identity(ctx: LayerContext) -> TorchLayer:
    return TorchLayer(call=lambda k: k.x, wants=ANY)


def flatten(ctx: LayerContext) -> TorchLayer:
    return TorchLayer(call=lambda k: f"{k.x}.flatten(1)")


def reshape(ctx: LayerContext) -> TorchLayer:
    target = ", ".join(str(d) for d in ctx.config["target_shape"])
    return TorchLayer(call=lambda k: f"{k.x}.reshape({k.x}.shape[0], {target})")


def activation_layer(ctx: LayerContext) -> TorchLayer:
    name = ctx.config["activation"]
    return TorchLayer(call=lambda k: activate(k.x, name, k.channel_dim), wants=ANY)


def relu_layer(ctx: LayerContext) -> TorchLayer:
    c = ctx.config
    max_value, slope, threshold = c["max_value"], c["negative_slope"], c["threshold"]
    if not slope and not threshold:
        if max_value is None:
            return TorchLayer(call=lambda k: f"torch.relu({k.x})", wants=ANY)
        return TorchLayer(call=lambda k: f"torch.relu({k.x}).clamp(max={max_value})", wants=ANY)

    def call(k):
        # Keras ReLU: x above threshold, negative_slope * (x - threshold) below, capped
        expression = f"torch.where({k.x} >= {threshold}, {k.x}, {slope} * ({k.x} - {threshold}))"
        return expression if max_value is None else f"{expression}.clamp(max={max_value})"
    return TorchLayer(call=call, wants=ANY)


def leaky_relu_layer(ctx: LayerContext) -> TorchLayer:
    slope = ctx.config["negative_slope"]
    return TorchLayer(call=lambda k: f"F.leaky_relu({k.x}, {slope})", wants=ANY)


def elu_layer(ctx: LayerContext) -> TorchLayer:
    alpha = ctx.config["alpha"]
    return TorchLayer(call=lambda k: f"F.elu({k.x}, alpha={alpha})", wants=ANY)


def softmax_layer(ctx: LayerContext) -> TorchLayer:
    axis = ctx.config["axis"]
    if axis in (-1, [-1]):
        return TorchLayer(call=lambda k: f"torch.softmax({k.x}, dim={k.channel_dim})", wants=ANY)
    if isinstance(axis, int):
        return TorchLayer(call=lambda k: f"torch.softmax({k.x}, dim={axis})")
    raise refuse(ctx, "a softmax over several axes", "one axis", axis,
                 "use Softmax(axis=-1), or reshape so the classes sit on one axis.")


# ----- normalization ---------------------------------------------------------------------------
def _affine(ctx: LayerContext, scale: bool, center: bool) -> tuple[dict, list]:
    """(weights, setup) of a normalization's gamma and beta; a missing one stays fixed."""
    weights, setup = {}, []
    if scale:
        weights["gamma"] = (("weight",), "copy")
    elif center:
        setup.append("{m}.weight.requires_grad_(False)  # scale=False: no gamma, weight stays 1")
    if center:
        weights["beta"] = (("bias",), "copy")
    elif scale:
        setup.append("{m}.bias.requires_grad_(False)  # center=False: no beta, bias stays 0")
    return weights, setup + freeze(ctx)


def batch_normalization(ctx: LayerContext) -> TorchLayer:
    c, rank = ctx.config, len(ctx.input_shape) + 1
    if c["axis"] not in (-1, rank - 1):
        raise refuse(ctx, "normalizing an axis other than the channels", "axis=-1",
                     c["axis"], "use axis=-1 (the channels, as images are channels-last).")
    if rank > 5:
        raise refuse(ctx, "an input of rank > 5", "(batch, channels) up to (batch, D, H, W, C)",
                     ctx.input_shape, "reshape the input to at most 3 spatial axes.")
    kind = {2: "BatchNorm1d", 3: "BatchNorm1d", 4: "BatchNorm2d", 5: "BatchNorm3d"}[rank]
    affine = "" if c["scale"] or c["center"] else ", affine=False"
    weights, setup = _affine(ctx, c["scale"], c["center"])
    weights["moving_mean"] = (("running_mean",), "copy")
    weights["moving_variance"] = (("running_var",), "copy")
    momentum = round(1.0 - c["momentum"], 10)
    comment = (f"momentum = 1 - Keras momentum ({c['momentum']}); PyTorch updates running_var "
               "with the unbiased batch variance, Keras with the biased one")
    return TorchLayer(
        module=f"nn.{kind}({ctx.input_shape[-1]}, eps={c['epsilon']}, momentum={momentum}"
               f"{affine})",
        call=lambda k: f"{k.module}({k.x})", comment=comment, setup=setup, wants=CF,
        weights=weights, eval_only=not ctx.layer.trainable)


def layer_normalization(ctx: LayerContext) -> TorchLayer:
    c, rank = ctx.config, len(ctx.input_shape) + 1
    if c["axis"] not in (-1, rank - 1, [-1], [rank - 1]):
        raise refuse(ctx, "normalizing axes other than the last", "axis=-1", c["axis"],
                     "use axis=-1, or Reshape so the normalized features sit on the last axis.")
    scale, center = c["scale"], c["center"]
    if scale and not center:  # nn.LayerNorm(bias=False): a weight and no bias, as Keras
        options, weights, setup = ", bias=False", {"gamma": (("weight",), "copy")}, freeze(ctx)
    else:
        options = "" if scale or center else ", elementwise_affine=False"
        weights, setup = _affine(ctx, scale, center)
    return TorchLayer(module=f"nn.LayerNorm({ctx.input_shape[-1]}, eps={c['epsilon']}{options})",
                      call=lambda k: f"{k.module}({k.x})", setup=setup, weights=weights)


# ----- merges ----------------------------------------------------------------------------------
def _joined(operator: str):
    return lambda ctx: TorchLayer(call=lambda k: f" {operator} ".join(k.inputs), wants=ANY)


def average(ctx: LayerContext) -> TorchLayer:
    return TorchLayer(call=lambda k: f"({' + '.join(k.inputs)}) / {len(k.inputs)}", wants=ANY)


def _pairwise(function: str):
    def translate(ctx):
        def call(k):
            expression = k.inputs[0]
            for other in k.inputs[1:]:
                expression = f"{function}({expression}, {other})"
            return expression
        return TorchLayer(call=call, wants=ANY)
    return translate


def concatenate(ctx: LayerContext) -> TorchLayer:
    rank = len(ctx.input_shape) + 1
    axis = ctx.config["axis"] % rank

    def call(k):
        # channels-first tensors: the channel axis is 1, each spatial axis one further on
        dim = (1 if axis == rank - 1 else axis + 1) if k.layout == CF else axis
        return f"torch.cat([{', '.join(k.inputs)}], dim={dim})"
    return TorchLayer(call=call, wants=ANY)


def subtract(ctx: LayerContext) -> TorchLayer:
    return TorchLayer(call=lambda k: f"{k.inputs[0]} - {k.inputs[1]}", wants=ANY)


#: layer class name -> translator; `pytorch_conv` and `pytorch_recurrent` add theirs.
TRANSLATORS = {
    "Dense": dense, "Dropout": dropout, "Identity": identity, "Flatten": flatten,
    "Reshape": reshape, "Activation": activation_layer, "ReLU": relu_layer,
    "LeakyReLU": leaky_relu_layer, "ELU": elu_layer, "Softmax": softmax_layer,
    "BatchNormalization": batch_normalization, "LayerNormalization": layer_normalization,
    "Add": _joined("+"), "Multiply": _joined("*"), "Subtract": subtract, "Average": average,
    "Maximum": _pairwise("torch.maximum"), "Minimum": _pairwise("torch.minimum"),
    "Concatenate": concatenate,
}
