"""UnitNormalization and GroupNormalization (Keras semantics); both the same in training and
inference, with no moving statistics.

`axis` counts the batch axis, as in Keras and as in `normalization.py`: `-1` is the last
(channels) axis, and axis 0, the batch, is refused.
"""

from .. import backend, registry
from ..errors import ShapeError, SpecError
from ..params import BOOL, INT, Param
from .activation_layers import refuse_constraint
from .base import Layer, format_shape
from .core import initializer_param, regularizer_param
from .normalization import (_broadcast_shape, _check_not_batch_axis, _epsilon_param,
                            _Normalization, normalized_input_grad, resolve_axis)

__all__ = ["GroupNormalization", "UnitNormalization"]

#: Keras's `ops.normalize` epsilon: the norm is clamped to at least this.
UNIT_NORM_EPSILON = 1e-12


def _single_axis(layer_name: str, axis):
    """Keras also takes a list of axes; one-entry lists are unwrapped, longer ones refused."""
    if isinstance(axis, (list, tuple)):
        if len(axis) != 1:
            raise SpecError(
                f"{layer_name}: `axis` must be one integer here; normalizing over several "
                f"axes at once is not supported. Received: axis={list(axis)}. Put a Reshape "
                "before the layer that merges those axes into one."
            )
        return axis[0]
    return axis


@registry.register("layer")
class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm along `axis`: `y = x / max(||x||, 1e-12)`.

    Args:
        axis: The axis whose vectors get norm 1 (the batch axis counts as 0). Defaults to
            `-1`. Keras's list of axes is not supported.

    Input shape:
        Any, with the axis `axis`.
    Output shape:
        Same as the input.
    """

    supports_masking = True  # a mask passes through unchanged, as in Keras

    CATEGORY = "Normalization"
    DESCRIPTION = "Scales each sample's vectors to length (L2 norm) 1."
    PARAMS = (Param("axis", INT, -1, help="Axis whose vectors get norm 1 (-1 = last axis)."),)

    def __init__(self, axis=-1, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(axis=_single_axis(self.name, axis))
        _check_not_batch_axis(self)

    def compute_output_shape(self, input_shape):
        resolve_axis(self, input_shape)
        return tuple(input_shape)

    def forward(self, x, training=False):
        xp = backend.get_array_module(x)
        axis = self.axis % x.ndim
        # y = x * rsqrt(max(sum(x**2), eps**2)) along the axis (Keras's ops.normalize).
        squares = (x * x).sum(axis=axis, keepdims=True)
        unclamped = squares > UNIT_NORM_EPSILON ** 2
        inv_norm = 1.0 / xp.sqrt(xp.maximum(squares, UNIT_NORM_EPSILON ** 2))
        y = x * inv_norm
        if not self.inference_only:
            self._y, self._inv_norm, self._unclamped, self._axis = y, inv_norm, unclamped, axis
        return y

    def backward(self, grad):
        # y = x / ||x||: dL/dx = (g - y * sum(g * y)) / ||x||; where the norm is clamped to
        # eps, y = x / eps is linear and dL/dx = g / eps.
        y = self._y
        along = (grad * y).sum(axis=self._axis, keepdims=True) * self._unclamped
        return (grad - y * along) * self._inv_norm


@registry.register("layer")
class GroupNormalization(_Normalization):
    """Normalizes each sample over groups of channels, then applies a per-channel scale and
    offset: `y = gamma * (x - mean_g) / sqrt(var_g + epsilon) + beta`.

    The `C` channels on `axis` are split into `groups` consecutive groups of `C / groups`;
    each sample's mean and (biased) variance are taken over a group's channels and every
    other non-batch axis (the rows and columns of an image). `groups=1` is close to
    LayerNormalization over all axes, and `groups=-1` (one channel per group) is instance
    normalization. Keras's `beta_constraint` and `gamma_constraint` are accepted only as
    `None`: the engine has no weight constraints.

    Args:
        groups: Number of groups, dividing the channel count; `-1` means one group per
            channel. Defaults to `32`.
        axis: The channel axis (the batch axis counts as 0). Defaults to `-1`.
        epsilon: Added to the variance before the square root. Defaults to `0.001`.
        center: Whether to add the learned offset `beta`. Defaults to `True`.
        scale: Whether to multiply by the learned scale `gamma`. Defaults to `True`.
        beta_initializer: Defaults to `"zeros"`.
        gamma_initializer: Defaults to `"ones"`.
        beta_regularizer: Optional penalty on `beta`. Defaults to `None`.
        gamma_regularizer: Optional penalty on `gamma`. Defaults to `None`.

    Input shape:
        Any, with the channel axis `axis`, e.g. `(height, width, channels)`.
    Output shape:
        Same as the input.
    """

    supports_masking = True  # a mask passes through unchanged, as in Keras

    DESCRIPTION = "Normalizes each sample over groups of channels (no batch statistics)."
    PARAMS = (
        Param("groups", INT, 32, minimum=1, allow_negative_one=True,
              help="Number of channel groups; must divide the channels (-1 = one per channel)."),
        Param("axis", INT, -1, help="Channel axis (-1 = the last axis)."),
        _epsilon_param(),
        Param("center", BOOL, True, help="Whether to add a learned offset (beta)."),
        Param("scale", BOOL, True, help="Whether to multiply by a learned scale (gamma)."),
        initializer_param("beta_initializer", "zeros"),
        initializer_param("gamma_initializer", "ones"),
        regularizer_param("beta_regularizer"),
        regularizer_param("gamma_regularizer"),
    )

    def __init__(self, groups=32, axis=-1, epsilon=0.001, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, name=None,
                 trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        refuse_constraint(self, "beta_constraint", beta_constraint)
        refuse_constraint(self, "gamma_constraint", gamma_constraint)
        self._configure(groups=groups, axis=_single_axis(self.name, axis), epsilon=epsilon,
                        center=center, scale=scale,
                        beta_initializer=beta_initializer,
                        gamma_initializer=gamma_initializer,
                        beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer)
        _check_not_batch_axis(self)

    def _channels(self, input_shape) -> int:
        channels = input_shape[resolve_axis(self, input_shape) - 1]
        groups = channels if self.groups == -1 else self.groups
        if groups > channels or channels % groups:
            raise ShapeError(
                f"Layer '{self.name}' (GroupNormalization) splits the {channels} channels on "
                f"axis {self.axis} of its input {format_shape(input_shape)} into "
                f"groups={self.groups}, but the number of channels must be a multiple of "
                "groups (and at least groups). Choose groups that divides the channels, "
                "or -1 for one group per channel."
            )
        return channels

    def compute_output_shape(self, input_shape):
        self._channels(input_shape)
        return tuple(input_shape)

    def weight_specs(self, input_shape):
        return self._affine_specs(self._channels(input_shape))

    def _grouped_shape(self, shape, axis):
        """`shape` with the channel axis split into (groups, channels per group)."""
        channels = shape[axis]
        groups = channels if self.groups == -1 else self.groups
        return tuple(shape[:axis]) + (groups, channels // groups) + tuple(shape[axis + 1:])

    def forward(self, x, training=False):
        xp = backend.get_array_module(x)
        axis = self.axis % x.ndim
        grouped = x.reshape(self._grouped_shape(x.shape, axis))
        # Statistics per sample and group: over every axis but the batch and the group axis.
        reduced = tuple(i for i in range(1, grouped.ndim) if i != axis)
        centered = grouped - grouped.mean(axis=reduced, keepdims=True)
        var = (centered * centered).mean(axis=reduced, keepdims=True)  # biased, as Keras
        inv_std = 1.0 / xp.sqrt(var + self.epsilon)
        # x_hat = (x - mean_g) / sqrt(var_g + epsilon); y = gamma * x_hat + beta per channel.
        xhat = (centered * inv_std).reshape(x.shape)
        bshape = _broadcast_shape(x.ndim, axis)
        if not self.inference_only:
            self._xhat, self._inv_std, self._bshape = xhat, inv_std, bshape
            self._param_axes = tuple(i for i in range(x.ndim) if i != axis)
            self._axis, self._reduced = axis, reduced
        return self._scale_and_shift(xhat, bshape)

    def backward(self, grad):
        dxhat = self._affine_backward(grad)
        grouped = self._grouped_shape(grad.shape, self._axis)
        # The batch-norm backward formula within each sample's group (see normalization.py).
        dx = normalized_input_grad(dxhat.reshape(grouped), self._xhat.reshape(grouped),
                                   self._inv_std, self._reduced)
        return dx.reshape(grad.shape)
