"""Core layers: Input, Dense, Activation."""

from .. import activations, registry
from ..errors import ShapeError
from ..params import BOOL, INITIALIZER, INT, INTS, REGULARIZER, STR, Param
from . import input_args
from .base import Layer, WeightSpec, check_known, format_shape

INITIALIZER_CHOICES = (
    "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
    "lecun_normal", "orthogonal", "random_normal", "random_uniform", "truncated_normal",
    "zeros", "ones",
)


def activation_param(default=None):
    return Param("activation", STR, default, choices=activations.NAMES, optional=True,
                 help="Function applied to the output (None = linear).")


def initializer_param(name, default, help=""):
    return Param(name, INITIALIZER, default, choices=INITIALIZER_CHOICES + ("uniform",),
                 help=help or "How the weights start.")


def regularizer_param(name, help=""):
    return Param(name, REGULARIZER, None, optional=True,
                 help=help or "Penalty on the weights added to the loss: l1, l2 or l1_l2.")


@registry.register("layer")
class InputLayer(Layer):
    """The model's entry point: declares the shape of one sample (no batch axis).

    Args:
        shape: Shape of one sample, e.g. `(28, 28)`; an int means `(int,)`. A None entry is
            a variable dimension, e.g. `(None,)` for token sequences of any length.
        batch_size: Optional fixed batch size, kept for `tensor.shape` (any batch size runs).
        dtype: The input's data type name (`"float32"`, `"int32"`...); data is fed to the
            layers as float32 whatever it says. Defaults to `"float32"`.
        batch_shape: `(batch_size, *shape)`, instead of `shape` and `batch_size`.
        sparse, ragged, input_tensor, optional: Keras arguments for inputs LayerCraft does
            not have; refused with a message when set.

    Output shape:
        `shape`, as given.
    """

    CLASS_NAME = "Input"
    CATEGORY = "Core"
    DESCRIPTION = "Model input: the shape of one sample, without the batch axis."
    MIN_INPUTS = 0
    MAX_INPUTS = 0
    PARAMS = (Param("shape", INTS, (784,), minimum=1, allow_none_entries=True,
                    help="Shape of one sample, e.g. 28, 28, 1; None for a variable length."),)

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, ragged=None,
                 batch_shape=None, input_tensor=None, optional=False, name=None, trainable=True,
                 **kwargs):
        # Keras's deprecated spellings: input_shape is shape, batch_input_shape is batch_shape.
        shape = kwargs.pop("input_shape", shape)
        batch_shape = kwargs.pop("batch_input_shape", batch_shape)
        super().__init__(name=name or None, trainable=trainable, **kwargs)
        owner = f"Input '{self.name}'"
        input_args.refuse_unsupported_input(owner, sparse=sparse, ragged=ragged,
                                            input_tensor=input_tensor, optional=optional)
        shape, self.batch_size = input_args.input_shape_and_batch(owner, shape, batch_size,
                                                                  batch_shape)
        self.dtype = input_args.standardize_dtype(owner, dtype)
        # input_args checked it: positive ints, or None for a variable dimension.
        self.shape = (784,) if shape is None else shape
        self.built = True  # no weights to create

    @classmethod
    def class_name(cls) -> str:
        return "Input"

    @property
    def batch_shape(self) -> tuple:
        return (self.batch_size, *self.shape)

    def compute_output_shape(self, input_shape=None):
        return tuple(self.shape)

    def forward(self, x, training=False):
        return x

    def backward(self, grad):
        return grad


@registry.register("layer")
class Dense(Layer):
    """Fully connected layer, `y = activation(x @ kernel + bias)`, on the last axis.

    Input shape:
        `(..., in_features)`, any rank (other axes may be None); put a `Flatten` before
        image inputs for a classifier.
    Output shape:
        `(..., units)`. A mask on the input passes through unchanged.
    """

    CATEGORY = "Core"
    DESCRIPTION = "Fully connected layer: every input feature to every unit."
    supports_masking = True
    PARAMS = (
        Param("units", INT, 32, minimum=1, help="Number of output features."),
        activation_param(),
        Param("use_bias", BOOL, True, help="Whether to add a learned bias."),
        initializer_param("kernel_initializer", "glorot_uniform"),
        initializer_param("bias_initializer", "zeros"),
        regularizer_param("kernel_regularizer"),
        regularizer_param("bias_regularizer"),
    )

    def __init__(self, units=32, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, name=None, trainable=True,
                 **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(units=units, activation=activation, use_bias=use_bias,
                        kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                        kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer)
        self._activation = activations.get(self.activation)

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, tuple) or len(input_shape) < 1:
            raise ShapeError(
                f"Layer '{self.name}' (Dense) expects an input with a feature axis, but received "
                f"shape {format_shape(input_shape)}."
            )
        check_known(self, input_shape, [-1], "the size of the last (feature) axis",
                    "Give the Input a fixed number of features, e.g. shape=(None, 8).")
        return tuple(input_shape[:-1]) + (self.units,)

    def weight_specs(self, input_shape):
        specs = [WeightSpec("kernel", (input_shape[-1], self.units), self.kernel_initializer,
                            regularizer=self.kernel_regularizer)]
        if self.use_bias:
            specs.append(WeightSpec("bias", (self.units,), self.bias_initializer,
                                    regularizer=self.bias_regularizer))
        return specs

    def forward(self, x, training=False):
        self._x = x
        z = x @ self.params["kernel"]
        if self._activation.fused_with_bias(z, self.params["bias"] if self.use_bias else None):
            self._z = self._y = z
            return z
        if self.use_bias:
            z += self.params["bias"]
        if self._activation.works_in_place:  # z is ours: keep one array, not two
            self._z = self._y = self._activation.forward_in_place(z)
        else:
            self._z, self._y = z, self._activation.forward(z)
        return self._y

    def backward(self, grad):
        grad_z = self._activation.backward(self._z, self._y, grad)
        return self.backward_from_preactivation(grad_z)

    def backward_from_preactivation(self, grad_z):
        """Backward starting at z = x @ kernel + bias (used by fused loss gradients)."""
        x2 = self._x.reshape(-1, self._x.shape[-1])
        g2 = grad_z.reshape(-1, self.units)
        # dL/dkernel = x^T g ; dL/dbias = sum over batch of g ; dL/dx = g kernel^T
        if "kernel" in self.grads:
            self.grads["kernel"][...] = x2.T @ g2
        if self.use_bias and "bias" in self.grads:
            self.grads["bias"][...] = g2.sum(axis=0)
        if not self.needs_input_gradient:
            return None
        return grad_z @ self.params["kernel"].T


@registry.register("layer")
class Activation(Layer):
    """Applies an activation function to its input.

    Output shape:
        Same as the input.
    """

    CATEGORY = "Core"
    DESCRIPTION = "Applies an activation function (relu, softmax, ...)."
    supports_masking = True
    PARAMS = (Param("activation", STR, "relu", choices=activations.NAMES,
                    help="The function to apply."),)

    def __init__(self, activation="relu", name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(activation=activation)
        self._activation = activations.get(self.activation)

    def forward(self, x, training=False):
        self._x = x
        self._y = self._activation.forward(x)
        return self._y

    def backward(self, grad):
        return self._activation.backward(self._x, self._y, grad)

    def backward_from_preactivation(self, grad_x):
        """The gradient already skips this activation (fused loss gradient)."""
        return grad_x
