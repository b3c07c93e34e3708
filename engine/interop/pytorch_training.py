"""train.py's loss, optimizer, learning-rate schedule, clipping and regularizers, as code,
from the model's compile settings (the engine's Keras formulas, written in PyTorch).

What PyTorch cannot do the same way is said in a comment beside it. Settings with no
translation raise `UnsupportedTraining`: the export then writes no train.py and says why.
"""

import math
from dataclasses import dataclass

from .. import losses, optimizers, schedules
from .pytorch_schedules import UnsupportedTraining, schedule_code

__all__ = ["TrainingCode", "UnsupportedTraining", "training_code"]


@dataclass
class TrainingCode:
    loss: str  # def loss_fn(y_pred, y_true)
    y_dtype: str  # "int64" for sparse labels, else "float32"
    schedule: str  # def learning_rate(step)
    optimizer: str  # def make_optimizer(parameters)
    weight_decay: float  # decoupled decay train.py applies itself (0: none, or in AdamW)
    clipping: str  # def clip_gradients(parameters)
    regularizers: list  # (PyTorch tensor names, l1, l2)
    summary: str  # one line for the docstring and README


_SQUEEZE = ("    if y_true.dim() == y_pred.dim():  # labels of shape (N, 1)\n"
            "        y_true = y_true.squeeze(-1)\n")
_SAME_RANK = ("    if y_true.dim() == y_pred.dim() - 1:  # targets of shape (N,)\n"
              "        y_true = y_true.unsqueeze(-1)\n")
_LOG_PROBS = {
    False: ("    p = y_pred / y_pred.sum(dim=-1, keepdim=True)  # Keras renormalises, then "
            "clips\n    log_p = torch.log(p.clamp(EPSILON, 1 - EPSILON))\n"),
    True: "    log_p = torch.log_softmax(y_pred, dim=-1)\n",
}


def _loss_body(class_name: str, config: dict) -> str:
    logits = bool(config.get("from_logits", False))
    smoothing = config.get("label_smoothing", 0.0) or 0.0
    if class_name == "SparseCategoricalCrossentropy":
        if config.get("ignore_class") is not None:
            raise UnsupportedTraining("train.py does not support ignore_class in "
                                      "SparseCategoricalCrossentropy.")
        return (_SQUEEZE + _LOG_PROBS[logits]
                + "    return -log_p.gather(-1, y_true.long().unsqueeze(-1)).mean()\n")
    if class_name == "CategoricalCrossentropy":
        smooth = (f"    y_true = y_true * {1 - smoothing} + {smoothing} / y_true.shape[-1]  "
                  "# label_smoothing\n") if smoothing else ""
        return smooth + _LOG_PROBS[logits] + "    return -(y_true * log_p).sum(dim=-1).mean()\n"
    if class_name == "BinaryCrossentropy":
        smooth = (f"    y_true = y_true * {1 - smoothing} + {0.5 * smoothing}  "
                  "# label_smoothing\n") if smoothing else ""
        if logits:
            return _SAME_RANK + smooth + \
                "    return F.binary_cross_entropy_with_logits(y_pred, y_true)\n"
        return (_SAME_RANK + smooth + "    p = y_pred.clamp(EPSILON, 1 - EPSILON)  # as Keras\n"
                "    return -(y_true * torch.log(p) + (1 - y_true) * torch.log(1 - p)).mean()\n")
    simple = {"MeanSquaredError": "F.mse_loss(y_pred, y_true)",
              "MeanAbsoluteError": "F.l1_loss(y_pred, y_true)",
              "Huber": f"F.huber_loss(y_pred, y_true, delta={config.get('delta', 1.0)})"}
    if class_name in simple:
        return _SAME_RANK + f"    return {simple[class_name]}\n"
    raise UnsupportedTraining(
        f"train.py has no PyTorch version of the loss {class_name}. Supported: "
        "SparseCategoricalCrossentropy, CategoricalCrossentropy, BinaryCrossentropy, "
        "MeanSquaredError, MeanAbsoluteError, Huber.")


def loss_code(identifier) -> tuple[str, str, str]:
    """(def loss_fn ..., y dtype, the loss's name) for a compiled loss."""
    if isinstance(identifier, (list, tuple)) and len(identifier) == 1:
        identifier = identifier[0]
    if isinstance(identifier, dict) and "class_name" not in identifier and len(identifier) == 1:
        identifier = next(iter(identifier.values()))
    loss = losses.get(identifier)
    if loss is None:
        raise UnsupportedTraining("The model was compiled without a loss.")
    config = loss.get_config()
    if config.get("reduction", "sum_over_batch_size") != "sum_over_batch_size":
        raise UnsupportedTraining(f"train.py averages the loss over the batch; the loss has "
                                  f"reduction={config['reduction']!r}.")
    name = type(loss).__name__
    body = _loss_body(name, config)
    doc = f'    """Keras {name}({_arguments(config, ("from_logits", "label_smoothing", "delta"))}).'
    y_dtype = "int64" if name == "SparseCategoricalCrossentropy" else "float32"
    return f'def loss_fn(y_pred, y_true):\n{doc}"""\n{body}', y_dtype, name


def _arguments(config: dict, keys) -> str:
    return ", ".join(f"{k}={config[k]!r}" for k in keys if k in config)


# ----- optimizers ------------------------------------------------------------------------------
def _root_epsilon(eps: float) -> list:
    return ["# Keras adds epsilon inside the square root, sqrt(v + eps), PyTorch outside,",
            f"# sqrt(v) + eps: eps = sqrt({eps}) gives the same step where v = 0",
            f"eps={math.sqrt(eps):.6g},"]


def _optimizer_lines(name: str, c: dict) -> tuple[list, bool]:
    """(constructor lines after `params, lr=...,`, whether torch applies the weight decay)."""
    if name == "SGD":
        return [f"momentum={c['momentum']}, nesterov={c['nesterov']},"], False
    if name in ("Adam", "AdamW"):
        decay = c.get("weight_decay") or 0.0
        return [f"betas=({c['beta_1']}, {c['beta_2']}), amsgrad={c['amsgrad']},",
                "eps=KERAS_EPSILON,  # made Keras's before each step: see prepare_step",
                *([f"weight_decay={decay},  # decoupled, w -= lr * wd * w, as Keras"]
                  if name == "AdamW" or decay else [])], True
    if name == "RMSprop":
        return [f"alpha={c['rho']}, momentum={c['momentum']}, centered={c['centered']},",
                *_root_epsilon(c["epsilon"])], False
    if name == "Adagrad":
        return [f"initial_accumulator_value={c['initial_accumulator_value']},",
                *_root_epsilon(c["epsilon"])], False
    if name == "Adamax":
        return [f"betas=({c['beta_1']}, {c['beta_2']}), eps={c['epsilon']},",
                "# Keras: u = max(beta_2 * u, |g|), w -= lr * m / ((1 - beta_1 ** t) * (u + eps));",
                "# PyTorch adds eps inside the max: the same steps wherever |g| >> eps"], False
    if name == "Nadam":
        return [f"betas=({c['beta_1']}, {c['beta_2']}), eps={c['epsilon']},",
                "momentum_decay=1.0,  # Keras 3's mu_t = beta_1 * (1 - 0.5 * 0.96 ** t)"], False
    raise UnsupportedTraining(
        f"train.py has no PyTorch version of the optimizer {name}. Supported: SGD, Adam, "
        "AdamW, RMSprop, Adagrad, Adamax, Nadam.")


_TORCH_CLASS = {"SGD": "SGD", "Adam": "Adam", "AdamW": "AdamW", "RMSprop": "RMSprop",
                "Adagrad": "Adagrad", "Adamax": "Adamax", "Nadam": "NAdam"}


def optimizer_code(identifier) -> tuple[str, float, str, dict]:
    """(def make_optimizer ..., decay train.py applies itself, name, config)."""
    optimizer = optimizers.get(identifier)
    name, config = type(optimizer).__name__, optimizer.get_config()
    lines, decays_itself = _optimizer_lines(name, config)
    decay = config.get("weight_decay") or 0.0
    torch_class = "AdamW" if name == "Adam" and decay else _TORCH_CLASS[name]
    body = "\n".join(f"        {line}" for line in lines)
    constants, prepare = _prepare_step(name, config, isinstance(config["learning_rate"], dict))
    code = (f"{constants}def make_optimizer(parameters):\n"
            f'    """Keras {name}; prepare_step sets the learning rate before each step."""\n'
            f"    return torch.optim.{torch_class}(\n        parameters, lr=learning_rate(0),\n"
            f"{body}\n    )\n\n\n{prepare}")
    return code, 0.0 if decays_itself else decay, name, config


_ADAM_EPSILON = """\
    # Keras: w -= lr * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t) * m / (sqrt(v) + eps), eps
    # outside the bias correction; PyTorch divides sqrt(v) by sqrt(1 - beta_2 ** t) first,
    # so eps / sqrt(1 - beta_2 ** t) gives exactly Keras's step
    t = step + 1
"""


_SGD_MOMENTUM = """\
        # Keras keeps the momentum in units of a step (v = m * v - lr * g, w += v), PyTorch
        # in units of a gradient (b = m * b + g, w -= lr * b): when the rate changes, rescale
        # b by old / new rate, so the steps stay Keras's
        for p in group["params"]:
            buffer = optimizer.state[p].get("momentum_buffer")
            if buffer is not None and rate > 0:
                buffer.mul_(group["lr"] / rate)
"""


def _prepare_step(name: str, config: dict, scheduled: bool) -> tuple[str, str]:
    """(constants, `def prepare_step(optimizer, step)`): a step's learning rate (and Adam's
    eps, as Keras adds it)."""
    adam = name in ("Adam", "AdamW")
    eps = (f'        group["eps"] = KERAS_EPSILON / math.sqrt(1 - {config["beta_2"]} ** t)\n'
           if adam else "")
    momentum = _SGD_MOMENTUM if name == "SGD" and config["momentum"] and scheduled else ""
    code = ("def prepare_step(optimizer, step):\n"
            '    """Before optimizer step `step` (0-based): its learning rate, as Keras."""\n'
            + (_ADAM_EPSILON if adam else "") + "    rate = learning_rate(step)\n"
            + "    for group in optimizer.param_groups:\n" + momentum
            + '        group["lr"] = rate\n' + eps)
    return (f"KERAS_EPSILON = {config['epsilon']}\n\n\n" if adam else ""), code


def clipping_code(config: dict) -> str:
    lines = []
    if config.get("clipnorm"):
        lines += ["    for p in parameters:  # clipnorm: each gradient by its own norm, as Keras",
                  f"        torch.nn.utils.clip_grad_norm_([p], {config['clipnorm']})"]
    if config.get("global_clipnorm"):
        lines.append(f"    torch.nn.utils.clip_grad_norm_(parameters, "
                     f"{config['global_clipnorm']})")
    if config.get("clipvalue"):
        lines.append(f"    torch.nn.utils.clip_grad_value_(parameters, {config['clipvalue']})")
    body = "\n".join(lines) if lines else "    pass  # the optimizer has no clipping"
    return ('def clip_gradients(parameters):\n    """The optimizer\'s gradient clipping '
            '(clipnorm, global_clipnorm, clipvalue)."""\n' + body + "\n")


def regularizer_entries(model, weights: list) -> list:
    """(PyTorch tensor names, l1, l2) for every weight with a regularizer."""
    targets = {name.split(":", 1)[1]: torch_names for name, torch_names, _ in weights}
    entries = []
    for layer in model.layers:
        for key, regularizer in getattr(layer, "regularizers", {}).items():
            if not hasattr(regularizer, "l1"):
                raise UnsupportedTraining(f"train.py supports L1/L2 regularizers only; layer "
                                          f"'{layer.name}' has {regularizer!r}.")
            entries.append((targets[f"{layer.name}/{key}"], regularizer.l1, regularizer.l2))
    return entries


def training_code(model, compile_config: dict, weights: list) -> TrainingCode:
    """The pieces of train.py for `model` compiled with `compile_config`.

    Raises:
        UnsupportedTraining: saying which setting train.py cannot reproduce.
    """
    if not compile_config or not compile_config.get("optimizer"):
        raise UnsupportedTraining("The model has no compile settings (optimizer and loss).")
    if len(model.input_names) != 1 or len(model.output_names) != 1:
        raise UnsupportedTraining("train.py trains models with one input and one output; this "
                                  f"one has {len(model.input_names)} and "
                                  f"{len(model.output_names)}.")
    scales = compile_config.get("loss_weights") or []
    if any(v != 1 for v in (scales.values() if isinstance(scales, dict) else scales)):
        raise UnsupportedTraining(f"train.py does not scale the loss; loss_weights={scales!r}.")
    loss, y_dtype, loss_name = loss_code(compile_config.get("loss"))
    optimizer, decay, name, config = optimizer_code(compile_config["optimizer"])
    rate = config["learning_rate"]
    schedule = schedules.get(rate) if isinstance(rate, dict) else None
    return TrainingCode(
        loss=loss, y_dtype=y_dtype, schedule=schedule_code(schedule, rate),
        optimizer=optimizer, weight_decay=decay, clipping=clipping_code(config),
        regularizers=regularizer_entries(model, weights),
        summary=f"loss {loss_name}, optimizer {name}"
                + (f" with {type(schedule).__name__}" if schedule else f" (learning rate {rate})"))
