"""Learning-rate schedules: the learning rate as a function of the optimizer step (Keras 3).

`step` is the optimizer's iteration count (batches applied so far, 0-based), not the epoch.
Every schedule is a plain callable `schedule(step) -> float` computed on the host, so reading
the learning rate never touches the GPU. Formulas follow
`keras/src/optimizers/schedules/learning_rate_schedule.py`.
"""

import math

from . import registry
from .errors import SpecError, describe_choices
from .params import BOOL, FLOAT, FLOATS, INT, Param, to_json_value, validate_param

KIND = "schedule"


def _initial_lr_param(default=0.01):
    return Param("initial_learning_rate", FLOAT, default, minimum=0.0,
                 help="Learning rate at step 0.")


def _decay_steps_param(name="decay_steps", default=1000):
    return Param(name, FLOAT, default, minimum=0.0, exclusive_minimum=True,
                 help="Number of optimizer steps (batches) the decay runs over.")


class LearningRateSchedule:
    """Base class: `__call__(step) -> float`, `get_config()` and `from_config()`.

    Subclasses declare `PARAMS` (constructor arguments, in order; their defaults are GUI
    suggestions where Keras has none) and validate through `_configure`.
    """

    PARAMS: tuple[Param, ...] = ()
    DESCRIPTION = ""

    def __call__(self, step) -> float:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(step)")

    def _configure(self, name, **values) -> None:
        """Validates each declared argument and stores it; whole numbers stay ints."""
        if not isinstance(name, str):
            raise SpecError(f"{type(self).__name__}: `name` must be a string. Received: {name!r}")
        self.name = name
        declared = {p.name: p for p in self.PARAMS}
        for key, raw in values.items():
            value = validate_param(declared[key], raw, owner=type(self).__name__)
            setattr(self, key, _keep_ints(raw, value))

    def get_config(self) -> dict:
        config = {p.name: to_json_value(getattr(self, p.name)) for p in self.PARAMS}
        config["name"] = self.name
        return config

    @classmethod
    def from_config(cls, config: dict) -> "LearningRateSchedule":
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _keep_ints(raw, value):
    """`decay_steps=1000` stays 1000 in the config (validation turns numbers into floats)."""
    if isinstance(raw, bool):
        return value
    if isinstance(raw, int):
        return int(raw)
    if isinstance(raw, (list, tuple)) and all(
        isinstance(r, int) and not isinstance(r, bool) for r in raw
    ):
        return tuple(int(r) for r in raw)
    return value


def _periods(step, decay_steps, staircase: bool) -> float:
    """`step / decay_steps`, floored when `staircase` (decay in discrete jumps)."""
    periods = float(step) / decay_steps
    return math.floor(periods) if staircase else periods


@registry.register(KIND)
class ExponentialDecay(LearningRateSchedule):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)`.

    Args:
        initial_learning_rate: The learning rate at step 0.
        decay_steps: Steps per decay period; must be > 0.
        decay_rate: Factor applied per period.
        staircase: Whether `step / decay_steps` is floored (decay at discrete intervals).
        name: Defaults to `"ExponentialDecay"`.
    """

    DESCRIPTION = "Multiplies the learning rate by decay_rate every decay_steps steps."
    PARAMS = (
        _initial_lr_param(),
        _decay_steps_param(),
        Param("decay_rate", FLOAT, 0.96, minimum=0.0, help="Factor per decay period."),
        Param("staircase", BOOL, False, help="Decay in discrete jumps (floored exponent)."),
    )

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        self._configure(name, initial_learning_rate=initial_learning_rate,
                        decay_steps=decay_steps, decay_rate=decay_rate, staircase=staircase)

    def __call__(self, step) -> float:
        return float(self.initial_learning_rate
                     * self.decay_rate ** _periods(step, self.decay_steps, self.staircase))


@registry.register(KIND)
class PiecewiseConstantDecay(LearningRateSchedule):
    """`values[0]` while `step <= boundaries[0]`, `values[i]` while
    `boundaries[i-1] < step <= boundaries[i]`, and `values[-1]` after the last boundary.

    Args:
        boundaries: Strictly increasing step numbers.
        values: One more value than boundaries.
        name: Defaults to `"PiecewiseConstant"`.
    """

    DESCRIPTION = "A constant learning rate per range of steps."
    PARAMS = (
        Param("boundaries", FLOATS, (1000, 2000), minimum=0.0,
              help="Steps where the value changes, strictly increasing."),
        Param("values", FLOATS, (0.01, 0.005, 0.001), minimum=0.0,
              help="Learning rates: one more than boundaries."),
    )

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        self._configure(name, boundaries=boundaries, values=values)
        if len(self.boundaries) != len(self.values) - 1:
            raise SpecError(
                "PiecewiseConstantDecay: the length of `boundaries` should be 1 less than the "
                f"length of `values`. Received: boundaries={list(self.boundaries)} of length "
                f"{len(self.boundaries)}, and values={list(self.values)} of length "
                f"{len(self.values)}."
            )
        if any(later <= earlier for earlier, later in zip(self.boundaries, self.boundaries[1:])):
            raise SpecError(
                "PiecewiseConstantDecay: `boundaries` must be strictly increasing. "
                f"Received: boundaries={list(self.boundaries)}"
            )

    def __call__(self, step) -> float:
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return float(value)
        return float(self.values[-1])


@registry.register(KIND)
class InverseTimeDecay(LearningRateSchedule):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)`.

    Args:
        initial_learning_rate: The learning rate at step 0.
        decay_steps: Steps per decay unit; must be > 0.
        decay_rate: How fast the rate falls.
        staircase: Whether `step / decay_steps` is floored.
        name: Defaults to `"InverseTimeDecay"`.
    """

    DESCRIPTION = "Learning rate falling as 1 / (1 + decay_rate * step / decay_steps)."
    PARAMS = (
        _initial_lr_param(),
        _decay_steps_param(),
        Param("decay_rate", FLOAT, 0.5, minimum=0.0, help="How fast the rate falls."),
        Param("staircase", BOOL, False, help="Decay in discrete jumps (floored ratio)."),
    )

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        self._configure(name, initial_learning_rate=initial_learning_rate,
                        decay_steps=decay_steps, decay_rate=decay_rate, staircase=staircase)

    def __call__(self, step) -> float:
        periods = _periods(step, self.decay_steps, self.staircase)
        return float(self.initial_learning_rate / (1.0 + self.decay_rate * periods))


@registry.register(KIND)
class PolynomialDecay(LearningRateSchedule):
    """`(lr0 - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end`.

    With `cycle=True` the horizon becomes `decay_steps * ceil(step / decay_steps)` (the first
    multiple of `decay_steps` not below `step`, and 1x at step 0) instead of clamping `step`.

    Args:
        initial_learning_rate: The learning rate at step 0.
        decay_steps: Steps to reach `end_learning_rate`; must be > 0.
        end_learning_rate: Final learning rate. Defaults to `0.0001`.
        power: Power of the polynomial. Defaults to `1.0` (linear).
        cycle: Whether to restart the decay after `decay_steps`. Defaults to `False`.
        name: Defaults to `"PolynomialDecay"`.
    """

    DESCRIPTION = "Polynomial (default linear) decay to end_learning_rate over decay_steps."
    PARAMS = (
        _initial_lr_param(),
        _decay_steps_param(),
        Param("end_learning_rate", FLOAT, 0.0001, minimum=0.0, help="Final learning rate."),
        Param("power", FLOAT, 1.0, minimum=0.0, help="Power of the polynomial (1 = linear)."),
        Param("cycle", BOOL, False, help="Restart the decay after decay_steps."),
    )

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        self._configure(name, initial_learning_rate=initial_learning_rate,
                        decay_steps=decay_steps, end_learning_rate=end_learning_rate,
                        power=power, cycle=cycle)

    def __call__(self, step) -> float:
        step = float(step)
        horizon = float(self.decay_steps)
        if self.cycle:
            horizon *= 1.0 if step == 0 else math.ceil(step / horizon)
        else:
            step = min(step, horizon)
        p = step / horizon
        span = self.initial_learning_rate - self.end_learning_rate
        return float(span * (1.0 - p) ** self.power + self.end_learning_rate)


def _cosine(fraction: float, alpha: float, scale: float = 1.0) -> float:
    """`(1 - alpha) * 0.5 * scale * (1 + cos(pi * fraction)) + alpha`."""
    return (1.0 - alpha) * (0.5 * scale * (1.0 + math.cos(math.pi * fraction))) + alpha


@registry.register(KIND)
class CosineDecay(LearningRateSchedule):
    """Cosine decay (SGDR without restarts), with an optional linear warmup.

    Without `warmup_target`: `lr0 * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)`
    with `s = min(step, decay_steps)`. With `warmup_target`: a linear ramp from `lr0` to
    `warmup_target` over `warmup_steps`, then the cosine from `warmup_target` down to
    `warmup_target * alpha` over `decay_steps`.

    Args:
        initial_learning_rate: The learning rate at step 0.
        decay_steps: Steps the cosine runs over; must be > 0.
        alpha: Final learning rate as a fraction of the decay's starting rate.
            Defaults to `0.0`.
        name: Defaults to `"CosineDecay"`.
        warmup_target: Learning rate reached at the end of warmup; `None` skips warmup.
        warmup_steps: Length of the warmup in steps. Defaults to `0`.
    """

    DESCRIPTION = "Cosine decay to alpha * lr, with an optional linear warmup."
    PARAMS = (
        _initial_lr_param(),
        _decay_steps_param(),
        Param("alpha", FLOAT, 0.0, minimum=0.0, maximum=1.0,
              help="Final rate as a fraction of the starting rate."),
        Param("warmup_target", FLOAT, None, minimum=0.0, optional=True,
              help="Rate reached after warmup (None = no warmup)."),
        Param("warmup_steps", INT, 0, minimum=0, help="Steps of linear warmup."),
    )

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        self._configure(name, initial_learning_rate=initial_learning_rate,
                        decay_steps=decay_steps, alpha=alpha, warmup_target=warmup_target,
                        warmup_steps=warmup_steps)

    def __call__(self, step) -> float:
        step = float(step)
        if self.warmup_target is None:
            step = min(step, self.decay_steps)
            return float(self.initial_learning_rate
                         * _cosine(step / self.decay_steps, self.alpha))
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            delta = self.warmup_target - self.initial_learning_rate
            return float(delta * (step / self.warmup_steps) + self.initial_learning_rate)
        fraction = (step - self.warmup_steps) / self.decay_steps
        return float(self.warmup_target * _cosine(fraction, self.alpha))


@registry.register(KIND)
class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter 2016).

    The first period lasts `first_decay_steps`; each later one `t_mul` times longer and starts
    at `m_mul` times the previous peak. Within period `i` at fraction `f` of its length:
    `lr0 * ((1 - alpha) * 0.5 * m_mul**i * (1 + cos(pi * f)) + alpha)`.

    Args:
        initial_learning_rate: The learning rate at step 0.
        first_decay_steps: Length of the first period; must be > 0.
        t_mul: Growth of each period's length. Defaults to `2.0`.
        m_mul: Factor on each period's starting rate. Defaults to `1.0`.
        alpha: Minimum rate as a fraction of `initial_learning_rate`. Defaults to `0.0`.
        name: Defaults to `"SGDRDecay"`.
    """

    DESCRIPTION = "Cosine decay restarted every period (SGDR); periods grow by t_mul."
    PARAMS = (
        _initial_lr_param(),
        _decay_steps_param("first_decay_steps"),
        Param("t_mul", FLOAT, 2.0, minimum=0.0, exclusive_minimum=True,
              help="Each period is t_mul times longer than the one before."),
        Param("m_mul", FLOAT, 1.0, minimum=0.0,
              help="Each period starts at m_mul times the previous peak."),
        Param("alpha", FLOAT, 0.0, minimum=0.0, maximum=1.0,
              help="Minimum rate as a fraction of the initial rate."),
    )

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name="SGDRDecay"):
        self._configure(name, initial_learning_rate=initial_learning_rate,
                        first_decay_steps=first_decay_steps, t_mul=t_mul, m_mul=m_mul,
                        alpha=alpha)

    def __call__(self, step) -> float:
        fraction = float(step) / self.first_decay_steps
        restart, fraction = self._period(fraction)
        if restart is None:  # past the finite total length of shrinking periods (t_mul < 1)
            return math.nan
        scale = self.m_mul ** restart
        return float(self.initial_learning_rate * _cosine(fraction, self.alpha, scale))

    def _period(self, fraction: float):
        """(index of the current period, fraction of it completed)."""
        t = float(self.t_mul)
        if t == 1.0:
            restart = math.floor(fraction)
            return restart, fraction - restart
        # Periods 0..i-1 sum to (1 - t**i) / (1 - t) first-period lengths.
        argument = 1.0 - fraction * (1.0 - t)
        if argument <= 0.0:
            return None, math.nan
        restart = math.floor(math.log(argument) / math.log(t))

        def start(i):
            return (1.0 - t ** i) / (1.0 - t)

        # log() can land a hair on the wrong side of a period boundary; settle it exactly.
        if restart > 0 and start(restart) > fraction:
            restart -= 1
        elif start(restart + 1) <= fraction:
            restart += 1
        return restart, (fraction - start(restart)) / t ** restart


NAMES = tuple(registry.names(KIND))


def serialize(schedule: LearningRateSchedule) -> dict:
    """`{"class_name", "config"}` for a schedule (plain JSON data)."""
    return {"class_name": registry.class_name_of(type(schedule)), "config": schedule.get_config()}


def get(identifier) -> LearningRateSchedule:
    """A schedule from an instance, a `{"class_name", "config"}` dict, or a class name.

    A bare class name builds the schedule from its `PARAMS` defaults (GUI suggestions).

    Raises:
        SpecError: for an unknown name or a config the class rejects.
    """
    if isinstance(identifier, LearningRateSchedule):
        return identifier
    if isinstance(identifier, str):
        cls = _schedule_class(identifier)
        return cls(**{p.name: p.default for p in cls.PARAMS})
    if isinstance(identifier, dict) and "class_name" in identifier:
        cls = _schedule_class(identifier["class_name"])
        config = identifier.get("config", {})
        if not isinstance(config, dict):
            raise SpecError(f"Schedule {identifier['class_name']!r}: `config` must be a dict. "
                            f"Received: {config!r}")
        try:
            return cls.from_config(dict(config))
        except TypeError as exc:
            raise SpecError(
                f"Bad config for schedule {identifier['class_name']!r}: {exc}") from None
    raise SpecError(
        f"Cannot interpret learning-rate schedule {identifier!r}. Expected a schedule, one of "
        f"{describe_choices(NAMES)}, or a config such as "
        "{'class_name': 'ExponentialDecay', 'config': {'initial_learning_rate': 0.01, "
        "'decay_steps': 1000, 'decay_rate': 0.96}}."
    )


def _schedule_class(name):
    if name not in NAMES:
        raise SpecError(
            f"Unknown learning-rate schedule {name!r}. Expected one of: {describe_choices(NAMES)}."
        )
    return registry.get_class(KIND, name)
