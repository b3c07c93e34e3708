"""Keras's neural-network ops (`keras.ops.nn`): gathered here from the `nn_*` modules.

    nn_activations  relu, gelu, softmax, log_softmax, ... (elementwise and along an axis)
    nn_conv         conv, depthwise_conv, separable_conv, conv_transpose
    nn_pooling      max_pool, average_pool
    nn_norm         moments, batch_normalization, normalize, layer/rms_normalization
    nn_losses       binary/categorical/sparse_categorical_crossentropy, one_hot, multi_hot
"""

from .nn_activations import (
           celu,
           elu,
           gelu,
           glu,
           hard_shrink,
           hard_sigmoid,
           hard_silu,
           hard_swish,
           hard_tanh,
           leaky_relu,
           log_sigmoid,
           log_softmax,
           relu,
           relu6,
           selu,
           sigmoid,
           silu,
           soft_shrink,
           softmax,
           softplus,
           softsign,
           sparse_plus,
           sparse_sigmoid,
           sparsemax,
           squareplus,
           swish,
           tanh_shrink,
           threshold,
)
from .nn_conv import conv, conv_transpose, depthwise_conv, separable_conv
from .nn_losses import (
           binary_crossentropy,
           categorical_crossentropy,
           multi_hot,
           one_hot,
           sparse_categorical_crossentropy,
)
from .nn_norm import batch_normalization, layer_normalization, moments, normalize, rms_normalization
from .nn_pooling import average_pool, max_pool

__all__ = ["average_pool", "batch_normalization", "binary_crossentropy",
           "categorical_crossentropy", "celu", "conv", "conv_transpose", "depthwise_conv",
           "elu", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish",
           "hard_tanh", "layer_normalization", "leaky_relu", "log_sigmoid", "log_softmax",
           "max_pool", "moments", "multi_hot", "normalize", "one_hot", "relu", "relu6",
           "rms_normalization", "selu", "separable_conv", "sigmoid", "silu", "soft_shrink",
           "softmax", "softplus", "softsign", "sparse_categorical_crossentropy", "sparse_plus",
           "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh_shrink", "threshold"]
