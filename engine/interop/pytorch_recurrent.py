"""PyTorch code for Embedding, SimpleRNN, LSTM and GRU (`batch_first=True`, one layer).

Weight layouts (see `pytorch_weights`): Keras keeps `kernel (features, gates * units)` and
`recurrent_kernel (units, gates * units)`; PyTorch the transposes, `weight_ih_l0` and
`weight_hh_l0`. LSTM gates are i, f, c, o in Keras and i, f, g, o in PyTorch: the same order.
GRU gates are z, r, h in Keras and r, z, n in PyTorch, so the first two blocks swap; Keras's
`reset_after=True` GRU is PyTorch's GRU, with its bias `(2, 3 * units)` split into
`bias_ih_l0` and `bias_hh_l0`. SimpleRNN and LSTM have one bias in Keras: it goes to
`bias_ih_l0`, and `bias_hh_l0` is kept at zero (frozen), so the model trains the same
parameters.
"""

from .pytorch_layers import TRANSLATORS, LayerContext, TorchLayer, freeze, refuse


def embedding(ctx: LayerContext) -> TorchLayer:
    c = ctx.config
    if c["mask_zero"]:
        raise refuse(ctx, "mask_zero=True (the PyTorch model carries no masks)",
                     "mask_zero=False", True, "set mask_zero=False, or export to ONNX or "
                     "Keras, which keep the mask.")
    return TorchLayer(module=f"nn.Embedding({c['input_dim']}, {c['output_dim']})",
                      call=lambda k: f"{k.module}({k.x}.long())  # ids arrive as floats",
                      setup=freeze(ctx), weights={"embeddings": (("weight",), "copy")})


def _check_activations(ctx: LayerContext, torch_name: str) -> None:
    c = ctx.config
    if c["activation"] != "tanh":
        raise refuse(ctx, f"activation={c['activation']!r} ({torch_name} computes tanh)",
                     "activation='tanh'", c["activation"], "use the default activation.")
    if c.get("recurrent_activation", "sigmoid") != "sigmoid":
        raise refuse(ctx, f"recurrent_activation={c['recurrent_activation']!r} ({torch_name} "
                     "computes sigmoid gates)", "recurrent_activation='sigmoid'",
                     c["recurrent_activation"], "use the default recurrent_activation.")


def _recurrent_call(ctx: LayerContext, states: int):
    """`call(k)` -> the statements running the module and naming each output."""
    c = ctx.config

    def call(k):
        x = f"{k.x}.flip(1)" if c["go_backwards"] else k.x
        comment = "  # go_backwards: Keras reads the last step first" if c["go_backwards"] \
            else ""
        initial = [f"{s}.unsqueeze(0)" for s in k.inputs[1:]]  # (num_layers=1, N, units)
        if initial:
            x += ", " + (f"({', '.join(initial)})" if states == 2 else initial[0])
        last = "" if c["return_sequences"] else "[:, -1]"
        if not c["return_state"]:
            note = "  # the last step's output, as Keras" if last else ""
            return [f"{k.outputs[0]} = {k.module}({x})[0]{last}{comment or note}"]
        names = k.outputs[1:]
        finals = f"({', '.join(names)})" if states == 2 else names[0]
        lines = [f"{k.outputs[0]}, {finals} = {k.module}({x}){comment}",
                 (f"{', '.join(names)} = {', '.join(n + '[0]' for n in names)}  "
                  "# drop the num_layers axis")]
        if last:
            lines.append(f"{k.outputs[0]} = {k.outputs[0]}{last}")
        return lines
    return call


def _recurrent(module: str, states: int, bias_kind: str, kernel_kind: str = "rnn_kernel"):
    def translate(ctx: LayerContext) -> TorchLayer:
        c = ctx.config
        options = "" if module != "RNN" else f", nonlinearity={c['activation']!r}"
        if module == "RNN" and c["activation"] not in ("tanh", "relu"):
            raise refuse(ctx, f"activation={c['activation']!r} (nn.RNN computes tanh or relu)",
                         "'tanh' or 'relu'", c["activation"], "use activation='tanh'.")
        if module != "RNN":
            _check_activations(ctx, f"nn.{module}")
        if module == "GRU" and not c["reset_after"]:
            raise refuse(ctx, "reset_after=False (PyTorch's GRU applies the reset gate after "
                         "the recurrent matmul)", "reset_after=True", False,
                         "use reset_after=True, the Keras default.")
        weights = {"kernel": (("weight_ih_l0",), kernel_kind),
                   "recurrent_kernel": (("weight_hh_l0",), kernel_kind)}
        setup = []
        if c["use_bias"]:
            weights["bias"] = (("bias_ih_l0", "bias_hh_l0"), bias_kind)
            if bias_kind == "rnn_bias":
                setup.append("{m}.bias_hh_l0.requires_grad_(False)  # Keras has one bias: "
                             "PyTorch's second one stays 0")
        bias = "" if c["use_bias"] else ", bias=False"
        return TorchLayer(
            module=f"nn.{module}({ctx.input_shape[-1]}, {c['units']}{options}, "
                   f"batch_first=True{bias})",
            call=_recurrent_call(ctx, states), setup=setup + freeze(ctx), weights=weights)
    return translate


TRANSLATORS.update({
    "Embedding": embedding,
    "SimpleRNN": _recurrent("RNN", 1, "rnn_bias"),
    "LSTM": _recurrent("LSTM", 2, "rnn_bias"),
    "GRU": _recurrent("GRU", 1, "gru_bias", "gru_kernel"),
})
