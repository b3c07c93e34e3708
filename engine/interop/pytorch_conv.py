"""PyTorch code for Conv1D/Conv2D, pooling and global pooling (channels-first inside).

Keras's `padding="same"` pads `total = max((out - 1) * stride + (k - 1) * dilation + 1 - in, 0)`
with `total // 2` before and the rest after (`out = ceil(in / stride)`). PyTorch pads both
sides alike, so an uneven split becomes an explicit `F.pad` before a convolution; pooling is
matched with PyTorch's own padding and `ceil_mode` where they give the same windows, else
max pooling pads with -inf first; such an average pooling is refused.
"""

import math

from .pytorch_layers import ANY, CF, TRANSLATORS, LayerContext, TorchLayer, activate, freeze, refuse


def _as_tuple(value, dims: int) -> tuple:
    """A config's size or sizes as a tuple (1-D layers store plain ints)."""
    return tuple(value) if isinstance(value, (list, tuple)) else (value,) * dims


def _tuple_text(values) -> str:
    """`3` for (3, 3), `(3, 1)` otherwise: PyTorch takes either."""
    values = tuple(int(v) for v in values)
    return str(values[0]) if len(set(values)) == 1 else str(values)


def _same_pads(ctx, kernel, strides, dilation) -> list[tuple[int, int]]:
    """(before, after) padding per spatial axis for Keras's `padding="same"`."""
    pads = []
    for axis, (k, s, d) in enumerate(zip(kernel, strides, dilation)):
        size = ctx.input_shape[axis]
        if s == 1:  # out = in: the total does not depend on the input size
            total = (k - 1) * d
        elif size is None:
            raise refuse(ctx, "padding='same' with strides > 1 on an axis of unknown size",
                         "a fixed input size", ctx.input_shape,
                         "give the Input a fixed size, or use padding='valid'.")
        else:
            total = max((math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def _conv_pads(ctx, kernel, strides, dilation) -> list[tuple[int, int]]:
    padding = ctx.config["padding"]
    if padding == "valid":
        return [(0, 0)] * len(kernel)
    if padding == "causal":  # Conv1D: only past steps, (k - 1) * dilation zeros in front
        return [((kernel[0] - 1) * dilation[0], 0)]
    return _same_pads(ctx, kernel, strides, dilation)


def _f_pad(pads) -> str:
    """F.pad's argument: (before, after) of the last axis first."""
    return str(tuple(p for pair in reversed(pads) for p in pair))


def _conv(dims: int):
    def translate(ctx: LayerContext) -> TorchLayer:
        c = ctx.config
        kernel, strides, dilation = (_as_tuple(c[key], dims) for key in
                                     ("kernel_size", "strides", "dilation_rate"))
        pads = _conv_pads(ctx, kernel, strides, dilation)
        even = all(before == after for before, after in pads)
        options = [f"kernel_size={_tuple_text(kernel)}"]
        options += [f"stride={_tuple_text(strides)}"] * (set(strides) != {1})
        if even and any(before for before, _ in pads):
            options.append(f"padding={_tuple_text(before for before, _ in pads)}")
        options += [f"dilation={_tuple_text(dilation)}"] * (set(dilation) != {1})
        options += ["bias=False"] * (not c["use_bias"])
        weights = {"kernel": (("weight",), f"conv{dims}d")}
        if c["use_bias"]:
            weights["bias"] = (("bias",), "copy")

        def call(k):
            x = k.x if even else f"F.pad({k.x}, {_f_pad(pads)})"
            return activate(f"{k.module}({x})", c["activation"], k.channel_dim)
        comment = "" if even else (f"Keras padding={c['padding']!r} pads unevenly: F.pad in "
                                   "forward")
        return TorchLayer(
            module=f"nn.Conv{dims}d({ctx.input_shape[-1]}, {c['filters']}, "
                   f"{', '.join(options)})",
            call=call, comment=comment, setup=freeze(ctx), wants=CF, weights=weights)
    return translate


def _torch_pool_size(size, k, s, p, ceil_mode) -> int:
    """PyTorch's pooling output size (its rule: the last window starts inside the input)."""
    out = (math.ceil if ceil_mode else math.floor)((size + 2 * p - k) / s) + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_options(ctx, pool, strides):
    """(PyTorch padding per axis, ceil_mode) giving Keras's windows, or None."""
    if ctx.config["padding"] == "valid":
        return [0] * len(pool), False
    pads = [before for before, _ in _same_pads(ctx, pool, strides, [1] * len(pool))]
    for ceil_mode in (False, True):
        if all(size is not None and 2 * p <= k and
               _torch_pool_size(size, k, s, p, ceil_mode) == math.ceil(size / s)
               for size, k, s, p in zip(ctx.input_shape, pool, strides, pads)):
            return pads, ceil_mode
    return None


def _pooling(kind: str, dims: int):
    def translate(ctx: LayerContext) -> TorchLayer:
        pool = _as_tuple(ctx.config["pool_size"], dims)
        strides = _as_tuple(ctx.config["strides"] or pool, dims)
        options = [_tuple_text(pool)] + [f"stride={_tuple_text(strides)}"] * (strides != pool)
        found = _pool_options(ctx, pool, strides)
        if found is None and kind == "Max":  # pad with -inf: padding never wins a max
            pads = _f_pad(_same_pads(ctx, pool, strides, [1] * dims))
            return TorchLayer(
                module=f"nn.MaxPool{dims}d({', '.join(options)})", wants=CF,
                call=lambda k: f"{k.module}(F.pad({k.x}, {pads}, value=float('-inf')))",
                comment="Keras padding='same' pads unevenly: F.pad in forward")
        if found is None:
            raise refuse(ctx, "this padding='same' window layout", "windows PyTorch's pooling "
                         "can reproduce (a fixed input size; odd pool sizes or strides > 1)",
                         ctx.config["pool_size"], "use padding='valid', or an odd pool size.")
        pads, ceil_mode = found
        if any(pads):
            options.append(f"padding={_tuple_text(pads)}")
            if kind == "Avg":  # Keras averages over the input values only
                options.append("count_include_pad=False")
        options += ["ceil_mode=True"] * ceil_mode
        return TorchLayer(module=f"nn.{kind}Pool{dims}d({', '.join(options)})",
                          call=lambda k: f"{k.module}({k.x})", wants=CF)
    return translate


def _global_pooling(method: str, dims: int):
    def translate(ctx: LayerContext) -> TorchLayer:
        keep = ", keepdim=True" if ctx.config["keepdims"] else ""

        def call(k):
            axes = tuple(range(2, 2 + dims)) if k.layout == CF else tuple(range(1, 1 + dims))
            axes_text = str(axes[0]) if dims == 1 else str(axes)
            return f"{k.x}.{method}(dim={axes_text}{keep})"
        return TorchLayer(call=call, wants=ANY)
    return translate


TRANSLATORS.update({
    "Conv1D": _conv(1), "Conv2D": _conv(2),
    "MaxPooling1D": _pooling("Max", 1), "MaxPooling2D": _pooling("Max", 2),
    "AveragePooling1D": _pooling("Avg", 1), "AveragePooling2D": _pooling("Avg", 2),
    "GlobalAveragePooling1D": _global_pooling("mean", 1),
    "GlobalAveragePooling2D": _global_pooling("mean", 2),
    "GlobalMaxPooling1D": _global_pooling("amax", 1),
    "GlobalMaxPooling2D": _global_pooling("amax", 2),
})
