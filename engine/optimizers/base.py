"""The optimizer base class: Keras 3's arguments, step order and learning-rate handling.

One step, as in Keras's `BaseOptimizer.apply`: drop `None` gradients -> clip (per tensor,
global or by value) -> decoupled weight decay `w -= w * weight_decay * lr` (every optimizer,
before the update) -> the optimizer's own update -> `iterations += 1`.

Two ways in, one update rule. `apply_gradients` / `apply` update separate variables, one
slot dict per position. `apply_flat` updates every trainable parameter held in one flat
array with a single vectorised pass (flat slots too). A subclass writes its rule once, in
`_update(xp, w, g, slots, c, work)`, with in-place array ops only; `c` holds the step's
scalar coefficients, computed on the host as Python floats by `_coefficients(lr)`.
Slot storage and checkpoint state live in `slots.py`.
"""

from .. import backend, fpu, schedules
from ..errors import SpecError, TrainingError
from ..ops.core import value_of
from ..params import FLOAT, Param, to_json_value, validate_param
from . import clipping, flat_views
from .slots import SlotState

# Keras base arguments that LayerCraft accepts only at their no-op values, so that a Keras
# optimizer config loads; `ema_momentum` is ignored because EMA is off.
_KERAS_NOOP_ARGS = {"use_ema": False, "ema_overwrite_frequency": None,
                    "loss_scale_factor": None, "gradient_accumulation_steps": None}
_KERAS_IGNORED_ARGS = ("ema_momentum",)
_SCHEDULE_LR_MESSAGE = (
    "This optimizer was created with a `LearningRateSchedule` object as its `learning_rate` "
    "constructor argument, hence its learning rate is not settable. If you need the learning "
    "rate to be settable, you should instantiate the optimizer with a float `learning_rate` "
    "argument."
)


def learning_rate_param(default: float) -> Param:
    return Param("learning_rate", FLOAT, default, minimum=0.0,
                 help="Step size (or a learning-rate schedule).")


def common_params(weight_decay=None) -> tuple:
    """The base arguments every optimizer shows after its own (Keras names and meaning)."""
    return (
        Param("weight_decay", FLOAT, weight_decay, minimum=0.0, optional=weight_decay is None,
              help="Decoupled weight decay: w -= w * weight_decay * lr before each step."),
        Param("clipnorm", FLOAT, None, minimum=0.0, optional=True,
              help="Clip each weight's gradient to this L2 norm."),
        Param("clipvalue", FLOAT, None, minimum=0.0, optional=True,
              help="Clip every gradient element to [-clipvalue, clipvalue]."),
        Param("global_clipnorm", FLOAT, None, minimum=0.0, optional=True,
              help="Clip all gradients together to this global L2 norm."),
    )


class Optimizer:
    """Base class for optimizers (Keras 3 semantics on NumPy and CuPy arrays).

    Args:
        learning_rate: A float or a `LearningRateSchedule` (or its `{"class_name", "config"}`).
        weight_decay: Decoupled weight decay applied before every update, or `None`.
        clipnorm: Clip each gradient tensor to this L2 norm, or `None`.
        clipvalue: Clip gradient elements to `[-clipvalue, clipvalue]`, or `None`.
        global_clipnorm: Clip all gradients by their joint L2 norm, or `None`.
        name: Defaults to the lower-case class name.
    """

    PARAMS: tuple[Param, ...] = ()
    DESCRIPTION = ""
    #: Scratch arrays (the size of the parameters) an update step needs.
    WORK_BUFFERS = 1

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        self._check_extra_kwargs(kwargs)
        if name is not None and not isinstance(name, str):
            raise SpecError(f"{self._owner}: `name` must be a string. Received: name={name!r}")
        self.name = name or type(self).__name__.lower()
        self._learning_rate = self._parse_learning_rate(learning_rate)
        self._configure(weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
                        global_clipnorm=global_clipnorm)
        if sum(v is not None for v in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise SpecError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}"
            )
        self.iterations = 0
        self._state = SlotState(self)
        self._flat_work: list = []
        self._flat_grad_buffer = None
        self._gathered = None  # the flat gradient a Keras-style apply() on model weights fills

    # ----- configuration -------------------------------------------------------------------
    @property
    def _owner(self) -> str:
        return type(self).__name__

    def _configure(self, **values) -> None:
        """Validates each declared argument against `PARAMS` and stores it."""
        declared = {p.name: p for p in self.PARAMS}
        for key, value in values.items():
            setattr(self, key, validate_param(declared[key], value, owner=self._owner))

    def _check_extra_kwargs(self, kwargs: dict) -> None:
        unknown = {}
        for key, value in kwargs.items():
            if key in _KERAS_IGNORED_ARGS:
                continue
            if key in _KERAS_NOOP_ARGS:
                if value != _KERAS_NOOP_ARGS[key]:
                    raise SpecError(
                        f"{self._owner}: `{key}` is a Keras option LayerCraft does not "
                        f"implement. Received: {key}={value!r}. Remove it or set it to "
                        f"{_KERAS_NOOP_ARGS[key]!r}."
                    )
                continue
            unknown[key] = value
        if unknown:
            valid = ", ".join(p.name for p in self.PARAMS)
            raise SpecError(f"Argument(s) not recognized by {self._owner}: {unknown}. "
                            f"Valid arguments: {valid}, name.")

    def _parse_learning_rate(self, value):
        if isinstance(value, dict):
            return schedules.get(value)
        if isinstance(value, schedules.LearningRateSchedule):
            return value
        if getattr(value, "ndim", None) == 0 and getattr(value, "dtype", None) != bool:
            value = float(value)  # a 0-d array (NumPy or CuPy), as Keras's variable assigns
        return validate_param(self._param("learning_rate"), value, owner=self._owner)

    def _param(self, name: str) -> Param:
        return next(p for p in self.PARAMS if p.name == name)

    def get_config(self) -> dict:
        """Constructor arguments as JSON data; a schedule as `{"class_name", "config"}`."""
        lr = self._learning_rate
        config = {"name": self.name,
                  "learning_rate": schedules.serialize(lr) if self.has_schedule else float(lr)}
        for param in self.PARAMS:
            if param.name != "learning_rate":
                config[param.name] = to_json_value(getattr(self, param.name))
        return config

    @classmethod
    def from_config(cls, config: dict) -> "Optimizer":
        return cls(**config)

    # ----- learning rate --------------------------------------------------------------------
    @property
    def has_schedule(self) -> bool:
        return isinstance(self._learning_rate, schedules.LearningRateSchedule)

    @property
    def learning_rate(self) -> float:
        """The learning rate of the next step, as a float.

        As Keras's `optimizer.learning_rate`: the current value, with a schedule evaluated
        at `iterations` (Keras returns its `learning_rate` variable; here its value). The
        schedule itself stays in `get_config()["learning_rate"]`.
        """
        return self.current_learning_rate

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        """A float (or NumPy scalar) sets the rate; a schedule (or its config) replaces it.

        Raises:
            TypeError: a float for an optimizer built with a schedule, as in Keras.
        """
        if isinstance(value, (dict, schedules.LearningRateSchedule)):
            self._learning_rate = self._parse_learning_rate(value)
            return
        if self.has_schedule:
            raise TypeError(_SCHEDULE_LR_MESSAGE)
        self._learning_rate = self._parse_learning_rate(value)

    @property
    def current_learning_rate(self) -> float:
        """The learning rate the next step uses (a schedule evaluated at `iterations`)."""
        if self.has_schedule:
            return float(self._learning_rate(self.iterations))
        return float(self._learning_rate)

    # ----- the update rule (subclasses) -----------------------------------------------------
    def slot_names(self) -> tuple:
        """Per-parameter state arrays this configuration keeps (Keras variable names)."""
        return ()

    def slot_initial_value(self, name: str) -> float:
        return 0.0

    def _coefficients(self, lr: float) -> dict:
        """Host-side scalars for this step (`self.iterations` is still the old count)."""
        return {"lr": lr}

    def _update(self, xp, w, g, s: dict, c: dict, work: list) -> None:
        raise NotImplementedError(f"{self._owner} must implement _update()")

    def _fused_cpu_step(self, w, g, s: dict, c: dict, decay) -> bool:
        """Runs decay + update as one numba kernel and returns True, where this optimizer
        has one and the arrays suit it; False sends the step down the NumPy path."""
        return False

    def _step(self, xp, w, g, s: dict, c: dict, work: list, decay) -> None:
        """Decoupled weight decay (`decay = weight_decay * lr`, or None), then the update:
        in one fused CPU kernel where the optimizer has one (`engine.kernels`)."""
        if self._fused_cpu_step(w, g, s, c, decay):
            return
        if decay is not None:
            t = work[0]
            xp.multiply(w, decay, out=t)  # w -= w * weight_decay * lr
            w -= t
        self._update(xp, w, g, s, c, work)

    def _begin_step(self):
        """(coefficients, decay factor) of the step about to run."""
        lr = self.current_learning_rate
        decay = None if self.weight_decay is None else self.weight_decay * lr
        return self._coefficients(lr), decay

    # ----- Keras API: separate variables -----------------------------------------------------
    def build(self, variables) -> None:
        """Creates the per-variable slots (done lazily by the first `apply`)."""
        self._state.build_variables(list(variables))

    def apply_gradients(self, grads_and_vars) -> int:
        """Updates each variable in place from its gradient; returns `iterations`."""
        pairs = list(grads_and_vars)
        if pairs:
            grads, variables = zip(*pairs)
            self.apply(list(grads), list(variables))
        return self.iterations

    @fpu.flushed
    def apply(self, grads, variables=None) -> None:
        """Keras's `apply(grads, trainable_variables)`; `None` gradients are skipped."""
        grads = [None if g is None else value_of(g) for g in grads]
        if not grads:
            return
        if variables is not None:  # Variables update their arrays in place (flat-buffer views)
            variables = [value_of(v) for v in variables]
        variables = self._state.resolve_variables(grads, variables)
        complete = all(g is not None for g in grads)
        shared = self._state.shared_flat(variables) if complete else None
        if shared is not None:  # a model's weights: fit()'s one-pass step on its flat buffer
            flat, segments = shared
            checked = [self._state.check_gradient(g, w, i)
                       for i, (g, w) in enumerate(zip(grads, variables))]
            flat_grad = flat_views.tiled_by(checked, flat, segments)
            if flat_grad is None:  # copied into a buffer of ours, reused every step
                flat_grad = self._gathered = flat_views.gathered(checked, flat, segments,
                                                                 self._gathered)
            self.apply_flat(flat_grad, flat, segments)
            return
        active = [i for i, g in enumerate(grads) if g is not None]
        if not active:
            raise TrainingError(f"{self._owner}: no gradients provided for any variable.")
        xp = backend.get_array_module(*(variables[i] for i in active))
        clipped = clipping.clip_list(
            xp, [self._state.check_gradient(grads[i], variables[i], i) for i in active], self)
        c, decay = self._begin_step()
        for i, g in zip(active, clipped):
            w = variables[i]
            work = [xp.empty_like(w) for _ in range(self.WORK_BUFFERS)]
            self._step(xp, w, g, self._state.variable_slots[i], c, work, decay)
        self.iterations += 1

    # ----- fast path: one flat parameter array -------------------------------------------------
    def apply_flat(self, flat_grad, flat_param, segments) -> None:
        """One step on every trainable parameter held in one flat array, in place.

        Args:
            flat_grad: 1-D gradient, same length as `flat_param`.
            flat_param: 1-D array of all trainable parameters (updated in place).
            segments: `(start, stop)` of each original variable; used by per-tensor
                `clipnorm`, so that the result equals `apply_gradients` on the variables.
        """
        xp = backend.get_array_module(flat_param)
        segments = self._state.check_flat(flat_grad, flat_param, segments)
        slots = self._state.flat_slots(xp, flat_param)
        g = self._flat_gradient(xp, flat_grad, flat_param, segments)
        c, decay = self._begin_step()
        self._step(xp, flat_param, g, slots, c, self._flat_scratch(xp, flat_param), decay)
        self.iterations += 1

    def _flat_scratch(self, xp, flat_param) -> list:
        """Scratch arrays for the flat update, allocated once and reused every step."""
        if len(self._flat_work) != self.WORK_BUFFERS or not _same_kind(self._flat_work[0],
                                                                       flat_param):
            self._flat_work = [xp.empty_like(flat_param) for _ in range(self.WORK_BUFFERS)]
        return self._flat_work

    def _flat_gradient(self, xp, flat_grad, flat_param, segments):
        if clipping.mode(self) is None and flat_grad.dtype == flat_param.dtype:
            return flat_grad
        if not _same_kind(self._flat_grad_buffer, flat_param):
            self._flat_grad_buffer = xp.empty_like(flat_param)
        return clipping.clip_flat(xp, flat_grad, segments, self, self._flat_grad_buffer)

    # ----- checkpoint state ----------------------------------------------------------------------
    def get_state(self) -> dict:
        """Name -> NumPy array: `iterations`, the float learning rate, scalars and slots.

        Flat slots are named like Keras variables (`"momentum"`); per-variable slots add the
        position (`"momentum.0"`).
        """
        return self._state.get_state()

    def set_state(self, state: dict) -> None:
        """Restores `get_state()` exactly; slots not built yet are applied when they are."""
        self._state.set_state(state)

    def scalar_state(self) -> dict:
        """Extra host scalars saved with the state (Nadam's momentum product)."""
        return {}

    def set_scalar_state(self, values: dict) -> None:
        """Restores `scalar_state()` values (floats)."""

    def __repr__(self):
        return f"{self._owner}(learning_rate={self._learning_rate!r}, name={self.name!r})"


def _same_kind(buffer, like) -> bool:
    """Whether a cached scratch array can serve `like` (same device, shape and dtype)."""
    return (buffer is not None and type(buffer) is type(like) and buffer.shape == like.shape
            and buffer.dtype == like.dtype)
