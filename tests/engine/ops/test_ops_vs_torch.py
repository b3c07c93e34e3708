"""Random compositions of engine.ops differentiate as PyTorch autograd does (float32).

Each case draws a chain of ops (unary, binary with broadcasting, reductions, matmul,
reshapes, activations) on random shapes, runs it with engine.ops under a GradientTape and
with torch under autograd on the same float32 inputs, and compares every input's gradient
within 1e-4 relative. Needs torch (`make test-interop`); skipped without it.
"""

import numpy as np
import pytest

from engine import ops
from engine.ops.tape import GradientTape

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.interop

# (engine op, torch op) pairs on one tensor; inputs stay in ranges where both are smooth
UNARY = [
    (ops.exp, torch.exp), (ops.tanh, torch.tanh), (ops.sigmoid, torch.sigmoid),
    (ops.square, torch.square), (ops.sin, torch.sin), (ops.softplus,
                                                       torch.nn.functional.softplus),
    (lambda x: ops.log(ops.abs(x) + 1.0), lambda x: torch.log(torch.abs(x) + 1.0)),
    (lambda x: ops.sqrt(ops.square(x) + 1.0), lambda x: torch.sqrt(torch.square(x) + 1.0)),
    (lambda x: ops.softmax(x, axis=-1), lambda x: torch.softmax(x, dim=-1)),
    (lambda x: ops.log_softmax(x, axis=-1), lambda x: torch.log_softmax(x, dim=-1)),
    (ops.silu, torch.nn.functional.silu),
    (lambda x: ops.gelu(x, approximate=True),
     lambda x: torch.nn.functional.gelu(x, approximate="tanh")),
    (lambda x: ops.transpose(x), lambda x: x.permute(*reversed(range(x.ndim)))),
    (lambda x: ops.cumsum(x, axis=-1), lambda x: torch.cumsum(x, dim=-1)),
]
BINARY = [
    (ops.add, torch.add), (ops.subtract, torch.sub), (ops.multiply, torch.mul),
    (lambda a, b: ops.divide(a, ops.abs(b) + 1.0), lambda a, b: a / (torch.abs(b) + 1.0)),
    (ops.maximum, torch.maximum),
]
REDUCE = [
    (lambda x: ops.sum(x, axis=-1), lambda x: x.sum(dim=-1)),
    (lambda x: ops.mean(x, axis=0, keepdims=True), lambda x: x.mean(dim=0, keepdim=True)),
    (lambda x: ops.max(x, axis=-1), lambda x: x.max(dim=-1).values),
    (lambda x: ops.var(x, axis=-1), lambda x: x.var(dim=-1, unbiased=False)),
]


def _composition(rng):
    """A random program over two inputs of shapes (m, n) and (n,) or (n, k)."""
    m, n, k = (int(v) for v in rng.integers(2, 6, size=3))
    use_matmul = bool(rng.integers(0, 2))
    shapes = [(m, n), (n, k) if use_matmul else (n,)]
    steps = []
    if use_matmul:
        steps.append(("matmul", None))
    else:
        steps.append(("binary", int(rng.integers(len(BINARY)))))
    for _ in range(int(rng.integers(1, 4))):
        steps.append(("unary", int(rng.integers(len(UNARY)))))
    if rng.integers(0, 2):
        steps.append(("reduce", int(rng.integers(len(REDUCE)))))
    return shapes, steps


def _run(steps, a, b, engine_side):
    col = 0 if engine_side else 1
    if steps[0][0] == "matmul":
        y = ops.matmul(a, b) if engine_side else a @ b
    else:
        y = BINARY[steps[0][1]][col](a, b)
    for kind, index in steps[1:]:
        table = UNARY if kind == "unary" else REDUCE
        y = table[index][col](y)
    return y


@pytest.mark.parametrize("seed", range(40))
def test_random_compositions_match_torch_autograd(seed):
    rng = np.random.default_rng(seed)
    shapes, steps = _composition(rng)
    arrays = [rng.uniform(-1.5, 1.5, size=s).astype(np.float32) for s in shapes]
    upstream = None

    tensors = [ops.convert_to_tensor(a) for a in arrays]
    with GradientTape() as tape:
        for t in tensors:
            tape.watch(t)
        out = _run(steps, *tensors, engine_side=True)
        upstream = rng.standard_normal(out.shape).astype(np.float32)
        target = ops.sum(out * upstream)
    ours = tape.gradient(target, tensors)

    leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    torch_out = _run(steps, *leaves, engine_side=False)
    (torch_out * torch.tensor(upstream)).sum().backward()

    np.testing.assert_allclose(np.asarray(out), torch_out.detach().numpy(), rtol=1e-4,
                               atol=1e-5)
    for mine, leaf in zip(ours, leaves):
        np.testing.assert_allclose(np.asarray(mine), leaf.grad.numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=f"steps={steps}")
