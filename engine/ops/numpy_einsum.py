"""`einsum` and its VJP: the cotangent of an operand is another einsum, of the output's
cotangent with the other operands, written back to that operand's subscripts.

Three things keep that einsum well formed: the implicit form (`"ij,jk"`) is made explicit
first (NumPy's rule: the letters used once, sorted, after any `...`); a letter repeated in
the operand (a diagonal, `"ii->i"`) gets a fresh name tied to the first by an identity
matrix; a letter only that operand sums over is supplied by a ones vector. `...` dimensions
that the operand broadcast (fewer, or of size 1) are summed back afterwards.
"""

import string

from .core import needs_gradient, record
from .numpy_common import same_dtype, spread, xp_of


def einsum(subscripts, *operands, **kwargs):
    arrays = same_dtype(*operands)
    xp = xp_of(*arrays)
    inputs, output = _parse(subscripts.replace(" ", ""))
    y = xp.einsum(f"{','.join(inputs)}->{output}", *arrays, **kwargs)
    needed = [needs_gradient(op) for op in operands]

    def vjp(g):
        return tuple(_operand_cotangent(xp, i, inputs, output, arrays, g) if needed[i]
                     else None for i in range(len(arrays)))

    return record(y, tuple(operands), vjp)


def _parse(subscripts):
    """(input subscripts, output subscript), the output made explicit if it was implicit."""
    if "->" in subscripts:
        lhs, output = subscripts.split("->")
        return lhs.split(","), output
    inputs = subscripts.split(",")
    letters = "".join(s.replace("...", "") for s in inputs)
    once = sorted(c for c in set(letters) if letters.count(c) == 1)
    ellipsis = "..." if any("..." in s for s in inputs) else ""
    return inputs, ellipsis + "".join(once)


def _letter_sizes(inputs, arrays):
    """Each letter's size, and each operand's count of `...` dimensions."""
    sizes, ell = {}, []
    for subs, a in zip(inputs, arrays):
        if "..." in subs:
            head, tail = subs.split("...")
            n = a.ndim - len(head) - len(tail)
            dims = list(a.shape[:len(head)]) + list(a.shape[a.ndim - len(tail):])
            letters = head + tail
        else:
            n, dims, letters = 0, list(a.shape), subs
        ell.append(n)
        for c, d in zip(letters, dims):
            if d != 1 or c not in sizes:
                sizes[c] = d
    return sizes, ell


def _operand_cotangent(xp, i, inputs, output, arrays, g):
    sizes, ell = _letter_sizes(inputs, arrays)
    used = set("".join(inputs) + output)
    fresh = (c for c in string.ascii_letters if c not in used)
    target, extra_subs, extra_arrays = "", [], []
    for c in _tokens(inputs[i]):
        if c == "...":
            target += c
        elif c in target:  # a diagonal: a new letter, equal to the first by an identity
            new = next(fresh)
            target += new
            extra_subs.append(c + new)
            extra_arrays.append(xp.eye(sizes[c], dtype=g.dtype))
        else:
            target += c
    others = [s for j, s in enumerate(inputs) if j != i]
    available = set("".join(others) + output)
    for c in set(target) - available - set(".") - {s[1] for s in extra_subs}:
        extra_subs.append(c)  # summed over by this operand alone: broadcast it back
        extra_arrays.append(xp.ones(sizes[c], dtype=g.dtype))
    elsewhere = any("..." in s for s in others + [output])
    if "..." not in target and elsewhere:  # NumPy cannot sum `...` away: keep it, sum after
        target = "..." + target
    spec = ",".join(others + [output] + extra_subs) + "->" + target
    operands = [a for j, a in enumerate(arrays) if j != i] + [g] + extra_arrays
    if "..." in target and not elsewhere:
        spec = spec.replace("...", "")  # the operand's `...` dims were all of size 0 rank
    grad = xp.einsum(spec, *operands)
    return _fit_ellipsis(grad, target, arrays[i].shape, ell[i])


def _tokens(subs):
    out, k = [], 0
    while k < len(subs):
        if subs.startswith("...", k):
            out.append("...")
            k += 3
        else:
            out.append(subs[k])
            k += 1
    return out


def _fit_ellipsis(grad, subs, shape, n_ell):
    """Sums the `...` dimensions of `grad` down to the operand's own (broadcast) ones."""
    if tuple(grad.shape) == tuple(shape):
        return grad
    head = subs.split("...")[0] if "..." in subs else subs
    start = len(head)
    if grad.ndim < len(shape):  # the output summed the `...` dims away: spread them back
        grad = grad.reshape(grad.shape[:start] + (1,) * n_ell + grad.shape[start:])
        return spread(xp_of(grad), grad, shape)
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(start, start + extra)))
    ones = tuple(start + k for k in range(n_ell)
                 if shape[start + k] == 1 and grad.shape[start + k] != 1)
    if ones:
        grad = grad.sum(axis=ones, keepdims=True)
    return grad.reshape(shape)
