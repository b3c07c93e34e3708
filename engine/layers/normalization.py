"""Normalization layers: BatchNormalization and LayerNormalization (Keras semantics).

Both normalize `x_hat = (x - mean) / sqrt(var + epsilon)` and then apply a learned
per-feature scale and offset, `y = gamma * x_hat + beta`. They differ in which axes the
statistics are taken over: BatchNormalization over every axis but the feature `axis` (the
batch and, for images, height and width); LayerNormalization over the feature `axis` of each
sample alone.

`axis` counts the batch axis, as in Keras: `-1` is the last (channels) axis, and for an image
batch `(batch, height, width, channels)` the channels are also `axis=3`. Axis 0 is the batch.
"""

from .. import backend, registry
from ..errors import ShapeError, SpecError
from ..params import BOOL, FLOAT, INT, Param
from .base import Layer, WeightSpec, format_shape
from .core import initializer_param, regularizer_param

__all__ = ["BatchNormalization", "LayerNormalization"]


def _axis_param(help_text: str) -> Param:
    return Param("axis", INT, -1, help=help_text)


def _epsilon_param() -> Param:
    return Param("epsilon", FLOAT, 0.001, minimum=0.0, exclusive_minimum=True,
                 help="Small number added to the variance so the division is safe.")


def _check_not_batch_axis(layer: Layer) -> None:
    if layer.axis == 0:
        raise SpecError(
            f"{layer.name}: `axis` counts the batch axis as 0, and {type(layer).__name__} "
            "cannot normalize features along the batch. Received: axis=0. "
            "Use axis=-1 for the last (channels) axis."
        )


def resolve_axis(layer: Layer, input_shape) -> int:
    """The axis of the batched tensor that `layer.axis` names, checked against `input_shape`.

    Args:
        layer: A layer with an `axis` attribute (Keras convention: the batch axis is 0).
        input_shape: The input shape without the batch axis.

    Returns:
        The non-negative axis index in the batched tensor (1 or more).

    Raises:
        ShapeError: when `axis` does not name a non-batch axis of the input.
    """
    if not isinstance(input_shape, tuple):
        raise ShapeError(
            f"Layer '{layer.name}' ({type(layer).__name__}) takes one input, but received "
            f"shapes {format_shape(list(input_shape))}."
        )
    rank = len(input_shape) + 1
    if not -rank <= layer.axis < rank or layer.axis % rank == 0:
        raise ShapeError(
            f"Layer '{layer.name}' ({type(layer).__name__}) has axis={layer.axis}, but its input "
            f"{format_shape(input_shape)} has feature axes 1..{rank - 1} (or -{rank - 1}..-1); "
            "axis 0 is the batch. Use axis=-1 for the last (channels) axis, or add a Reshape "
            "before the layer if the input has no feature axis."
        )
    return layer.axis % rank


def _broadcast_shape(ndim: int, axis: int) -> list[int]:
    """`[1, ..., -1, ..., 1]`: reshapes a per-feature vector to broadcast along `axis`."""
    shape = [1] * ndim
    shape[axis] = -1
    return shape


def normalized_input_grad(dxhat, xhat, inv_std, axes):
    """dL/dx for `x_hat = (x - mean) / sqrt(var + eps)` with mean and var taken over `axes`.

    The standard batch-norm backward formula, with means over the `m` reduced elements:
    `dx = inv_std * (dxhat - mean(dxhat) - x_hat * mean(dxhat * x_hat))`.
    """
    mean_dxhat = dxhat.mean(axis=axes, keepdims=True)
    mean_dxhat_xhat = (dxhat * xhat).mean(axis=axes, keepdims=True)
    return inv_std * (dxhat - mean_dxhat - xhat * mean_dxhat_xhat)


class _Normalization(Layer):
    """Shared scale/offset handling and backward for the two normalization layers."""

    CATEGORY = "Normalization"

    def _affine_specs(self, features: int) -> list[WeightSpec]:
        specs = []
        if self.scale:
            specs.append(WeightSpec("gamma", (features,), self.gamma_initializer,
                                    regularizer=self.gamma_regularizer))
        if self.center:
            specs.append(WeightSpec("beta", (features,), self.beta_initializer,
                                    regularizer=self.beta_regularizer))
        return specs

    def _scale_and_shift(self, xhat, bshape):
        """`gamma * x_hat + beta` (either part skipped when disabled)."""
        if self.scale:
            y = xhat * self.params["gamma"].reshape(bshape)
        else:
            y = xhat.copy()  # never hand out the cached x_hat itself
        if self.center:
            y += self.params["beta"].reshape(bshape)
        return y

    def _affine_backward(self, grad):
        """Fills the gamma/beta gradients and returns dL/d(x_hat)."""
        param_axes = self._param_axes
        if "gamma" in self.grads:
            self.grads["gamma"][...] = (grad * self._xhat).sum(axis=param_axes)
        if "beta" in self.grads:
            self.grads["beta"][...] = grad.sum(axis=param_axes)
        if self.scale:
            return grad * self.params["gamma"].reshape(self._bshape)
        return grad


@registry.register("layer")
class BatchNormalization(_Normalization):
    """Normalizes each feature with the batch's statistics while training.

    In training (`training=True` and `layer.trainable`), each feature is normalized with the
    mean and the biased variance of the batch, taken over every axis but `axis`, and the
    moving statistics are updated: `moving = moving * momentum + batch_stat * (1 - momentum)`.
    In inference, and whenever `layer.trainable` is False (as in Keras, for fine-tuning), the
    moving statistics are used instead.

    Args:
        axis: The feature axis (the batch axis counts as 0). Defaults to `-1`.
        momentum: Weight of the old value in the moving statistics. Defaults to `0.99`.
        epsilon: Added to the variance before the square root. Defaults to `0.001`.
        center: Whether to add the learned offset `beta`. Defaults to `True`.
        scale: Whether to multiply by the learned scale `gamma`. Defaults to `True`.
        beta_initializer: Defaults to `"zeros"`.
        gamma_initializer: Defaults to `"ones"`.
        moving_mean_initializer: Defaults to `"zeros"`.
        moving_variance_initializer: Defaults to `"ones"`.
        beta_regularizer: Optional penalty on `beta`. Defaults to `None`.
        gamma_regularizer: Optional penalty on `gamma`. Defaults to `None`.

    Input shape:
        Any shape with the feature axis `axis`, e.g. `(features,)` or `(height, width,
        channels)`.
    Output shape:
        Same as the input.
    """

    supports_masking = True  # a mask passes through unchanged, as in Keras

    DESCRIPTION = "Normalizes each feature over the batch; keeps moving statistics."
    TRAINING_DEPENDENT = True
    PARAMS = (
        _axis_param("Feature axis to normalize (-1 = channels, the last axis)."),
        Param("momentum", FLOAT, 0.99, minimum=0.0, maximum=1.0,
              help="Weight of the old value in the moving mean and variance."),
        _epsilon_param(),
        Param("center", BOOL, True, help="Whether to add a learned offset (beta)."),
        Param("scale", BOOL, True, help="Whether to multiply by a learned scale (gamma)."),
        initializer_param("beta_initializer", "zeros"),
        initializer_param("gamma_initializer", "ones"),
        initializer_param("moving_mean_initializer", "zeros"),
        initializer_param("moving_variance_initializer", "ones"),
        regularizer_param("beta_regularizer"),
        regularizer_param("gamma_regularizer"),
    )

    def __init__(self, axis=-1, momentum=0.99, epsilon=0.001, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, name=None, trainable=True,
                 **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(axis=axis, momentum=momentum, epsilon=epsilon, center=center,
                        scale=scale, beta_initializer=beta_initializer,
                        gamma_initializer=gamma_initializer,
                        moving_mean_initializer=moving_mean_initializer,
                        moving_variance_initializer=moving_variance_initializer,
                        beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer)
        _check_not_batch_axis(self)

    def compute_output_shape(self, input_shape):
        resolve_axis(self, input_shape)
        return tuple(input_shape)

    def weight_specs(self, input_shape):
        features = input_shape[resolve_axis(self, input_shape) - 1]
        return self._affine_specs(features) + [
            WeightSpec("moving_mean", (features,), self.moving_mean_initializer,
                       trainable=False),
            WeightSpec("moving_variance", (features,), self.moving_variance_initializer,
                       trainable=False),
        ]

    def forward(self, x, training=False):
        xp = backend.get_array_module(x)
        axis = self.axis % x.ndim
        self._bshape = _broadcast_shape(x.ndim, axis)
        self._param_axes = tuple(i for i in range(x.ndim) if i != axis)
        self._batch_stats = bool(training) and self.trainable
        if self._batch_stats:
            mean = x.mean(axis=self._param_axes, keepdims=True)
            centered = x - mean
            var = (centered * centered).mean(axis=self._param_axes, keepdims=True)  # biased
            self._update_moving_statistics(mean, var)
        else:
            mean = self.params["moving_mean"].reshape(self._bshape)
            var = self.params["moving_variance"].reshape(self._bshape)
            centered = x - mean
        self._inv_std = 1.0 / xp.sqrt(var + self.epsilon)
        self._xhat = centered * self._inv_std
        return self._scale_and_shift(self._xhat, self._bshape)

    def _update_moving_statistics(self, mean, var):
        # In place: the model may hold these arrays as views of one flat buffer.
        momentum = self.momentum
        moving_mean = self.params["moving_mean"]
        moving_variance = self.params["moving_variance"]
        moving_mean[...] = moving_mean * momentum + mean.reshape(-1) * (1.0 - momentum)
        moving_variance[...] = moving_variance * momentum + var.reshape(-1) * (1.0 - momentum)

    def backward(self, grad):
        dxhat = self._affine_backward(grad)
        if not self._batch_stats:
            # Inference: mean and variance are constants, so the layer is affine in x.
            return dxhat * self._inv_std
        return normalized_input_grad(dxhat, self._xhat, self._inv_std, self._param_axes)


@registry.register("layer")
class LayerNormalization(_Normalization):
    """Normalizes each sample over its feature axis (same in training and inference).

    Args:
        axis: The axis to normalize over (the batch axis counts as 0). Defaults to `-1`.
        epsilon: Added to the variance before the square root. Defaults to `0.001`.
        center: Whether to add the learned offset `beta`. Defaults to `True`.
        scale: Whether to multiply by the learned scale `gamma`. Defaults to `True`.
        beta_initializer: Defaults to `"zeros"`.
        gamma_initializer: Defaults to `"ones"`.
        beta_regularizer: Optional penalty on `beta`. Defaults to `None`.
        gamma_regularizer: Optional penalty on `gamma`. Defaults to `None`.

    Input shape:
        Any shape with the axis `axis`, e.g. `(features,)` or `(timesteps, features)`.
    Output shape:
        Same as the input.
    """

    supports_masking = True  # a mask passes through unchanged, as in Keras

    DESCRIPTION = "Normalizes each sample over its features (no batch statistics)."
    PARAMS = (
        _axis_param("Axis to normalize over (-1 = the last axis)."),
        _epsilon_param(),
        Param("center", BOOL, True, help="Whether to add a learned offset (beta)."),
        Param("scale", BOOL, True, help="Whether to multiply by a learned scale (gamma)."),
        initializer_param("beta_initializer", "zeros"),
        initializer_param("gamma_initializer", "ones"),
        regularizer_param("beta_regularizer"),
        regularizer_param("gamma_regularizer"),
    )

    def __init__(self, axis=-1, epsilon=0.001, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(axis=axis, epsilon=epsilon, center=center, scale=scale,
                        beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
                        beta_regularizer=beta_regularizer, gamma_regularizer=gamma_regularizer)
        _check_not_batch_axis(self)

    def compute_output_shape(self, input_shape):
        resolve_axis(self, input_shape)
        return tuple(input_shape)

    def weight_specs(self, input_shape):
        return self._affine_specs(input_shape[resolve_axis(self, input_shape) - 1])

    def forward(self, x, training=False):
        xp = backend.get_array_module(x)
        axis = self.axis % x.ndim
        self._bshape = _broadcast_shape(x.ndim, axis)
        self._norm_axes = (axis,)
        self._param_axes = tuple(i for i in range(x.ndim) if i != axis)
        mean = x.mean(axis=axis, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axis=axis, keepdims=True)
        self._inv_std = 1.0 / xp.sqrt(var + self.epsilon)
        self._xhat = centered * self._inv_std
        return self._scale_and_shift(self._xhat, self._bshape)

    def backward(self, grad):
        dxhat = self._affine_backward(grad)
        return normalized_input_grad(dxhat, self._xhat, self._inv_std, self._norm_axes)
