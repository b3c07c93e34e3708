"""im2col and its adjoint over any number of spatial axes (Conv3D), channels-last.

The same algorithm as `conv_utils`, written once for `k` spatial axes: a `ConvGeometry`
from `conv_utils.conv_geometry` (which already takes any number of axes), one strided
window view and one copy for the patches `(N, *out, *kernel, C)`, and a scatter-add per
kernel position for the adjoint. The 2-D functions in `conv_utils` stay as they are: they
carry tuned paths (one-channel copies, few-channel scatters, blocked inference) that the
1-D and 2-D layers rely on.
"""

import itertools
import math

from .. import backend
from .conv_utils import ConvGeometry


def _interior(geom: ConvGeometry) -> tuple:
    """The index of the unpadded input inside the padded one, batch and channel axes whole."""
    return (slice(None), *(slice(before, before + n)
                           for (before, _), n in zip(geom.pads, geom.in_size)))


def pad_nd(x, geom: ConvGeometry):
    """Zero-pads `(N, *size, C)` by `geom.pads` (returns `x` itself when there is none)."""
    if not any(before or after for before, after in geom.pads):
        return x
    xp = backend.get_array_module(x)
    out = xp.zeros((x.shape[0], *geom.padded_size, x.shape[-1]), dtype=x.dtype)
    out[_interior(geom)] = x
    return out


def windows_nd(padded, geom: ConvGeometry):
    """A strided view `(N, *out, *kernel, C)` of every window (no copy; do not write)."""
    xp = backend.get_array_module(padded)
    steps = padded.strides[1:-1]
    shape = (padded.shape[0], *geom.out_size, *geom.kernel, padded.shape[-1])
    strides = (padded.strides[0], *(s * st for s, st in zip(steps, geom.strides)),
               *(s * d for s, d in zip(steps, geom.dilation)), padded.strides[-1])
    return xp.lib.stride_tricks.as_strided(padded, shape=shape, strides=strides)


def im2col_nd(x, geom: ConvGeometry):
    """Patches `(N, *out, *kernel, C)`, C-contiguous: reshape to `(M, prod(kernel) * C)`."""
    return backend.get_array_module(x).ascontiguousarray(windows_nd(pad_nd(x, geom), geom))


def window_slices_nd(geom: ConvGeometry, position: tuple) -> tuple:
    """The padded-input index that kernel position `position` reads, one slice per axis."""
    return (slice(None), *(slice(i * d, i * d + s * (o - 1) + 1, s) for i, d, s, o in
                           zip(position, geom.dilation, geom.strides, geom.out_size)))


def crop_nd(padded, geom: ConvGeometry):
    """The unpadded `(N, *size, C)` part of a padded array (a view)."""
    if tuple(padded.shape[1:-1]) == tuple(geom.in_size):
        return padded
    return padded[_interior(geom)]


def col2im_matmul_nd(a, weights, geom: ConvGeometry):
    """`col2im(a @ weights.reshape(-1, P).T)` without building the whole column matrix.

    Per kernel position, one `(M, P) @ (P, Q)` GEMM into a reused buffer and one strided
    slice add: `prod(kernel)` steps, never a loop over samples or voxels.

    Args:
        a: `(N * prod(out), P)`, e.g. a conv's output gradient (P = filters).
        weights: `(*kernel, Q, P)`, e.g. a conv kernel (Q = input channels).

    Returns:
        `(N, *size, Q)`: a conv's input gradient.
    """
    xp = backend.get_array_module(a, weights)
    q = weights.shape[-2]
    n = a.shape[0] // math.prod(geom.out_size)
    dtype = xp.result_type(a, weights)
    out = xp.zeros((n, *geom.padded_size, q), dtype=dtype)
    block = xp.empty((a.shape[0], q), dtype=dtype)
    patch = block.reshape(n, *geom.out_size, q)
    for position in itertools.product(*(range(k) for k in geom.kernel)):
        xp.matmul(a, weights[position].T, out=block)
        out[window_slices_nd(geom, position)] += patch
    return crop_nd(out, geom)
