"""One-pass optimizer steps on float32 NumPy arrays (numba), beside the NumPy reference.

Each kernel computes, element by element and in the same order, what the optimizer's NumPy
`_update` computes in several passes over the arrays (decoupled weight decay first, as
`Optimizer._step`), so the two agree to float32 rounding; the tests hold them to that.
Scalars arrive as float32, as NumPy's in-place float32 operations use them.

They run only while the engine flushes denormals (`engine.fpu`; the NumPy path runs
otherwise), and store 0 for a denormal value (and read a denormal gradient as 0) themselves,
as the flushed NumPy path does: a thread of numba's pool keeps the floating-point state of
the thread that started it, not the caller's.

`parallel=True` although they run on one thread (`engine.kernels.optimizer_step`): numba
vectorises a `prange` loop, whose arrays it may assume distinct, and not a plain one (a
plain loop measured 7x slower than one `prange` thread on 100k values).

The GIL stays held (no `nogil`): a kernel lasts well under a millisecond, and releasing the
GIL let the app's GUI thread take it, after which the training thread waited to get it back
(GUI training measured 0.62-0.76x headless with `nogil=True`, 0.73-0.85x without).

Imported only when numba is (`engine.kernels.optimizer_step`).
"""

import numpy as np
from numba import njit, prange

TINY = np.float32(np.finfo(np.float32).tiny)  # the smallest normal float32


@njit(inline="always", cache=True)
def _flushed(x, flush):
    if flush and abs(x) < TINY:
        return np.float32(0.0)
    return x


@njit(inline="always", cache=True)
def _decayed(w, decay, flush):
    return _flushed(w - w * decay, flush) if decay != 0 else w  # w -= w * weight_decay * lr


@njit(inline="always", cache=True)
def _adam_one(i, w, g, m, v, v_hat, one_minus_beta_1, one_minus_beta_2, alpha, epsilon,
              decay, amsgrad, flush):
    gi = _flushed(g[i], flush)
    wi = _decayed(w[i], decay, flush)
    mi = _flushed(m[i] + (gi - m[i]) * one_minus_beta_1, flush)
    vi = _flushed(v[i] + (gi * gi - v[i]) * one_minus_beta_2, flush)
    m[i] = mi
    v[i] = vi
    if amsgrad:
        if vi < v_hat[i]:
            vi = v_hat[i]
        v_hat[i] = vi
    w[i] = _flushed(wi - mi / (np.sqrt(vi) + epsilon) * alpha, flush)


@njit(parallel=True, cache=True)
def adam(w, g, m, v, v_hat, one_minus_beta_1, one_minus_beta_2, alpha, epsilon, decay,
         amsgrad):
    """Adam/AdamW (`adam.Adam._update`), flushing; `v_hat` is read only with `amsgrad`."""
    for i in prange(w.shape[0]):
        _adam_one(i, w, g, m, v, v_hat, one_minus_beta_1, one_minus_beta_2, alpha, epsilon,
                  decay, amsgrad, True)



@njit(inline="always", cache=True)
def _sgd_one(i, w, g, m, lr, momentum, nesterov, decay, flush):
    gi = _flushed(g[i], flush)
    wi = _decayed(w[i], decay, flush)
    step = gi * -lr
    if momentum == 0:
        w[i] = _flushed(wi + step, flush)
    else:
        mi = _flushed(m[i] * momentum + step, flush)
        m[i] = mi
        if nesterov:
            w[i] = _flushed(wi + (mi * momentum + step), flush)
        else:
            w[i] = _flushed(wi + mi, flush)


@njit(parallel=True, cache=True)
def sgd(w, g, m, lr, momentum, nesterov, decay):
    """SGD with optional (Nesterov) momentum (`momentum.SGD._update`), flushing."""
    for i in prange(w.shape[0]):
        _sgd_one(i, w, g, m, lr, momentum, nesterov, decay, True)



@njit(inline="always", cache=True)
def _rmsprop_one(i, w, g, v, mg, mom, lr, rho, one_minus_rho, epsilon, momentum, centered,
                 decay, flush):
    gi = _flushed(g[i], flush)
    wi = _decayed(w[i], decay, flush)
    vi = _flushed(v[i] * rho + gi * gi * one_minus_rho, flush)
    v[i] = vi
    if centered:
        mgi = _flushed(mg[i] * rho + gi * one_minus_rho, flush)
        mg[i] = mgi
        denominator = vi - mgi * mgi + epsilon
    else:
        denominator = vi + epsilon
    increment = gi / np.sqrt(denominator) * lr
    if momentum > 0:
        increment = _flushed(mom[i] * momentum + increment, flush)
        mom[i] = increment
    w[i] = _flushed(wi - increment, flush)


@njit(parallel=True, cache=True)
def rmsprop(w, g, v, mg, mom, lr, rho, one_minus_rho, epsilon, momentum, centered, decay):
    """RMSprop, optionally centered and with momentum (`adaptive.RMSprop._update`)."""
    for i in prange(w.shape[0]):
        _rmsprop_one(i, w, g, v, mg, mom, lr, rho, one_minus_rho, epsilon, momentum,
                     centered, decay, True)



@njit(parallel=True, cache=True)
def adamax(w, g, m, u, one_minus_beta_1, beta_2, epsilon, correction, lr, decay):
    """Adamax (`adam.Adamax._update`): `u = max(beta_2 u, |g|)`."""
    for i in prange(w.shape[0]):
        gi = _flushed(g[i], True)
        wi = _decayed(w[i], decay, True)
        mi = _flushed(m[i] + (gi - m[i]) * one_minus_beta_1, True)
        ui = _flushed(u[i] * beta_2, True)
        magnitude = abs(gi)
        if magnitude > ui or magnitude != magnitude:  # NaN-propagating, as numpy.maximum
            ui = magnitude
        m[i] = mi
        u[i] = ui
        w[i] = _flushed(wi - mi / ((ui + epsilon) * correction) * lr, True)


@njit(parallel=True, cache=True)
def nadam(w, g, m, v, one_minus_beta_1, one_minus_beta_2, m_coef, g_coef, v_correction,
          epsilon, lr, decay):
    """Nadam (`adam.Nadam._update`), Keras's momentum schedule in the coefficients."""
    for i in prange(w.shape[0]):
        gi = _flushed(g[i], True)
        wi = _decayed(w[i], decay, True)
        mi = _flushed(m[i] + (gi - m[i]) * one_minus_beta_1, True)
        vi = _flushed(v[i] + (gi * gi - v[i]) * one_minus_beta_2, True)
        m[i] = mi
        v[i] = vi
        m_hat = mi * m_coef + gi * g_coef
        w[i] = _flushed(wi - m_hat * lr / (np.sqrt(vi / v_correction) + epsilon), True)


@njit(parallel=True, cache=True)
def adagrad(w, g, accumulator, lr, epsilon, decay):
    """Adagrad (`adaptive.Adagrad._update`)."""
    for i in prange(w.shape[0]):
        gi = _flushed(g[i], True)
        wi = _decayed(w[i], decay, True)
        acc = _flushed(accumulator[i] + gi * gi, True)
        accumulator[i] = acc
        w[i] = _flushed(wi - gi / np.sqrt(acc + epsilon) * lr, True)


@njit(parallel=True, cache=True)
def adadelta(w, g, eg, edx, lr, rho, one_minus_rho, epsilon, decay):
    """Adadelta (`adaptive.Adadelta._update`)."""
    for i in prange(w.shape[0]):
        gi = _flushed(g[i], True)
        wi = _decayed(w[i], decay, True)
        egi = _flushed(eg[i] * rho + gi * gi * one_minus_rho, True)
        eg[i] = egi
        step = np.sqrt(edx[i] + epsilon) * gi / np.sqrt(egi + epsilon)  # -delta
        edx[i] = _flushed(edx[i] * rho + step * step * one_minus_rho, True)
        w[i] = _flushed(wi - step * lr, True)


@njit(parallel=True, cache=True)
def lion(w, g, m, lr, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2, decay):
    """Lion (`momentum.Lion._update`): the sign of an interpolated momentum."""
    for i in prange(w.shape[0]):
        gi = _flushed(g[i], True)
        wi = _decayed(w[i], decay, True)
        w[i] = _flushed(wi - np.sign(m[i] * beta_1 + gi * one_minus_beta_1) * lr, True)
        m[i] = _flushed(m[i] * beta_2 + gi * one_minus_beta_2, True)


@njit(parallel=True, cache=True)
def ftrl(w, g, accumulator, linear, lr, two_l2_shrinkage, two_l2, l1, decay):
    """FTRL-proximal (`ftrl.Ftrl._update`) with the default learning_rate_power -0.5 (the
    caller runs NumPy for others)."""
    for i in prange(w.shape[0]):
        gi = _flushed(g[i], True)
        wi = _decayed(w[i], decay, True)
        before = np.sqrt(accumulator[i])  # n**(-p)
        acc = accumulator[i] + gi * gi
        accumulator[i] = acc
        after = np.sqrt(acc)  # n'**(-p)
        sigma = (after - before) / lr
        lin = _flushed(linear[i] - (sigma - two_l2_shrinkage) * wi + gi, True)
        linear[i] = lin
        quadratic = after / lr + two_l2
        clipped = min(max(lin, -l1), l1)
        w[i] = _flushed((clipped - lin) / quadratic, True)
