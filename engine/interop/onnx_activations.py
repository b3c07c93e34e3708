"""ONNX for the engine's activations: every named function (`activation="gelu"`) and the
activation layers (Activation, ReLU, LeakyReLU, ELU, Softmax, Identity, PReLU).

Each formula is the engine's (`engine/activations/table.py`); where opset 17 has no single
operator (gelu, silu, mish) the graph spells the formula out.
"""

import math

from ..activations import LEAKY_SLOPE, SELU_ALPHA, SELU_SCALE
from ..activations import get as get_activation

_SQRT_HALF = 1.0 / math.sqrt(2.0)


def _gelu(g, x):
    # y = 0.5 * x * (1 + erf(x / sqrt(2)))
    erf = g.op("Erf", [g.op("Mul", [x, g.scalar(_SQRT_HALF)])])
    half_x = g.op("Mul", [x, g.scalar(0.5)])
    return g.op("Mul", [half_x, g.op("Add", [erf, g.scalar(1.0)])])


def _silu(g, x):
    # y = x * sigmoid(x)
    return g.op("Mul", [x, g.op("Sigmoid", [x])])


def _mish(g, x):
    # y = x * tanh(softplus(x))
    return g.op("Mul", [x, g.op("Tanh", [g.op("Softplus", [x])])])


def _clip(low, high):
    return lambda g, x: g.op("Clip", [x, g.scalar(low), g.scalar(high)])


#: activation name -> f(graph, x) -> y
FUNCTIONS = {
    "linear": lambda g, x: x,
    "relu": lambda g, x: g.op("Relu", [x]),
    "relu6": _clip(0.0, 6.0),
    "leaky_relu": lambda g, x: g.op("LeakyRelu", [x], alpha=LEAKY_SLOPE),
    "elu": lambda g, x: g.op("Elu", [x], alpha=1.0),
    "selu": lambda g, x: g.op("Selu", [x], alpha=SELU_ALPHA, gamma=SELU_SCALE),
    "gelu": _gelu,
    "sigmoid": lambda g, x: g.op("Sigmoid", [x]),
    # clip(x / 6 + 1/2, 0, 1)
    "hard_sigmoid": lambda g, x: g.op("HardSigmoid", [x], alpha=1.0 / 6.0, beta=0.5),
    "tanh": lambda g, x: g.op("Tanh", [x]),
    "softmax": lambda g, x: g.op("Softmax", [x], axis=-1),
    "log_softmax": lambda g, x: g.op("LogSoftmax", [x], axis=-1),
    "softplus": lambda g, x: g.op("Softplus", [x]),
    "softsign": lambda g, x: g.op("Softsign", [x]),
    "silu": _silu,
    "mish": _mish,
    "exponential": lambda g, x: g.op("Exp", [x]),
}


def apply(g, activation, x: str) -> str:
    """`activation` (a name, None for linear) applied to the tensor `x`."""
    return FUNCTIONS[get_activation(activation).name](g, x)


# ----- activation layers ------------------------------------------------------------------
def activation_layer(g, call):
    return apply(g, call.layer.activation, call.x)


def relu_layer(g, call):
    layer, x = call.layer, call.x
    if not layer.negative_slope and layer.threshold == 0.0:
        y = g.op("Relu", [x])
        return y if layer.max_value is None else g.op("Min", [y, g.scalar(layer.max_value)])
    # y = min(x, max_value) above the threshold, negative_slope * (x - threshold) at or below
    threshold = g.scalar(layer.threshold)
    above = g.op("Greater", [x, threshold])
    y = g.op("Where", [above, x, g.scalar(0.0)])
    if layer.max_value is not None:
        y = g.op("Min", [y, g.scalar(layer.max_value)])
    if layer.negative_slope:
        below = g.op("Min", [g.op("Sub", [x, threshold]), g.scalar(0.0)])
        y = g.op("Add", [y, g.op("Mul", [below, g.scalar(layer.negative_slope)])])
    return y


def leaky_relu_layer(g, call):
    return g.op("LeakyRelu", [call.x], alpha=call.layer.negative_slope)


def elu_layer(g, call):
    return g.op("Elu", [call.x], alpha=call.layer.alpha)


def softmax_layer(g, call):
    return g.op("Softmax", [call.x], axis=call.layer.axis)


def identity_layer(g, call):
    """Layers that change nothing at inference (Identity, Dropout...): the input itself."""
    return call.x


def prelu_layer(g, call):
    # y = x for x > 0, alpha * x otherwise; alpha (sample shape) broadcasts over the batch
    return g.op("PRelu", [call.x, g.weight(call.layer.params["alpha"], "alpha")])


CONVERTERS = {
    "Activation": activation_layer,
    "ReLU": relu_layer,
    "LeakyReLU": leaky_relu_layer,
    "ELU": elu_layer,
    "Softmax": softmax_layer,
    "Identity": identity_layer,
    "PReLU": prelu_layer,
}
