"""Fused CUDA kernels (CuPy `ElementwiseKernel`) for optimizer updates on GPU arrays.

One kernel does Adam's whole step per element: decoupled weight decay, both moments (and
AMSGrad's maximum) and the parameter update, reading each array once instead of the ~12
passes of the NumPy-style path. `Adam._update` (in `adam.py`) is the reference: the kernel
follows the same formula in the same order, so the two agree to rounding (the CUDA
compiler may fuse a multiply-add). Kernels are compiled on first use, per dtype, and only
when CuPy is in use; nothing here imports CuPy otherwise.
"""

import functools

_ADAM_BODY = """
    T w_decayed = {decay};
    T m_new = m + (g - m) * one_minus_beta_1;          // m += (g - m)(1 - beta_1)
    T v_new = v + (g * g - v) * one_minus_beta_2;      // v += (g^2 - v)(1 - beta_2)
    m = m_new;
    v = v_new;
    {amsgrad}
    w = w_decayed - m_new / (sqrt(v_used) + epsilon) * alpha;  // alpha_t m / (sqrt(v) + eps)
"""


def available(xp, w) -> bool:
    """Whether `w` (of array module `xp`) can use the fused kernels: CuPy float32/float64."""
    return getattr(xp, "__name__", "") == "cupy" and w.dtype.char in "fd"


@functools.cache
def _adam_kernel(amsgrad: bool, decay: bool):
    import cupy  # noqa: PLC0415 - only on the GPU path

    inputs = "T g, T one_minus_beta_1, T one_minus_beta_2, T alpha, T epsilon"
    if decay:
        inputs += ", T decay"
    outputs = "T w, T m, T v" + (", T v_hat" if amsgrad else "")
    body = _ADAM_BODY.format(
        decay="w - w * decay" if decay else "w",  # w -= w * weight_decay * lr, first
        # v_hat = maximum(v_hat, v), NaN-propagating like numpy.maximum.
        amsgrad=("T v_used = (v_new > v_hat || v_new != v_new) ? v_new : v_hat; "
                 "v_hat = v_used;" if amsgrad else "T v_used = v_new;"),
    )
    name = "layercraft_adam" + ("_amsgrad" if amsgrad else "") + ("_decay" if decay else "")
    return cupy.ElementwiseKernel(inputs, outputs, body, name)


def adam(w, g, slots: dict, alpha: float, decay, optimizer) -> None:
    """Adam's step on CuPy arrays in place; `decay = weight_decay * lr` or `None`."""
    scalar = w.dtype.type  # scalars in the parameters' dtype (no float64 promotion)
    args = [g, scalar(1.0 - optimizer.beta_1), scalar(1.0 - optimizer.beta_2), scalar(alpha),
            scalar(optimizer.epsilon)]
    if decay is not None:
        args.append(scalar(decay))
    args += [w, slots["momentum"], slots["velocity"]]
    if optimizer.amsgrad:
        args.append(slots["velocity_hat"])
    _adam_kernel(bool(optimizer.amsgrad), decay is not None)(*args)
