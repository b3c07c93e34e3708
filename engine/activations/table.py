"""The activations layers use, by name, each with its derivative beside it.

`forward(x)` returns `y`; `backward(x, y, g)` returns dL/dx given g = dL/dy. Both work on
NumPy and CuPy arrays through `xp`.
"""

import math

from .. import kernels
from ..backend import get_array_module, zeros_operand
from ..errors import SpecError, describe_choices

_SQRT_HALF = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805
LEAKY_SLOPE = 0.2  # keras.activations.leaky_relu default (the LeakyReLU layer uses 0.3)


def _sigmoid(xp, x):
    # Stable both ways: exp of a non-positive number only.
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


def _softplus(xp, x):
    return xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(x, 0)


def _erf(xp, x):
    """erf, exact on CuPy; on NumPy Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7)."""
    if xp.__name__ == "cupy":
        from cupyx.scipy.special import erf  # noqa: PLC0415

        return erf(x)
    sign = xp.sign(x)
    a = xp.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (
        -1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * xp.exp(-a * a))


class Activation:
    """A named elementwise (or last-axis) function and its derivative."""

    def __init__(self, name, forward, backward, in_place=None):
        self.name = name
        self._forward = forward
        self._backward = backward
        self._in_place = in_place

    def forward(self, x):
        return self._forward(get_array_module(x), x)

    def forward_in_place(self, z):
        """`forward(z)` written over `z` when that is safe, else a new array.

        Safe means the derivative can be computed from the output alone (or from its
        sign), so `backward(y, y, g)` is exact: callers that own `z` (Dense, Conv) then keep
        one array instead of two, which saves an allocation and a pass per layer.
        """
        if self._in_place is None:
            return self._forward(get_array_module(z), z)
        return self._in_place(get_array_module(z), z)

    def fused_with_bias(self, z, bias) -> bool:
        """`z = forward(z + bias)` in place in one pass (`bias` None: none), and True, where a
        fused CPU kernel takes it (relu or linear on float32 NumPy arrays, `engine.kernels`);
        False: nothing done, the caller adds the bias and activates as usual."""
        return kernels.bias_activation(z, bias, self.name)

    @property
    def works_in_place(self) -> bool:
        return self._in_place is not None

    def backward(self, x, y, grad):
        """dL/dx from the input `x`, the output `y` and dL/dy `grad`."""
        return self._backward(get_array_module(grad), x, y, grad)

    def __call__(self, x):
        return self.forward(x)

    def __repr__(self):
        return f"Activation({self.name!r})"


def _softmax(xp, x):
    e = xp.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _log_softmax(xp, x):
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=-1, keepdims=True))


def _gelu(xp, x):
    return 0.5 * x * (1.0 + _erf(xp, x * _SQRT_HALF))


def _gelu_grad(xp, x, y, g):
    # d/dx x*Phi(x) = Phi(x) + x*phi(x)
    cdf = 0.5 * (1.0 + _erf(xp, x * _SQRT_HALF))
    return g * (cdf + x * _INV_SQRT_2PI * xp.exp(-0.5 * x * x))


def _mish_grad(xp, x, y, g):
    # y = x*tanh(sp(x)); dy/dx = tanh(sp) + x*sigmoid(x)*(1 - tanh(sp)^2)
    t = xp.tanh(_softplus(xp, x))
    return g * (t + x * _sigmoid(xp, x) * (1.0 - t * t))


def _relu_grad(xp, x, y, g):
    fused = kernels.relu_backward(x, g)  # one pass, no boolean temporary
    return g * (x > 0) if fused is None else fused


def _silu_grad(xp, x, y, g):
    s = _sigmoid(xp, x)
    return g * (s + x * s * (1.0 - s))


_TABLE = {
    "linear": (lambda xp, x: x, lambda xp, x, y, g: g),
    "relu": (lambda xp, x: xp.maximum(x, zeros_operand(x)), _relu_grad),
    "relu6": (lambda xp, x: xp.clip(x, 0, 6), lambda xp, x, y, g: g * ((x > 0) & (x < 6))),
    "leaky_relu": (
        lambda xp, x: xp.where(x > 0, x, LEAKY_SLOPE * x),
        lambda xp, x, y, g: xp.where(x > 0, g, LEAKY_SLOPE * g),
    ),
    "elu": (  # alpha = 1
        lambda xp, x: xp.where(x > 0, x, xp.expm1(xp.minimum(x, 0))),
        lambda xp, x, y, g: xp.where(x > 0, g, g * (y + 1.0)),
    ),
    "selu": (
        lambda xp, x: SELU_SCALE * xp.where(x > 0, x, SELU_ALPHA * xp.expm1(xp.minimum(x, 0))),
        lambda xp, x, y, g: g * SELU_SCALE * xp.where(x > 0, 1.0, SELU_ALPHA * xp.exp(
            xp.minimum(x, 0))),
    ),
    "gelu": (_gelu, _gelu_grad),
    "sigmoid": (_sigmoid, lambda xp, x, y, g: g * y * (1.0 - y)),
    "hard_sigmoid": (  # 0 below -3, 1 above 3, x/6 + 1/2 between
        lambda xp, x: xp.clip(x / 6.0 + 0.5, 0.0, 1.0),
        lambda xp, x, y, g: g * ((x > -3.0) & (x < 3.0)) / 6.0,
    ),
    "tanh": (lambda xp, x: xp.tanh(x), lambda xp, x, y, g: g * (1.0 - y * y)),
    "softmax": (  # dL/dx = y * (g - sum(g*y))
        _softmax,
        lambda xp, x, y, g: y * (g - (g * y).sum(axis=-1, keepdims=True)),
    ),
    "log_softmax": (  # dL/dx = g - softmax(x) * sum(g)
        _log_softmax,
        lambda xp, x, y, g: g - xp.exp(y) * g.sum(axis=-1, keepdims=True),
    ),
    "softplus": (_softplus, lambda xp, x, y, g: g * _sigmoid(xp, x)),
    "softsign": (
        lambda xp, x: x / (1.0 + xp.abs(x)),
        lambda xp, x, y, g: g / (1.0 + xp.abs(x)) ** 2,
    ),
    "silu": (lambda xp, x: x * _sigmoid(xp, x), _silu_grad),
    "mish": (lambda xp, x: x * xp.tanh(_softplus(xp, x)), _mish_grad),
    "exponential": (lambda xp, x: xp.exp(x), lambda xp, x, y, g: g * y),
}
_ALIASES = {"swish": "silu", None: "linear"}


def _softmax_in_place(xp, z):
    z -= z.max(axis=-1, keepdims=True)
    xp.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    return z


# In-place forms for activations whose derivative needs only the output (or its sign, which
# equals the input's sign for the relu family).
_IN_PLACE = {
    "linear": lambda xp, z: z,
    "relu": lambda xp, z: xp.maximum(z, zeros_operand(z), out=z),
    "relu6": lambda xp, z: xp.clip(z, 0, 6, out=z),
    "leaky_relu": lambda xp, z: xp.maximum(z, LEAKY_SLOPE * z, out=z),  # slope < 1
    "tanh": lambda xp, z: xp.tanh(z, out=z),
    "softmax": _softmax_in_place,
    "exponential": lambda xp, z: xp.exp(z, out=z),
}

#: Every accepted activation name, for forms and error messages.
NAMES = tuple(_TABLE) + ("swish",)
_INSTANCES = {name: Activation(name, *pair, in_place=_IN_PLACE.get(name))
              for name, pair in _TABLE.items()}


def get(identifier) -> Activation:
    """The activation called `identifier` (`None` means linear).

    Raises:
        SpecError: listing the valid names when the name is unknown.
    """
    if isinstance(identifier, Activation):
        return identifier
    name = _ALIASES.get(identifier, identifier)
    if name not in _INSTANCES:
        raise SpecError(
            f"Unknown activation {identifier!r}. Expected one of: {describe_choices(NAMES)}."
        )
    return _INSTANCES[name]
