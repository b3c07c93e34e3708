"""Time loops of the recurrent layers: one forward scan and its backpropagation through time.

Every cell works time-major. `forward(xw, recurrent_kernel, recurrent_bias)` receives the
input projection of all timesteps, `xw = x @ kernel (+ input bias)` of shape
`(timesteps, batch, gates * units)`, loops over time only (vectorised over the batch) and
returns the hidden states `hs` of shape `(timesteps + 1, batch, units)`, `hs[0]` being the
zero initial state. It keeps what `backward` needs. `backward(dhs)` takes dL/dh for each
step output, `(timesteps, batch, units)`, walks time in reverse and returns
`(dxw, d_recurrent_kernel, d_recurrent_bias)`; `d_recurrent_bias` is None for cells whose
whole bias lives in `xw`. Gate orders follow Keras: LSTM i, f, c, o; GRU z, r, h.

A `mask` of shape `(timesteps, batch, 1)` (1.0 where the step holds data, 0.0 where it is
padding, time-major in processing order) makes a masked step keep the previous states, as
Keras's RNN loop does: `h_t = m_t * step(h_{t-1}) + (1 - m_t) * h_{t-1}` (and `c_t` alike).
Backward splits each state gradient the same way: `m_t * dh` flows into the step, the rest
straight to `h_{t-1}`.

States (Keras's `initial_state` and `return_state`): `forward(..., initial=[h0(, c0)])`
starts the scan from those arrays instead of zeros; `final_states()` gives `[h_T(, c_T)]`.
`backward(dhs, d_final_c)` takes dL/dc_T too (LSTM), and leaves dL/d(initial states) in
`initial_grads`: the gradient that reaches `hs[0]` (and `cs[0]`) at the end of the reverse
walk.
"""

import numpy as np

from .. import activations
from ..backend import get_array_module


def _time_tensordot(xp, a, b):
    """sum over time and batch of a[t]^T @ b[t]: (T, B, m), (T, B, n) -> (m, n)."""
    return xp.tensordot(a, b, axes=([0, 1], [0, 1]))


def _keep(mask, t, new, old):
    """The state after step t: `new` where the step holds data, `old` where it is masked."""
    return new if mask is None else old + mask[t] * (new - old)


def _split(mask, t, grad):
    """(gradient into step t's computation, gradient passed straight to the previous state,
    None without a mask)."""
    if mask is None:
        return grad, None
    inner = grad * mask[t]
    return inner, grad - inner


def _plus(grad, carry):
    """`grad + carry`, with no extra pass over the batch when there is no mask (None)."""
    return grad if carry is None else grad + carry


class _Cell:
    """Shared state: the two activations and the hidden-state buffer."""

    def __init__(self, activation, recurrent_activation=None):
        self.act = activations.get(activation)
        self.rec = activations.get(recurrent_activation)

    def _start(self, xw, recurrent_kernel, gates, initial=None):
        """Array module, sizes and the hidden-state buffer for a scan (`hs[0]` = h0 or 0)."""
        xp = get_array_module(xw, recurrent_kernel)
        steps, batch, width = xw.shape
        units = width // gates
        dtype = np.result_type(xw.dtype, recurrent_kernel.dtype)
        hs = xp.zeros((steps + 1, batch, units), dtype=dtype)
        if initial is not None:
            hs[0] = initial[0]
        return xp, steps, units, dtype, hs

    def final_states(self) -> list:
        """The states after the last step: `[h_T]` (LSTM: `[h_T, c_T]`)."""
        return [self._hs[-1]]


class SimpleRNNCell(_Cell):
    """h_t = activation(x_t W + b + h_{t-1} U)."""

    def forward(self, xw, recurrent_kernel, recurrent_bias=None, mask=None, initial=None):
        xp, steps, units, dtype, hs = self._start(xw, recurrent_kernel, 1, initial)
        pre = xp.empty((steps,) + hs.shape[1:], dtype=dtype)
        new = hs[1:] if mask is None else xp.empty_like(pre)  # each step's own output
        for t in range(steps):
            pre[t] = xw[t] + hs[t] @ recurrent_kernel
            new[t] = self.act.forward(pre[t])
            if mask is not None:
                hs[t + 1] = _keep(mask, t, new[t], hs[t])
        self._pre, self._new, self._hs, self._u, self._mask = pre, new, hs, recurrent_kernel, mask
        return hs

    def backward(self, dhs, d_final_c=None):
        xp = get_array_module(dhs)
        pre, new, hs, u_t = self._pre, self._new, self._hs, self._u.T
        dpre = xp.empty_like(pre)
        dh = xp.zeros_like(hs[0])
        for t in range(pre.shape[0] - 1, -1, -1):
            d_step, carry = _split(self._mask, t, dh + dhs[t])
            dpre[t] = self.act.backward(pre[t], new[t], d_step)
            dh = _plus(dpre[t] @ u_t, carry)
        self.initial_grads = [dh]  # dL/dh0
        return dpre, _time_tensordot(xp, hs[:-1], dpre), None


class LSTMCell(_Cell):
    """Keras LSTM: z = x_t W + h_{t-1} U + b split into i, f, c, o.

    i, f, o = recurrent_activation(z_i, z_f, z_o); g = activation(z_c);
    c_t = f * c_{t-1} + i * g; h_t = o * activation(c_t).
    """

    def forward(self, xw, recurrent_kernel, recurrent_bias=None, mask=None, initial=None):
        xp, steps, n, dtype, hs = self._start(xw, recurrent_kernel, 4, initial)
        cs = xp.zeros_like(hs)
        if initial is not None:
            cs[0] = initial[1]
        pre = xp.empty(xw.shape, dtype=dtype)
        gates = xp.empty_like(pre)
        act_c = xp.empty((steps,) + hs.shape[1:], dtype=dtype)
        # each step's own states (the kept ones differ from them on masked steps)
        new_c = cs[1:] if mask is None else xp.empty_like(act_c)
        new_h = hs[1:] if mask is None else xp.empty_like(act_c)
        for t in range(steps):
            pre[t] = xw[t] + hs[t] @ recurrent_kernel
            # Each gate on its own slice, so last-axis activations (softmax) act per gate.
            for k in range(4):
                fn = self.act if k == 2 else self.rec
                gates[t, :, k * n:(k + 1) * n] = fn.forward(pre[t, :, k * n:(k + 1) * n])
            i, f, g, o = (gates[t, :, k * n:(k + 1) * n] for k in range(4))
            new_c[t] = f * cs[t] + i * g
            act_c[t] = self.act.forward(new_c[t])
            new_h[t] = o * act_c[t]
            if mask is not None:
                cs[t + 1] = _keep(mask, t, new_c[t], cs[t])
                hs[t + 1] = _keep(mask, t, new_h[t], hs[t])
        self._pre, self._gates, self._hs, self._cs, self._act_c = pre, gates, hs, cs, act_c
        self._new_c, self._u, self._mask = new_c, recurrent_kernel, mask
        return hs

    def final_states(self) -> list:
        return [self._hs[-1], self._cs[-1]]

    def backward(self, dhs, d_final_c=None):
        xp = get_array_module(dhs)
        pre, gates, hs, cs, act_c, u_t = (self._pre, self._gates, self._hs, self._cs,
                                          self._act_c, self._u.T)
        n = hs.shape[-1]
        dpre = xp.empty_like(pre)
        dh = xp.zeros_like(hs[0])
        dc = xp.zeros_like(hs[0]) if d_final_c is None else d_final_c  # dL/dc_T
        for t in range(pre.shape[0] - 1, -1, -1):
            dh, dh_carry = _split(self._mask, t, dh + dhs[t])
            dc, dc_carry = _split(self._mask, t, dc)
            i, f, g, o = (gates[t, :, k * n:(k + 1) * n] for k in range(4))
            # h = o * act(c): dL/do = dh * act(c); dL/dc += act'(c) * dh * o
            dc = dc + self.act.backward(self._new_c[t], act_c[t], dh * o)
            # c = f * c_prev + i * g
            d_gates = (dc * g, dc * cs[t], dc * i, dh * act_c[t])
            for k, d in enumerate(d_gates):
                fn = self.act if k == 2 else self.rec
                cols = slice(k * n, (k + 1) * n)
                dpre[t, :, cols] = fn.backward(pre[t, :, cols], gates[t, :, cols], d)
            dc = _plus(dc * f, dc_carry)
            dh = _plus(dpre[t] @ u_t, dh_carry)
        self.initial_grads = [dh, dc]  # dL/dh0, dL/dc0
        return dpre, _time_tensordot(xp, hs[:-1], dpre), None


class GRUCell(_Cell):
    """Keras GRU, gates z, r, h; h_t = z * h_{t-1} + (1 - z) * h~.

    reset_after=True:  h~ = activation(x_t W_h + b_in_h + r * (h_{t-1} U_h + b_rec_h)), with
    the recurrent bias also added to the z and r recurrent terms.
    reset_after=False: h~ = activation(x_t W_h + b_h + (r * h_{t-1}) U_h).
    """

    def __init__(self, activation, recurrent_activation, reset_after=True):
        super().__init__(activation, recurrent_activation)
        self.reset_after = reset_after

    def forward(self, xw, recurrent_kernel, recurrent_bias=None, mask=None, initial=None):
        xp, steps, n, dtype, hs = self._start(xw, recurrent_kernel, 3, initial)
        pre = xp.empty(xw.shape, dtype=dtype)  # z, r, h~ pre-activations
        gates = xp.empty_like(pre)  # z, r, h~
        # reset_after: h_{t-1} U_h + b_rec_h; otherwise r * h_{t-1} (both what h~ multiplied)
        kept = xp.empty((steps,) + hs.shape[1:], dtype=dtype)
        u_zr, u_h = recurrent_kernel[:, :2 * n], recurrent_kernel[:, 2 * n:]
        for t in range(steps):
            h_prev = hs[t]
            if self.reset_after:
                hu = h_prev @ recurrent_kernel
                if recurrent_bias is not None:
                    hu = hu + recurrent_bias
                pre[t, :, :2 * n] = xw[t, :, :2 * n] + hu[:, :2 * n]
                kept[t] = hu[:, 2 * n:]
            else:
                pre[t, :, :2 * n] = xw[t, :, :2 * n] + h_prev @ u_zr
            gates[t, :, :n] = self.rec.forward(pre[t, :, :n])
            gates[t, :, n:2 * n] = self.rec.forward(pre[t, :, n:2 * n])
            r = gates[t, :, n:2 * n]
            if self.reset_after:
                pre[t, :, 2 * n:] = xw[t, :, 2 * n:] + r * kept[t]
            else:
                kept[t] = r * h_prev
                pre[t, :, 2 * n:] = xw[t, :, 2 * n:] + kept[t] @ u_h
            gates[t, :, 2 * n:] = self.act.forward(pre[t, :, 2 * n:])
            z, h_tilde = gates[t, :, :n], gates[t, :, 2 * n:]
            hs[t + 1] = _keep(mask, t, z * h_prev + (1.0 - z) * h_tilde, h_prev)
        self._pre, self._gates, self._hs, self._kept = pre, gates, hs, kept
        self._u, self._mask = recurrent_kernel, mask
        return hs

    def backward(self, dhs, d_final_c=None):
        xp = get_array_module(dhs)
        pre, gates, hs, kept, u = self._pre, self._gates, self._hs, self._kept, self._u
        n = hs.shape[-1]
        dpre = xp.empty_like(pre)  # dL/d(xw)
        # dL/d(h_{t-1} U + b_rec) when reset_after, else unused
        dhu = xp.empty_like(pre) if self.reset_after else None
        u_t, u_zr_t, u_h_t = u.T, u[:, :2 * n].T, u[:, 2 * n:].T
        dh = xp.zeros_like(hs[0])
        for t in range(pre.shape[0] - 1, -1, -1):
            dh, carry = _split(self._mask, t, dh + dhs[t])
            h_prev = hs[t]
            z, r, h_tilde = (gates[t, :, k * n:(k + 1) * n] for k in range(3))
            dpre[t, :, 2 * n:] = self.act.backward(pre[t, :, 2 * n:], h_tilde, dh * (1.0 - z))
            d_hpre = dpre[t, :, 2 * n:]
            dpre[t, :, :n] = self.rec.backward(pre[t, :, :n], z, dh * (h_prev - h_tilde))
            dh = dh * z
            if self.reset_after:
                # h~_pre = x_h + r * kept  ->  dr = d * kept, d(kept) = d * r
                dpre[t, :, n:2 * n] = self.rec.backward(pre[t, :, n:2 * n], r, d_hpre * kept[t])
                dhu[t, :, :2 * n] = dpre[t, :, :2 * n]
                dhu[t, :, 2 * n:] = d_hpre * r
                dh = dh + dhu[t] @ u_t
            else:
                # h~_pre = x_h + (r * h_prev) U_h
                d_rh = d_hpre @ u_h_t
                dpre[t, :, n:2 * n] = self.rec.backward(pre[t, :, n:2 * n], r, d_rh * h_prev)
                dh = dh + d_rh * r + dpre[t, :, :2 * n] @ u_zr_t
            dh = _plus(dh, carry)
        self.initial_grads = [dh]  # dL/dh0
        return self._weight_grads(xp, dpre, dhu)

    def _weight_grads(self, xp, dpre, dhu):
        hs_prev, n = self._hs[:-1], self._hs.shape[-1]
        if self.reset_after:
            return dpre, _time_tensordot(xp, hs_prev, dhu), dhu.sum(axis=(0, 1))
        d_u = xp.empty(self._u.shape, dtype=dpre.dtype)
        d_u[:, :2 * n] = _time_tensordot(xp, hs_prev, dpre[:, :, :2 * n])
        d_u[:, 2 * n:] = _time_tensordot(xp, self._kept, dpre[:, :, 2 * n:])
        return dpre, d_u, None
