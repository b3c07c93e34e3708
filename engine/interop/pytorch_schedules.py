"""train.py's `learning_rate(step)`: the engine's learning-rate schedules (Keras 3 formulas,
`engine/schedules.py`) as plain Python, evaluated before every optimizer step.

`step` counts the optimizer steps taken so far (0 for the first batch), as Keras does.
"""

from ..errors import SpecError


class UnsupportedTraining(SpecError):
    """The compile settings have no PyTorch translation (the message says which and why)."""


_HEADER = 'def learning_rate(step: int) -> float:\n    """{doc}"""\n'


def _periods(c: dict, steps_key: str = "decay_steps") -> str:
    ratio = f"step / {c[steps_key]}"
    return f"math.floor({ratio})" if c.get("staircase") else f"({ratio})"


def _exponential(c):
    return (f"    return {c['initial_learning_rate']} * {c['decay_rate']} ** {_periods(c)}\n",
            "Keras ExponentialDecay: lr0 * decay_rate ** (step / decay_steps).")


def _inverse_time(c):
    return (f"    return {c['initial_learning_rate']} / (1 + {c['decay_rate']} * {_periods(c)})\n",
            "Keras InverseTimeDecay: lr0 / (1 + decay_rate * step / decay_steps).")


def _piecewise(c):
    values = list(c["values"])
    return ((f"    for boundary, value in zip({list(c['boundaries'])}, {values[:-1]}):\n"
             "        if step <= boundary:\n            return value\n"
             f"    return {values[-1]}\n"),
            "Keras PiecewiseConstantDecay: values[i] up to and including boundaries[i].")


def _polynomial(c):
    horizon = float(c["decay_steps"])
    start = (f"    horizon = {horizon} * (1.0 if step == 0 else math.ceil(step / {horizon}))\n"
             if c["cycle"] else f"    horizon = {horizon}\n    step = min(step, horizon)\n")
    span = c["initial_learning_rate"] - c["end_learning_rate"]
    return (start + f"    return {span} * (1 - step / horizon) ** {c['power']} + "
            f"{c['end_learning_rate']}\n",
            "Keras PolynomialDecay: (lr0 - end) * (1 - step / decay_steps) ** power + end.")


def _cosine(c):
    lr0, steps, alpha = c["initial_learning_rate"], c["decay_steps"], c["alpha"]
    cosine = f"((1 - {alpha}) * 0.5 * (1 + math.cos(math.pi * fraction)) + {alpha})"
    if c.get("warmup_target") is None:
        return (f"    fraction = min(step, {steps}) / {steps}\n    return {lr0} * {cosine}\n",
                "Keras CosineDecay: lr0 * ((1 - alpha) * 0.5 * (1 + cos(pi * t)) + alpha).")
    target, warmup = c["warmup_target"], c["warmup_steps"]
    return ((f"    step = min(step, {steps} + {warmup})\n"
             f"    if step < {warmup}:  # linear warmup from lr0 to warmup_target\n"
             f"        return {lr0} + ({target} - {lr0}) * step / {warmup}\n"
             f"    fraction = (step - {warmup}) / {steps}\n"
             f"    return {target} * {cosine}\n"),
            "Keras CosineDecay with warmup: a linear ramp, then the cosine from warmup_target.")


_SCHEDULES = {"ExponentialDecay": _exponential, "InverseTimeDecay": _inverse_time,
              "PiecewiseConstantDecay": _piecewise, "PolynomialDecay": _polynomial,
              "CosineDecay": _cosine}


def schedule_code(schedule, rate) -> str:
    """`def learning_rate(step)` for a schedule object, or a constant `rate`."""
    if schedule is None:
        return _HEADER.format(doc="The compiled learning rate (constant).") + \
            f"    return {float(rate)}\n"
    name = type(schedule).__name__
    if name not in _SCHEDULES:
        raise UnsupportedTraining(
            f"train.py has no PyTorch version of the learning-rate schedule {name}. "
            f"Supported: {', '.join(_SCHEDULES)}, or a constant learning rate.")
    body, doc = _SCHEDULES[name](schedule.get_config())
    return _HEADER.format(doc=doc) + body
