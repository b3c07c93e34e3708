"""Weight conversions between the engine's Keras layouts and PyTorch's, as generated code.

`weights.safetensors` (and the file `train.py` writes) keep the engine's names
("0000:dense/kernel") and Keras layouts, so LayerCraft loads them back as they are. The
generated `model.py` converts them on the way in and out with the table written here: per
Keras weight, the PyTorch tensors it fills and a conversion kind.
"""

#: kind -> (Keras array -> list of PyTorch tensors, PyTorch tensors -> Keras array, comment)
CONVERSIONS = {
    "copy": ("lambda w: [w]", "lambda t: t", "same layout"),
    "dense": ("lambda w: [w.T]", "lambda t: t.T", "Keras (in, out) <-> nn.Linear (out, in)"),
    "conv1d": ("lambda w: [w.permute(2, 1, 0)]", "lambda t: t.permute(2, 1, 0)",
               "Keras (k, in, out) <-> (out, in, k)"),
    "conv2d": ("lambda w: [w.permute(3, 2, 0, 1)]", "lambda t: t.permute(2, 3, 1, 0)",
               "Keras (kh, kw, in, out) <-> (out, in, kh, kw)"),
    "rnn_kernel": ("lambda w: [w.T]", "lambda t: t.T",
                   "Keras (in, 4 * units) <-> (4 * units, in); LSTM gates i, f, c, o = "
                   + "PyTorch's i, f, g, o"),
    "gru_kernel": ("lambda w: [swap_zr(w.T)]", "lambda t: swap_zr(t).T",
                   "transposed, and Keras gates z, r, h <-> PyTorch r, z, n"),
    "rnn_bias": ("lambda b: [b, torch.zeros_like(b)]", "lambda ih, hh: ih + hh",
                 "one Keras bias <-> bias_ih + bias_hh (bias_hh is frozen at 0)"),
    "gru_bias": ("lambda b: [swap_zr(b[0]), swap_zr(b[1])]",
                 "lambda ih, hh: torch.stack([swap_zr(ih), swap_zr(hh)])",
                 "Keras (2, 3 * units) = input and recurrent biases, reset_after=True"),
}

_SWAP_ZR = '''

def swap_zr(t):
    """Swaps the first two gate blocks along axis 0: Keras GRU z, r, h <-> PyTorch r, z, n."""
    n = t.shape[0] // 3
    return torch.cat([t[n:2 * n], t[:n], t[2 * n:]])
'''


def table_code(entries: list) -> str:
    """`TO_TORCH`, `TO_KERAS` and `WEIGHTS` for `entries`: (Keras name, torch names, kind)."""
    kinds = list(dict.fromkeys(kind for _, _, kind in entries))
    to_torch = [f'    # {CONVERSIONS[k][2]}\n    "{k}": {CONVERSIONS[k][0]},' for k in kinds]
    to_keras = [f'    "{k}": {CONVERSIONS[k][1]},' for k in kinds]
    rows = [f"    ({name!r}, {list(targets)!r}, {kind!r})," for name, targets, kind in entries]
    helper = _SWAP_ZR if any(k.startswith("gru") for k in kinds) else ""
    return (f"{helper}\n\n"
            "# How each LayerCraft weight (Keras layout) becomes PyTorch tensors, and back.\n"
            "TO_TORCH = {\n" + "\n".join(to_torch) + "\n}\n"
            "TO_KERAS = {\n" + "\n".join(to_keras) + "\n}\n"
            "# (LayerCraft name in weights.safetensors, PyTorch tensors it fills, conversion),\n"
            "# in LayerCraft's order.\n"
            "WEIGHTS = [\n" + "\n".join(rows) + "\n]\n")
