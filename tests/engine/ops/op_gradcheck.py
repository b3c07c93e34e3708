"""Central-difference checks for `engine.ops`: each op's VJP against finite differences.

    check_op_gradients(lambda a, b: ops.matmul(a, b), [a, b])

Inputs are float64 so that differences of 1e-6 are meaningful; ops must compute in the dtype
of their inputs. The function's output is contracted with a fixed random cotangent, so a
wrong VJP cannot hide behind a symmetric sum.
"""

import numpy as np

from engine.ops.core import Tensor, value_of
from engine.ops.tape import GradientTape


def _value(fn, arrays, upstream):
    out = value_of(fn(*[Tensor(a) for a in arrays]))
    return float((np.asarray(out, dtype=np.float64) * upstream).sum())


def check_op_gradients(fn, inputs, *, eps=1e-6, rtol=1e-5, atol=1e-7, seed=0, wrt=None):
    """Asserts that `tape.gradient(sum(fn(*inputs) * u), inputs)` matches central differences.

    Args:
        fn: A function of Tensors returning one Tensor (float output).
        inputs: float64 arrays; integer arrays are passed through and not differentiated.
        wrt: Indices of the inputs to check (default: every float input).
    """
    rng = np.random.default_rng(seed)
    arrays = [np.array(a, copy=True) for a in inputs]
    wrt = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"] if wrt is None else wrt
    sample = value_of(fn(*[Tensor(a) for a in arrays]))
    upstream = rng.standard_normal(np.shape(sample))
    tensors = [Tensor(a) for a in arrays]
    with GradientTape() as tape:
        for i in wrt:
            tape.watch(tensors[i])
        out = fn(*tensors)
        target = out * Tensor(upstream.astype(np.asarray(value_of(out)).dtype))
    grads = tape.gradient(target, [tensors[i] for i in wrt], unconnected_gradients="zero")
    for i, analytic in zip(wrt, grads):
        a = arrays[i]
        numeric = np.zeros_like(a, dtype=np.float64)
        for index in np.ndindex(a.shape):
            original = a[index]
            a[index] = original + eps
            plus = _value(fn, arrays, upstream)
            a[index] = original - eps
            minus = _value(fn, arrays, upstream)
            a[index] = original
            numeric[index] = (plus - minus) / (2 * eps)
        np.testing.assert_allclose(np.asarray(analytic), numeric, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i}")
