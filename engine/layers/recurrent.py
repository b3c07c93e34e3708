"""Recurrent layers: SimpleRNN, LSTM and GRU, with Keras 3 arguments, weights and equations.

Each layer projects every timestep through `kernel` in one matmul, then loops over time only
(vectorised over the batch) in a cell from `recurrent_cells`; backward is backpropagation
through time over the same loop, in reverse. The initial state is zeros. The number of
timesteps may vary (`Input((None, features))`): the weights do not depend on it.

Masks, as in Keras: a mask on the input (Embedding `mask_zero`, Masking) makes masked steps
keep the previous state and output the previous output (zeros with `zero_output_for_mask`);
with `return_sequences` the mask passes on to the next layer, otherwise it ends here.

States, as in Keras: `return_state=True` makes a call return `[output, *final_states]`
(LSTM: `[output, h, c]`; GRU and SimpleRNN: `[output, h]`), and
`layer(x, initial_state=[h0, c0])` starts from given states instead of zeros. In a graph the
states are extra inputs after the sequence (`"inputs": ["x", "encoder:1", "encoder:2"]`) and
extra outputs after the output; gradients flow into both.

Not implemented (Keras arguments left out): `dropout`, `recurrent_dropout`, `stateful`,
`unroll`, `activity_regularizer`, the `*_constraint` arguments and `use_cudnn`.
"""

from .. import activations, registry
from ..backend import get_array_module
from ..errors import ShapeError
from ..params import BOOL, INT, STR, Param
from .base import Layer, WeightSpec, check_known, check_rank, format_shape
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
    Param("return_state", BOOL, False,
          help="Also output the final state(s) (LSTM: h and c; GRU, SimpleRNN: h)."),
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
    #: How many state tensors the layer carries (LSTM: h and c).
    STATES = 1
    supports_masking = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.MAX_INPUTS = 1 + cls.STATES  # the sequence, then optionally the initial states

    def __call__(self, inputs, initial_state=None, training=False, mask=None):
        """Keras's call: `layer(x)`, or `layer(x, initial_state=[h0, c0])` on symbolic
        tensors or arrays."""
        if initial_state is not None:
            states = initial_state if isinstance(initial_state, (list, tuple)) \
                else [initial_state]
            inputs = [inputs, *states]
        return super().__call__(inputs, training=training, mask=mask)

    def takes_list(self, count: int) -> bool:
        return count > 1

    def output_count(self) -> int:
        return 1 + self.STATES if self.return_state else 1

    # ----- shapes, weights and masks --------------------------------------------------------
    def compute_output_shape(self, input_shape):
        input_shape = self._sequence_shape(input_shape)
        check_rank(self, input_shape, 2, _reshape_hint(input_shape))
        check_known(self, input_shape, [-1], "the number of features per step",
                    "Give the Input a fixed feature size, e.g. shape=(None, 8).")
        timesteps = input_shape[0]
        output = (timesteps, self.units) if self.return_sequences else (self.units,)
        if not self.return_state:
            return output
        return [output] + [(self.units,)] * self.STATES

    def _sequence_shape(self, input_shape):
        """The sequence's shape from a call's input shape(s); checks the initial states."""
        if not isinstance(input_shape, list):
            return input_shape
        states = input_shape[1:]
        expected = [(self.units,)] * self.STATES
        if [tuple(s) if isinstance(s, (list, tuple)) else s for s in states] != expected:
            raise ShapeError(
                f"Layer '{self.name}' ({type(self).__name__}) takes an initial_state of "
                f"{self.STATES} tensor(s) of shape {format_shape(expected)}, one per state "
                f"of its {self.units} units. Received: {format_shape(list(states))}. Pass "
                f"the states of a layer with units={self.units} (LSTM: [h, c]; GRU, "
                "SimpleRNN: [h]).")
        return input_shape[0]

    def compute_mask(self, inputs, previous_mask=None):
        """The input's mask with `return_sequences` (one entry per output step), else None."""
        if isinstance(previous_mask, list):
            previous_mask = previous_mask[0]
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
        input_shape = self._sequence_shape(input_shape)
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
        x, initial = self._split_inputs(x)
        if isinstance(mask, list):
            mask = mask[0]
        if x.ndim != 3:
            shape = tuple(int(d) for d in x.shape[1:])
            check_rank(self, shape, 2, _reshape_hint(shape))
        xp = get_array_module(x)
        self._x, self._mask, self._initial = x, self._steps_mask(mask, x), initial
        input_bias, recurrent_bias = self._split_bias()
        xw = x @ self.params["kernel"]  # every timestep in one matmul: (batch, T, gates*u)
        if input_bias is not None:
            xw = xw + input_bias
        xw = xw.transpose(1, 0, 2)  # time-major
        if self.go_backwards:
            xw = xw[::-1]
        hs = self._cell.forward(xp.ascontiguousarray(xw), self.params["recurrent_kernel"],
                                recurrent_bias, self._mask, initial)
        if self.return_sequences:  # in processing order, as Keras does for go_backwards
            output = xp.ascontiguousarray(self._zeroed(hs[1:]).transpose(1, 0, 2))
        else:
            output = hs[-1].copy()
        if not self.return_state:
            return output
        return [output, *(s.copy() for s in self._cell.final_states())]

    def _split_inputs(self, inputs):
        """(sequence, initial states or None) from a call's input(s)."""
        if not isinstance(inputs, (list, tuple)):
            return inputs, None
        if len(inputs) == 1:
            return inputs[0], None
        states = list(inputs[1:])
        batch = inputs[0].shape[0]
        expected = (batch, self.units)
        if len(states) != self.STATES or any(tuple(s.shape) != expected for s in states):
            raise ShapeError(
                f"Layer '{self.name}' ({type(self).__name__}) takes an initial_state of "
                f"{self.STATES} array(s) of shape {expected}. Received: "
                f"{[tuple(s.shape) for s in states]}. Pass one (batch, units) array per "
                "state (LSTM: [h, c]; GRU, SimpleRNN: [h]).")
        return inputs[0], states

    def _zeroed(self, steps):
        """Per-step outputs, zero at masked steps when `zero_output_for_mask` (y = m * h)."""
        if self._mask is None or not self.zero_output_for_mask:
            return steps
        return steps * self._mask

    def backward(self, grad):
        x = self._x
        xp = get_array_module(x)
        grad, state_grads = self._split_grads(grad)
        if self.return_sequences:
            dhs = self._zeroed(grad.transpose(1, 0, 2))
        else:
            dhs = xp.zeros((x.shape[1],) + tuple(grad.shape), dtype=grad.dtype)
            dhs[-1] = grad
        if state_grads[0] is not None:  # h_T is the last kept state: dL/dh_T adds up
            dhs = dhs.copy() if self.return_sequences else dhs  # never write into `grad`
            dhs[-1] += state_grads[0]
        d_final_c = state_grads[1] if len(state_grads) > 1 else None
        dxw, d_recurrent, d_recurrent_bias = self._cell.backward(dhs, d_final_c)
        if self.go_backwards:
            dxw = dxw[::-1]
        dxw = dxw.transpose(1, 0, 2)  # back to (batch, T, gates*u)
        if "kernel" in self.grads:
            self.grads["kernel"][...] = xp.tensordot(x, dxw, axes=([0, 1], [0, 1]))
        if "recurrent_kernel" in self.grads:
            self.grads["recurrent_kernel"][...] = d_recurrent
        if self.use_bias and "bias" in self.grads:
            self._write_bias_grad(dxw.sum(axis=(0, 1)), d_recurrent_bias)
        dx = dxw @ self.params["kernel"].T
        return dx if self._initial is None else [dx, *self._cell.initial_grads]

    def _split_grads(self, grad):
        """(dL/d(output), [dL/d(final state) or None, ...]) from backward's argument; an
        unused output (None) gets a zero gradient."""
        if not self.return_state:
            return grad, [None]
        grad, *states = grad
        if grad is None:
            xp = get_array_module(self._x)
            batch, steps = self._x.shape[:2]
            shape = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
            grad = xp.zeros(shape, dtype=self._x.dtype)
        return grad, states

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
        return_state: Also return the final state: `[output, h]`. Defaults to `False`.

    Call arguments:
        initial_state: `[h0]`, arrays or symbolic tensors of shape `(batch, units)`;
            zeros when omitted.

    Dropout, recurrent_dropout and stateful are not supported.

    Input shape:
        `(timesteps, features)`; `timesteps` may be None (any length). A mask
        `(batch, timesteps)` on the input makes masked steps keep the previous state.
    Output shape:
        `(units,)`, or `(timesteps, units)` with `return_sequences`; with `return_state`,
        a list: that output, then each final state `(units,)`.
    """

    DESCRIPTION = "Simple recurrent layer: a tanh state updated at every timestep."
    PARAMS = (_UNITS, _ACTIVATION, _USE_BIAS, *_INITIALIZERS, *_REGULARIZERS, *_SEQUENCE_FLAGS)

    def __init__(self, units=32, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, return_sequences=False, go_backwards=False,
                 zero_output_for_mask=False, return_state=False, name=None, trainable=True,
                 **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(
            units=units, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            return_sequences=return_sequences, go_backwards=go_backwards,
            zero_output_for_mask=zero_output_for_mask, return_state=return_state)
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

    Dropout, recurrent_dropout and stateful are not supported.

    Input shape:
        `(timesteps, features)`; `timesteps` may be None (any length), and a mask is used
        as in SimpleRNN.
    Output shape:
        `(units,)`, or `(timesteps, units)` with `return_sequences`; with `return_state`,
        a list: that output, then each final state `(units,)`.
    """

    DESCRIPTION = "Long short-term memory: gated recurrent layer for long sequences."
    GATES = 4
    STATES = 2
    PARAMS = (_UNITS, _ACTIVATION, _RECURRENT_ACTIVATION, _USE_BIAS, *_INITIALIZERS,
              Param("unit_forget_bias", BOOL, True,
                    help="Start the forget-gate bias at 1 so the cell remembers at first."),
              *_REGULARIZERS, *_SEQUENCE_FLAGS)

    def __init__(self, units=32, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, return_sequences=False, go_backwards=False,
                 zero_output_for_mask=False, return_state=False, name=None, trainable=True,
                 **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(
            units=units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            return_sequences=return_sequences, go_backwards=go_backwards,
            zero_output_for_mask=zero_output_for_mask, return_state=return_state)
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

    Dropout, recurrent_dropout and stateful are not supported.

    Input shape:
        `(timesteps, features)`; `timesteps` may be None (any length), and a mask is used
        as in SimpleRNN.
    Output shape:
        `(units,)`, or `(timesteps, units)` with `return_sequences`; with `return_state`,
        a list: that output, then each final state `(units,)`.
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
                 zero_output_for_mask=False, return_state=False, name=None, trainable=True,
                 **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._configure(
            units=units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, return_sequences=return_sequences,
            go_backwards=go_backwards, reset_after=reset_after,
            zero_output_for_mask=zero_output_for_mask, return_state=return_state)
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
