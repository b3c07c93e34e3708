"""ONNX for the recurrent layers: SimpleRNN, LSTM and GRU as ONNX's RNN, LSTM and GRU
operators, and Bidirectional as two of them.

Keras's layouts become ONNX's: weights transposed to `(gates * units, in)`, LSTM gates
reordered from Keras's i, f, c, o to ONNX's i, o, f, c (GRU's z, r, h agree), the input bias
first and a recurrent bias after (zeros, except GRU with `reset_after`, which is ONNX's
`linear_before_reset=1`). The batch-major sequence `(batch, T, features)` is transposed to
ONNX's time-major layout and back. `go_backwards` reverses the input and keeps the outputs
in processing order, as Keras does; `initial_state` and `return_state` map to the
operators' initial and final states.
"""

import numpy as np

from .. import backend
from ..activations import get as get_activation
from ..errors import SpecError

#: engine activation -> (ONNX RNN activation, alpha, beta); alpha/beta None: not taken
_RNN_ACTIVATIONS = {
    "tanh": ("Tanh", None, None),
    "sigmoid": ("Sigmoid", None, None),
    "relu": ("Relu", None, None),
    "hard_sigmoid": ("HardSigmoid", 1.0 / 6.0, 0.5),
    "linear": ("Affine", 1.0, 0.0),
    "softsign": ("Softsign", None, None),
    "softplus": ("Softplus", None, None),
    "elu": ("Elu", 1.0, None),
}
#: Keras LSTM gate blocks i, f, c, o in ONNX's order i, o, f, c
_LSTM_ORDER = (0, 3, 1, 2)
_OP_TYPES = {"SimpleRNN": "RNN", "LSTM": "LSTM", "GRU": "GRU"}


def _activation_attrs(layer, names) -> dict:
    """`activations` (+ alphas and betas, consumed in order by the functions that take them)."""
    onnx_names, alphas, betas = [], [], []
    for name in names:
        resolved = get_activation(name).name
        if resolved not in _RNN_ACTIVATIONS:
            raise SpecError(
                f"Layer '{layer.name}' ({type(layer).__name__}): ONNX recurrent operators "
                f"cannot run the activation {resolved!r}. Expected one of: "
                f"{', '.join(sorted(_RNN_ACTIVATIONS))}. Choose one of these (tanh and "
                "sigmoid are the usual ones) and retrain.")
        onnx_name, alpha, beta = _RNN_ACTIVATIONS[resolved]
        onnx_names.append(onnx_name)
        alphas += [] if alpha is None else [alpha]
        betas += [] if beta is None else [beta]
    attrs = {"activations": onnx_names}
    if alphas:
        attrs["activation_alpha"] = alphas
    if betas:
        attrs["activation_beta"] = betas
    return attrs


def _blocks(matrix, order):
    """The gate column blocks of a Keras `(rows, gates * units)` matrix, reordered."""
    blocks = np.split(matrix, len(order), axis=-1)
    return np.concatenate([blocks[i] for i in order], axis=-1)


def _weights(layer) -> tuple:
    """ONNX `(W, R, B or None)` of `layer`: `(1, gates * u, in)`, `(1, gates * u, u)` and
    `(1, 2 * gates * u)`."""
    kind = type(layer).class_name()
    order = _LSTM_ORDER if kind == "LSTM" else tuple(range(layer.GATES))
    kernel = _blocks(backend.to_numpy(layer.params["kernel"]), order)
    recurrent = _blocks(backend.to_numpy(layer.params["recurrent_kernel"]), order)
    bias = None
    if layer.use_bias:
        raw = backend.to_numpy(layer.params["bias"])
        if kind == "GRU" and layer.reset_after:
            bias = np.concatenate([raw[0], raw[1]])  # input biases, then recurrent biases
        else:
            bias = np.concatenate([_blocks(raw, order), np.zeros_like(raw)])
    return kernel.T[None], recurrent.T[None], None if bias is None else bias[None]


def _op_attrs(layer) -> dict:
    kind = type(layer).class_name()
    if kind == "SimpleRNN":
        names = [layer.activation]
    elif kind == "LSTM":
        names = [layer.recurrent_activation, layer.activation, layer.activation]
    else:
        names = [layer.recurrent_activation, layer.activation]
    attrs = {"hidden_size": layer.units, **_activation_attrs(layer, names)}
    if kind == "GRU":
        attrs["linear_before_reset"] = int(layer.reset_after)
    return attrs


def run_recurrent(g, layer, x, initial=()):
    """Runs `layer` on the batch-major sequence `x`.

    Returns:
        `(sequence (batch, T, units) in processing order, [h_T(, c_T)] as (batch, units))`.
    """
    states = 2 if type(layer).class_name() == "LSTM" else 1
    seq = g.transpose(x, (1, 0, 2))  # time-major
    if layer.go_backwards:
        seq = g.slice(seq, [-1], [np.iinfo(np.int64).min], [0], [-1])
    w, r, b = _weights(layer)
    inputs = [seq, g.floats(w, "W"), g.floats(r, "R"), "" if b is None else g.floats(b, "B"),
              "", *(g.unsqueeze(s, [0]) for s in initial)]
    outputs = g.op(_OP_TYPES[type(layer).class_name()], inputs, outputs=1 + states,
                   **_op_attrs(layer))
    sequence = g.transpose(g.squeeze(outputs[0], [1]), (1, 0, 2))
    return sequence, [g.squeeze(s, [0]) for s in outputs[1:]]


def recurrent(g, call):
    layer = call.layer
    sequence, states = run_recurrent(g, layer, call.x, call.inputs[1:])
    output = sequence if layer.return_sequences else states[0]
    return [output, *states] if layer.return_state else output


def bidirectional(g, call):
    layer = call.layer
    layer._bind()  # the inner layers read the wrapper's current weights
    y_f, states_f = run_recurrent(g, layer.forward_layer, call.x)
    y_b, states_b = run_recurrent(g, layer.backward_layer, call.x)
    if layer.return_sequences:
        y_f_out = y_f
        y_b_out = g.slice(y_b, [-1], [np.iinfo(np.int64).min], [1], [-1])  # input time order
    else:
        y_f_out, y_b_out = states_f[0], states_b[0]
    heads = _merge(g, layer.merge_mode, y_f_out, y_b_out)
    outputs = heads + (states_f + states_b if layer.return_state else [])
    return outputs[0] if len(outputs) == 1 else outputs


def _merge(g, mode, y_f, y_b) -> list:
    if mode == "concat":
        return [g.op("Concat", [y_f, y_b], axis=-1)]
    if mode == "sum":
        return [g.op("Add", [y_f, y_b])]
    if mode == "mul":
        return [g.op("Mul", [y_f, y_b])]
    if mode == "ave":
        return [g.op("Mul", [g.op("Add", [y_f, y_b]), g.scalar(0.5)])]
    return [y_f, y_b]


CONVERTERS = {"SimpleRNN": recurrent, "LSTM": recurrent, "GRU": recurrent,
              "Bidirectional": bidirectional}
