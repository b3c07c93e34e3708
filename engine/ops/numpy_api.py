"""Keras's numpy-style ops (`keras.ops.numpy`): gathered here from the `numpy_*` modules.

    numpy_elementwise  unary math (sqrt, exp, log, trig, ...)
    numpy_binary       binary math, clip, where, comparisons, logical ops
    numpy_reduction    sum, mean, max/min, prod, var/std, arg*, cum*, all/any, average
    numpy_shape        reshape, transpose, joins/splits, tile/repeat, flip/roll, tril/triu
    numpy_indexing     take, take_along_axis, sort, slice, slice_update, pad, nonzero
    numpy_linalg       dot, tensordot, outer, norm, trace, diag (numpy_einsum: einsum)
    numpy_creation     cast, convert_to_tensor, zeros/ones/full, arange, eye, shape queries
"""

from .core import absolute, add, divide, matmul, multiply, negative, power, subtract
from .core import true_divide
from .numpy_binary import arctan2, clip, equal, floor_divide, greater, greater_equal, isclose
from .numpy_binary import isfinite, isinf, isnan, less, less_equal, logical_and, logical_not
from .numpy_binary import logical_or, logical_xor, maximum, minimum, mod, not_equal, where
from .numpy_creation import arange, array, cast, convert_to_numpy, convert_to_tensor, copy
from .numpy_creation import empty, empty_like, eye, full, full_like, identity, linspace
from .numpy_creation import meshgrid, ndim, ones, ones_like, shape, size, stop_gradient, tri
from .numpy_creation import zeros, zeros_like
from .numpy_einsum import einsum
from .numpy_elementwise import abs, arccos, arccosh, arcsin, arcsinh, arctan, arctanh, ceil
from .numpy_elementwise import cos, cosh, exp, exp2, expm1, floor, log, log1p, log2, log10
from .numpy_elementwise import reciprocal, round, sign, sin, sinh, sqrt, square, tan, tanh
from .numpy_elementwise import trunc
from .numpy_indexing import argsort, nonzero, pad, slice, slice_update, sort, take
from .numpy_indexing import take_along_axis
from .numpy_linalg import diag, diagonal, dot, inner, norm, outer, tensordot, trace, vdot
from .numpy_reduction import all, amax, amin, any, argmax, argmin, average, count_nonzero
from .numpy_reduction import cumprod, cumsum, max, mean, min, prod, std, sum, var
from .numpy_shape import broadcast_to, concatenate, expand_dims, flip, hstack, moveaxis
from .numpy_shape import ravel, repeat, reshape, roll, split, squeeze, stack, swapaxes, tile
from .numpy_shape import transpose, tril, triu, vstack

__all__ = [
    # element-wise math
    "abs", "absolute", "add", "subtract", "multiply", "divide", "true_divide", "negative",
    "power", "square", "sqrt", "exp", "exp2", "expm1", "log", "log1p", "log2", "log10",
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh",
    "arcsinh", "arccosh", "arctanh", "reciprocal", "sign", "floor", "ceil", "round", "trunc",
    "maximum", "minimum", "floor_divide", "mod", "clip", "where",
    # comparisons and logic
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "isclose",
    "logical_and", "logical_or", "logical_not", "logical_xor", "isnan", "isinf", "isfinite",
    # reductions and scans
    "sum", "mean", "max", "min", "amax", "amin", "prod", "var", "std", "average", "argmax",
    "argmin", "all", "any", "count_nonzero", "cumsum", "cumprod",
    # shapes
    "reshape", "ravel", "transpose", "moveaxis", "swapaxes", "expand_dims", "squeeze",
    "broadcast_to", "concatenate", "stack", "hstack", "vstack", "split", "tile", "repeat",
    "flip", "roll", "tril", "triu",
    # gathering
    "take", "take_along_axis", "sort", "argsort", "slice", "slice_update", "pad", "nonzero",
    # products and matrices
    "matmul", "dot", "einsum", "tensordot", "outer", "inner", "vdot", "norm", "trace",
    "diag", "diagonal",
    # creation and conversion
    "cast", "convert_to_tensor", "convert_to_numpy", "array", "copy", "stop_gradient",
    "zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like", "empty_like",
    "arange", "linspace", "eye", "identity", "tri", "meshgrid", "shape", "size", "ndim",
]
