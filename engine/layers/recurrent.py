"""Recurrent layers: SimpleRNN, LSTM and GRU, with Keras 3 arguments, weights and equations.

Each layer projects every timestep through `kernel` in one matmul, then loops over time only
(vectorised over the batch) in a cell from `recurrent_cells`; backward is backpropagation
through time over the same loop, in reverse. The initial state is zeros. The number of
timesteps may vary (`Input((None, features))`): the weights do not depend on it.

Masks, as in Keras: a mask on the input (Embedding `mask_zero`, Masking) makes masked steps
keep the previous state and output the previous output (zeros with `zero_output_for_mask`);
with `return_sequences` the mask passes on to the next layer, otherwise it ends here.

Not implemented (Keras arguments left out): `dropout`, `recurrent_dropout`, `return_state`,
`initial_state`, `stateful`, `unroll`, `activity_regularizer`, the `*_constraint` arguments
and `use_cudnn`.
"""

from .. import activations, registry
from ..backend import get_array_module
from ..errors import ShapeError
from ..params import BOOL, INT, STR, Param
from .base import Layer, WeightSpec, check_known, check_rank
from .core import initializer_param, regularizer_param
from .recurrent_cells import GRUCell, LSTMCell, SimpleRNNCell

__all__ = ["SimpleRNN", "LSTM", "GRU"]


def _activation_param(name, default, help):
    return Param(name, STR, default, choices=activations.NAMES, optional=True, help=help)


_UNITS = Param("units", INT, 32, minimum=1, help="Size of the hidden state (output features).")
_ACTIVATION = _activation_param("activation", "tanh",
                                "Function for the hidden state (None = linear).")
_RECURRENT_ACTIVATION = _activation_param("recurrent_activation", "sigmoid",
                                          "Function for the gates (None = linear).")
_USE_BIAS = Param("use_bias", BOOL, True, help="Whether to add learned biases.")
_INITIALIZERS = (
    initializer_param("kernel_initializer", "glorot_uniform",
                      "How the input weights start."),
    initializer_param("recurrent_initializer", "orthogonal",
                      "How the recurrent (state-to-state) weights start."),
    initializer_param("bias_initializer", "zeros", "How the biases start."),
)
_REGULARIZERS = (
    regularizer_param("kernel_regularizer"),
    regularizer_param("recurrent_regularizer"),
    regularizer_param("bias_regularizer"),
)
_SEQUENCE_FLAGS = (
    Param("return_sequences", BOOL, False,
          help="Output the state of every timestep (timesteps, units), not only the last."),
    Param("go_backwards", BOOL, False,
          help="Read the sequence from the last timestep to the first."),
    Param("zero_output_for_mask", BOOL, False,
          help="With return_sequences and a mask, output zeros (not the previous output) "
               "at masked steps."),
)


def _reshape_hint(input_shape) -> str:
    """A fix for an input that is not (timesteps, features)."""
    base = "Add a Reshape layer to (timesteps, features) before it"
    if isinstance(input_shape, tuple) and all(isinstance(d, int) for d in input_shape):
        if len(input_shape) == 1:
            return f"{base}, e.g. Reshape(({input_shape[0]}, 1)) for one feature per step."
        if len(input_shape) == 3:
            rows, cols, channels = input_shape
            return (f"{base}, e.g. Reshape(({rows}, {cols * channels})) to read an image "
                    "row by row.")
    return base + "."


class _Recurrent(Layer):
    """Shared shapes, weights and time handling; subclasses set GATES and `self._cell`."""

    CATEGORY = "Recurrent"
    GATES = 1
    supports_masking = True

    # ----- shapes, weights and masks --------------------------------------------------------
    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, 2, _reshape_hint(input_shape))
        check_known(self, input_shape, [-1], "the number of features per step",
                    "Give the Input a fixed feature size, e.g. shape=(None, 8).")
        timesteps = input_shape[0]
        return (timesteps, self.units) if self.return_sequences else (self.units,)

    def compute_mask(self, inputs, previous_mask=None):
        """The input's mask with `return_sequences` (one entry per output step), else None."""
        return previous_mask if self.return_sequences else None

    def output_has_mask(self, input_has_mask: bool) -> bool:
        return input_has_mask and self.return_sequences

    def _steps_mask(self, mask, x):
        """`mask` (batch, T) as the cells' time-major float (T, batch, 1), processing order."""
        if mask is None:
            return None
        xp = get_array_module(x)
        mask = xp.asarray(mask)
        if tuple(mask.shape) != tuple(x.shape[:2]):
            raise ShapeError(
                f"Layer '{self.name}' ({type(self).__name__}) expects a mask of shape (batch, "
                f"timesteps) = {tuple(x.shape[:2])}, but received a mask of shape "
                f"{tuple(mask.shape)}. Pass the mask of this input, e.g. "
                "embedding.compute_mask(ids).")
        steps = mask.T.astype(x.dtype)[:, :, None]
        return xp.ascontiguousarray(steps[::-1] if self.go_backwards else steps)

    def bias_shape(self) -> tuple:
        return (self.GATES * self.units,)

    def weight_specs(self, input_shape):
        width = self.GATES * self.units
        specs = [
            WeightSpec("kernel", (input_shape[-1], width), self.kernel_initializer,
                       regularizer=self.kernel_regularizer),
            WeightSpec("recurrent_kernel", (self.units, width), self.recurrent_initializer,
                       regularizer=self.recurrent_regularizer),
        ]
        if self.use_bias:
            specs.append(WeightSpec("bias", self.bias_shape(), self.bias_initializer,
                                    regularizer=self.bias_regularizer))
        return specs

    def _split_bias(self):
        """(bias added to x @ kernel, bias added to h @ recurrent_kernel or None)."""
        if not self.use_bias:
            return None, None
        return self.params["bias"], None

    # ----- computation -----------------------------------------------------------------------
    def forward(self, x, training=False, mask=None):
        if x.ndim != 3:
            shape = tuple(int(d) for d in x.shape[1:])
            check_rank(self, shape, 2, _reshape_hint(shape))
        xp = get_array_module(x)
        self._x, self._mask = x, self._steps_mask(mask, x)
        input_bias, recurrent_bias = self._split_bias()
        xw = x @ self.params["kernel"]  # every timestep in one matmul: (batch, T, gates*u)
        if input_bias is not None:
            xw = xw + input_bias
        xw = xw.transpose(1, 0, 2)  # time-major
        if self.go_backwards:
            xw = xw[::-1]
        hs = self._cell.forward(xp.ascontiguousarray(xw), self.params["recurrent_kernel"],
                                recurrent_bias, self._mask)
        if self.return_sequences:  # in processing order, as Keras does for go_backwards
            return xp.ascontiguousarray(self._zeroed(hs[1:]).transpose(1, 0, 2))
        return hs[-1].copy()

    def _zeroed(self, steps):
        """Per-step outputs, zero at masked steps when `zero_output_for_mask` (y = m * h)."""
        if self._mask is None or not self.zero_output_for_mask:
            return steps
        return steps * self._mask

    def backward(self, grad):
        xp = get_array_module(grad)
        x = self._x
        if self.return_sequences:
            dhs = self._zeroed(grad.transpose(1, 0, 2))
        else:
            dhs = xp.zeros((x.shape[1],) + tuple(grad.shape), dtype=grad.dtype)
            dhs[-1] = grad
        dxw, d_recurrent, d_recurrent_bias = self._cell.backward(dhs)
        if self.go_backwards:
            dxw = dxw[::-1]
        dxw = dxw.transpose(1, 0, 2)  # back to (batch, T, gates*u)
        if "kernel" in self.grads:
            self.grads["kernel"][...] = xp.tensordot(x, dxw, axes=([0, 1], [0, 1]))
        if "recurrent_kernel" in self.grads:
            self.grads["recurrent_kernel"][...] = d_recurrent
        if self.use_bias and "bias" in self.grads:
            self._write_bias_grad(dxw.sum(axis=(0, 1)), d_recurrent_bias)
        return dxw @ self.params["kernel"].T

    def _write_bias_grad(self, d_input_bias, d_recurrent_bias):
        self.grads["bias"][...] = d_input_bias


@registry.register("layer")
class SimpleRNN(_Recurrent):
    """Fully connected RNN: `h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + b)`.

    Args:
        units: Size of the hidden state, a positive int.
        activation: Activation name (None = linear). Defaults to "tanh".
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
        kernel_regularizer, recurrent_regularizer, bias_regularizer: as in Keras.
        return_sequences: Output every timestep's state instead of the last one.
        go_backwards: Process the sequence in reverse (outputs stay in processing order).
        zero_output_for_mask: With `return_sequences` and a mask, output zeros at masked
            steps instead of the previous output. Defaults to `False`.

    Dropout, recurrent_dropout, return_state and stateful are not supported.

    Input shape:
        `(timesteps, features)`; `timesteps` may be None (any length). A mask
        `(batch, timesteps)` on the input makes masked steps keep the previous state.
    Output shape:
        `(units,)`, or `(timesteps, units)` with `return_sequences`.
    """

    DESCRIPTION = "Simple recurrent layer: a tanh state updated at every timestep."
    PARAMS = (_UNITS, _ACTIVATION, _USE_BIAS, *_INITIALIZERS, *_REGULARIZERS, *_SEQUENCE_FLAGS)

    def __init__(self, units=32, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, return_sequences=False, go_backwards=False,
                 zero_output_for_mask=False, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(
            units=units, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            return_sequences=return_sequences, go_backwards=go_backwards,
            zero_output_for_mask=zero_output_for_mask)
        self._cell = SimpleRNNCell(self.activation)


@registry.register("layer")
class LSTM(_Recurrent):
    """Long short-term memory layer (Hochreiter 1997), Keras gate order i, f, c, o.

    `z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias`; `i, f, o = recurrent_activation`
    of their slices, `g = activation(z_c)`, `c_t = f * c_{t-1} + i * g`,
    `h_t = o * activation(c_t)`.

    Args:
        units: Size of the hidden and cell states, a positive int.
        activation: For the candidate and the cell output. Defaults to "tanh".
        recurrent_activation: For the i, f, o gates. Defaults to "sigmoid".
        unit_forget_bias: Start the forget-gate bias at 1 (Jozefowicz et al., 2015).
        Other arguments: as in SimpleRNN.

    Dropout, recurrent_dropout, return_state and stateful are not supported.

    Input shape:
        `(timesteps, features)`; `timesteps` may be None (any length), and a mask is used
        as in SimpleRNN.
    Output shape:
        `(units,)`, or `(timesteps, units)` with `return_sequences`.
    """

    DESCRIPTION = "Long short-term memory: gated recurrent layer for long sequences."
    GATES = 4
    PARAMS = (_UNITS, _ACTIVATION, _RECURRENT_ACTIVATION, _USE_BIAS, *_INITIALIZERS,
              Param("unit_forget_bias", BOOL, True,
                    help="Start the forget-gate bias at 1 so the cell remembers at first."),
              *_REGULARIZERS, *_SEQUENCE_FLAGS)

    def __init__(self, units=32, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, return_sequences=False, go_backwards=False,
                 zero_output_for_mask=False, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(
            units=units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            return_sequences=return_sequences, go_backwards=go_backwards,
            zero_output_for_mask=zero_output_for_mask)
        self._cell = LSTMCell(self.activation, self.recurrent_activation)

    def build(self, input_shape):
        super().build(input_shape)
        if self.use_bias and self.unit_forget_bias:
            # Keras: bias = [init(u), ones(u), init(2u)]; set in place to keep the array.
            self.params["bias"][self.units:2 * self.units] = 1.0


@registry.register("layer")
class GRU(_Recurrent):
    """Gated recurrent unit (Cho et al., 2014), Keras gate order z, r, h.

    `h_t = z * h_{t-1} + (1 - z) * h~`. With `reset_after=True` (Keras 3 default, cuDNN
    compatible) `h~ = activation(x_t W_h + b_in_h + r * (h_{t-1} U_h + b_rec_h))` and the bias
    has shape (2, 3 * units): row 0 input biases, row 1 recurrent biases. With
    `reset_after=False`, `h~ = activation(x_t W_h + b_h + (r * h_{t-1}) U_h)` and the bias has
    shape (3 * units,).

    Args:
        units: Size of the hidden state, a positive int.
        activation: For the candidate state. Defaults to "tanh".
        recurrent_activation: For the z and r gates. Defaults to "sigmoid".
        reset_after: Apply the reset gate after the recurrent matmul. Defaults to True.
        Other arguments: as in SimpleRNN.

    Dropout, recurrent_dropout, return_state and stateful are not supported.

    Input shape:
        `(timesteps, features)`; `timesteps` may be None (any length), and a mask is used
        as in SimpleRNN.
    Output shape:
        `(units,)`, or `(timesteps, units)` with `return_sequences`.
    """

    DESCRIPTION = "Gated recurrent unit: a lighter gated recurrent layer than LSTM."
    GATES = 3
    PARAMS = (_UNITS, _ACTIVATION, _RECURRENT_ACTIVATION, _USE_BIAS, *_INITIALIZERS,
              *_REGULARIZERS, *_SEQUENCE_FLAGS,
              Param("reset_after", BOOL, True,
                    help="Apply the reset gate after the recurrent matmul (Keras 3 default)."))

    def __init__(self, units=32, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 return_sequences=False, go_backwards=False, reset_after=True,
                 zero_output_for_mask=False, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(
            units=units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, return_sequences=return_sequences,
            go_backwards=go_backwards, reset_after=reset_after,
            zero_output_for_mask=zero_output_for_mask)
        self._cell = GRUCell(self.activation, self.recurrent_activation, self.reset_after)

    def bias_shape(self):
        width = self.GATES * self.units
        return (2, width) if self.reset_after else (width,)

    def _split_bias(self):
        if self.use_bias and self.reset_after:
            bias = self.params["bias"]
            return bias[0], bias[1]
        return super()._split_bias()

    def _write_bias_grad(self, d_input_bias, d_recurrent_bias):
        if self.reset_after:
            self.grads["bias"][0] = d_input_bias
            self.grads["bias"][1] = d_recurrent_bias
        else:
            self.grads["bias"][...] = d_input_bias
