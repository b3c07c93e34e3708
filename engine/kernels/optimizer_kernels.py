"""One-pass optimizer steps on float32 NumPy arrays (numba), beside the NumPy reference.

Each kernel computes, element by element and in the same order, what the optimizer's NumPy
`_update` computes in several passes over the arrays (decoupled weight decay first, as
`Optimizer._step`), so the two agree bit for bit; the tests hold them to that.
Scalars arrive as float32, as NumPy's in-place float32 operations use them.

They run in the calling thread, so under its floating-point state: inside the engine's
flushed region (`engine.fpu`) a denormal result becomes 0 exactly as NumPy's does.

How they are written, and why (each measured on 100k values, AMD EPYC):
- plain `njit` loops, no `parallel=True`: numba's parallel pass deep-copies the function's IR
  while compiling (it crashed a training thread once in CI) and starts an OpenMP pool; a plain
  loop runs in the caller's thread, and vectorises as well (45 us against 85 us for Adam);
- `error_model="numpy"`: under the default ("python") every division checks for zero to
  raise ZeroDivisionError, and the loop no longer vectorises (10x slower);
- the loop bodies are written out: an array passed to a helper costs a reference count
  per element (40x slower), so helpers take and return numbers only.

The GIL stays held (no `nogil`): a kernel lasts well under a millisecond, and releasing the
GIL let the app's GUI thread take it, after which the training thread waited to get it back
(GUI training measured 0.62-0.76x headless with `nogil=True`, 0.73-0.85x without).

Imported only when numba is, by `engine.kernels.preparing`.
"""

import numpy as np
from numba import njit

KERNEL = njit(cache=True, error_model="numpy")


@KERNEL
def _decayed(w, decay):
    return w - w * decay if decay != 0 else w  # w -= w * weight_decay * lr


@KERNEL
def _moments(g, m, v, one_minus_beta_1, one_minus_beta_2):
    """Adam's and Nadam's first and second moments after gradient `g` (`adam._update_moments`)."""
    return m + (g - m) * one_minus_beta_1, v + (g * g - v) * one_minus_beta_2


@KERNEL
def adam(w, g, m, v, v_hat, one_minus_beta_1, one_minus_beta_2, alpha, epsilon, decay,
         amsgrad):
    """Adam/AdamW (`adam.Adam._update`); `v_hat` is read only with `amsgrad`."""
    for i in range(w.shape[0]):
        mi, vi = _moments(g[i], m[i], v[i], one_minus_beta_1, one_minus_beta_2)
        m[i] = mi
        v[i] = vi
        if amsgrad:
            if vi < v_hat[i]:
                vi = v_hat[i]
            v_hat[i] = vi
        w[i] = _decayed(w[i], decay) - mi / (np.sqrt(vi) + epsilon) * alpha


@KERNEL
def sgd(w, g, m, lr, momentum, nesterov, decay):
    """SGD with optional (Nesterov) momentum (`momentum.SGD._update`)."""
    for i in range(w.shape[0]):
        wi = _decayed(w[i], decay)
        step = g[i] * -lr
        if momentum == 0:
            w[i] = wi + step
        else:
            mi = m[i] * momentum + step
            m[i] = mi
            w[i] = wi + (mi * momentum + step) if nesterov else wi + mi


@KERNEL
def rmsprop(w, g, v, mg, mom, lr, rho, one_minus_rho, epsilon, momentum, centered, decay):
    """RMSprop, optionally centered and with momentum (`adaptive.RMSprop._update`)."""
    for i in range(w.shape[0]):
        gi = g[i]
        wi = _decayed(w[i], decay)
        vi = v[i] * rho + gi * gi * one_minus_rho
        v[i] = vi
        if centered:
            mgi = mg[i] * rho + gi * one_minus_rho
            mg[i] = mgi
            denominator = vi - mgi * mgi + epsilon
        else:
            denominator = vi + epsilon
        increment = gi / np.sqrt(denominator) * lr
        if momentum > 0:
            increment = mom[i] * momentum + increment
            mom[i] = increment
        w[i] = wi - increment


@KERNEL
def adamax(w, g, m, u, one_minus_beta_1, beta_2, epsilon, correction, lr, decay):
    """Adamax (`adam.Adamax._update`): `u = max(beta_2 u, |g|)`."""
    for i in range(w.shape[0]):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * one_minus_beta_1
        ui = u[i] * beta_2
        magnitude = abs(gi)
        if magnitude > ui or magnitude != magnitude:  # NaN-propagating, as numpy.maximum
            ui = magnitude
        m[i] = mi
        u[i] = ui
        w[i] = _decayed(w[i], decay) - mi / ((ui + epsilon) * correction) * lr


@KERNEL
def nadam(w, g, m, v, one_minus_beta_1, one_minus_beta_2, m_coef, g_coef, v_correction,
          epsilon, lr, decay):
    """Nadam (`adam.Nadam._update`), Keras's momentum schedule in the coefficients."""
    for i in range(w.shape[0]):
        gi = g[i]
        mi, vi = _moments(gi, m[i], v[i], one_minus_beta_1, one_minus_beta_2)
        m[i] = mi
        v[i] = vi
        m_hat = mi * m_coef + gi * g_coef
        w[i] = _decayed(w[i], decay) - m_hat * lr / (np.sqrt(vi / v_correction) + epsilon)


@KERNEL
def adagrad(w, g, accumulator, lr, epsilon, decay):
    """Adagrad (`adaptive.Adagrad._update`)."""
    for i in range(w.shape[0]):
        gi = g[i]
        acc = accumulator[i] + gi * gi
        accumulator[i] = acc
        w[i] = _decayed(w[i], decay) - gi / np.sqrt(acc + epsilon) * lr


@KERNEL
def adadelta(w, g, eg, edx, lr, rho, one_minus_rho, epsilon, decay):
    """Adadelta (`adaptive.Adadelta._update`)."""
    for i in range(w.shape[0]):
        gi = g[i]
        egi = eg[i] * rho + gi * gi * one_minus_rho
        eg[i] = egi
        step = np.sqrt(edx[i] + epsilon) * gi / np.sqrt(egi + epsilon)  # -delta
        edx[i] = edx[i] * rho + step * step * one_minus_rho
        w[i] = _decayed(w[i], decay) - step * lr


@KERNEL
def lion(w, g, m, lr, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2, decay):
    """Lion (`momentum.Lion._update`): the sign of an interpolated momentum."""
    for i in range(w.shape[0]):
        gi = g[i]
        w[i] = _decayed(w[i], decay) - np.sign(m[i] * beta_1 + gi * one_minus_beta_1) * lr
        m[i] = m[i] * beta_2 + gi * one_minus_beta_2


@KERNEL
def ftrl(w, g, accumulator, linear, lr, two_l2_shrinkage, two_l2, l1, decay):
    """FTRL-proximal (`ftrl.Ftrl._update`) with the default learning_rate_power -0.5 (the
    caller runs NumPy for others)."""
    for i in range(w.shape[0]):
        gi = g[i]
        wi = _decayed(w[i], decay)
        before = np.sqrt(accumulator[i])  # n**(-p)
        acc = accumulator[i] + gi * gi
        accumulator[i] = acc
        after = np.sqrt(acc)  # n'**(-p)
        sigma = (after - before) / lr
        lin = linear[i] - (sigma - two_l2_shrinkage) * wi + gi
        linear[i] = lin
        quadratic = after / lr + two_l2
        clipped = min(max(lin, -l1), l1)
        w[i] = (clipped - lin) / quadratic
