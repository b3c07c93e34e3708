"""Slot storage of an optimizer (moments, accumulators) and its checkpoint state.

Two independent groups: per-variable slots (a dict of arrays per position, for
`apply_gradients`) and flat slots (one array per slot name, for `apply_flat`). Both are
created lazily on the first step, on the device and in the dtype of the parameters. State
restored before that waits as NumPy copies and is applied when the slots are built.
"""

import operator

import numpy as np

from .. import backend
from ..errors import CheckpointError, ShapeError, SpecError, TrainingError
from .flat_views import tiling


def _copy_to(like, value):
    """A fresh array holding `value`, on the device and in the dtype of `like`."""
    xp = backend.get_array_module(like)
    return xp.array(backend.to_numpy(value), dtype=like.dtype, copy=True)


class SlotState:
    """Slots of one optimizer, for both update paths."""

    def __init__(self, optimizer):
        self._opt = optimizer
        self.variable_slots: list | None = None
        self._variables: list | None = None
        self._flat: dict | None = None
        self._flat_size: int | None = None
        self._segments: tuple = ()
        self._pending_flat: dict = {}
        self._pending_vars: dict = {}  # (slot name, position) -> numpy array
        # True when the per-variable slots are views into the flat slots (`flat_views.py`)
        self.variables_share_flat = False
        self._last_tiling: tuple = ([], None)

    @property
    def _owner(self) -> str:
        return type(self._opt).__name__

    # ----- per-variable path -------------------------------------------------------------
    def resolve_variables(self, grads: list, variables) -> list:
        if variables is None:
            if self._variables is None:
                raise TrainingError(
                    f"{self._owner}: when passing `grads` without `variables`, the optimizer "
                    "must already be built on a list of variables. Call "
                    "`optimizer.build(variables)` first."
                )
            variables = self._variables
        variables = list(variables)
        if len(grads) != len(variables):
            raise ShapeError(f"{self._owner}: received {len(grads)} gradients for "
                             f"{len(variables)} variables; pass one gradient per variable.")
        if self.variable_slots is None:
            self.build_variables(variables)
        else:
            self._check_same_variables(variables)
        return variables

    def build_variables(self, variables: list) -> None:
        if self.variable_slots is not None:
            return
        for i, w in enumerate(variables):
            _check_float_array(w, f"{self._owner}: variable {i}")
        restored = {i for _, i in self._pending_vars}
        if restored and restored != set(range(len(variables))):
            raise CheckpointError(
                f"{self._owner}: the restored state holds slots for variable positions "
                f"{sorted(restored)}, but the optimizer is applied to {len(variables)} variables."
            )
        names = self._opt.slot_names()
        tiled = None if self._pending_vars else tiling(variables)
        if tiled is not None and self._flat_size in (None, tiled[0].shape[0]):
            flat = self.flat_slots(backend.get_array_module(tiled[0]), tiled[0])
            self.variable_slots = [{name: flat[name][a:b].reshape(w.shape) for name in names}
                                   for w, (a, b) in zip(variables, tiled[1])]
            self.variables_share_flat = True
        else:
            self.variable_slots = [
                {name: self._new_slot(w, self._pending_vars.pop((name, i), None), name)
                 for name in names}
                for i, w in enumerate(variables)
            ]
        self._variables = list(variables)

    def shared_flat(self, variables) -> tuple | None:
        """`(flat parameters, segments)` when this step's variables still tile the flat
        array whose slots the per-variable slots view; else None."""
        if not self.variables_share_flat:
            return None
        last_arrays, last_tiled = self._last_tiling
        if len(last_arrays) == len(variables) and all(map(operator.is_, last_arrays, variables)):
            return last_tiled  # the same view arrays as last step: the same tiling
        tiled = tiling(variables)
        if tiled is not None and tiled[0].shape[0] != self._flat_size:
            tiled = None
        self._last_tiling = (list(variables), tiled)
        return tiled

    def _check_same_variables(self, variables: list) -> None:
        if len(variables) == len(self._variables) and all(
                map(operator.is_, variables, self._variables)):
            return  # the very arrays it was built on (a training loop's every step)
        built = [tuple(w.shape) for w in self._variables]
        given = [tuple(getattr(w, "shape", ())) for w in variables]
        if built != given:
            raise TrainingError(
                f"{self._owner} was built for variables of shapes {built} but received "
                f"{given}. An optimizer can only be applied to the variables it was first "
                "applied to; create a new optimizer for new variables."
            )

    def check_gradient(self, g, w, position: int):
        """`g` as an array in `w`'s dtype, or a ShapeError naming the position."""
        if not hasattr(g, "shape"):
            g = backend.get_array_module(w).asarray(g)
        if tuple(g.shape) != tuple(w.shape):
            raise ShapeError(f"{self._owner}: gradient {position} has shape {tuple(g.shape)} "
                             f"but its variable has shape {tuple(w.shape)}.")
        return g if g.dtype == w.dtype else g.astype(w.dtype)

    def _new_slot(self, like, pending, name: str):
        if pending is None:
            xp = backend.get_array_module(like)
            return xp.full(like.shape, self._opt.slot_initial_value(name), dtype=like.dtype)
        if tuple(pending.shape) != tuple(like.shape):
            raise CheckpointError(
                f"{self._owner}: restored slot {name!r} has shape {tuple(pending.shape)}, but "
                f"the parameters it belongs to have shape {tuple(like.shape)}."
            )
        return _copy_to(like, pending)

    # ----- flat path -------------------------------------------------------------------
    def check_flat(self, flat_grad, flat_param, segments) -> tuple:
        _check_float_array(flat_param, f"{self._owner}.apply_flat: `flat_param`")
        if flat_param.ndim != 1 or tuple(getattr(flat_grad, "shape", ())) != flat_param.shape:
            raise ShapeError(
                f"{self._owner}.apply_flat expects 1-D `flat_param` and `flat_grad` of the same "
                f"length. Received shapes {tuple(getattr(flat_grad, 'shape', ()))} and "
                f"{tuple(flat_param.shape)}."
            )
        if self._flat_size is not None and self._flat_size != flat_param.shape[0]:
            raise TrainingError(
                f"{self._owner} was built for {self._flat_size} flat parameters but received "
                f"{flat_param.shape[0]}; create a new optimizer."
            )
        segments = tuple((int(a), int(b)) for a, b in segments)
        if segments != self._segments:
            size = flat_param.shape[0]
            for a, b in segments:
                if not 0 <= a <= b <= size:
                    raise ShapeError(f"{self._owner}.apply_flat: segment ({a}, {b}) does not lie "
                                     f"within the {size} flat parameters.")
            self._segments = segments
        return segments

    def flat_slots(self, xp, flat_param) -> dict:
        if self._flat is None:
            self._flat_size = flat_param.shape[0]
            names = self._opt.slot_names()
            self._flat = {name: self._new_slot(flat_param, self._pending_flat.pop(name, None),
                                               name) for name in names}
        return self._flat

    # ----- checkpoint state ------------------------------------------------------------------
    def get_state(self) -> dict:
        opt = self._opt
        state = {"iterations": np.array(opt.iterations, dtype=np.int64)}
        if not opt.has_schedule:
            state["learning_rate"] = np.array(opt.current_learning_rate, dtype=np.float64)
        for key, value in opt.scalar_state().items():
            state[key] = np.array(value, dtype=np.float64)
        flat = self._flat if self._flat is not None else self._pending_flat
        for name, array in flat.items():
            state[name] = backend.to_numpy(array).copy()
        if self.variables_share_flat:
            pass  # the flat entries above hold them
        elif self.variable_slots is not None:
            for i, slots in enumerate(self.variable_slots):
                for name, array in slots.items():
                    state[f"{name}.{i}"] = backend.to_numpy(array).copy()
        else:
            for (name, i), array in sorted(self._pending_vars.items(), key=lambda kv: kv[0][1]):
                state[f"{name}.{i}"] = array.copy()
        return state

    def set_state(self, state: dict) -> None:
        if not isinstance(state, dict):
            raise CheckpointError(f"{self._owner}: optimizer state must be a dict of arrays. "
                                  f"Received: {type(state).__name__}")
        entries = {key: np.asarray(backend.to_numpy(value)) for key, value in state.items()}
        iterations, learning_rate, scalars = self._read_scalars(entries)
        flat, per_var = self._read_slots(entries)
        # Everything validated: commit.
        opt = self._opt
        opt.iterations = iterations
        if learning_rate is not None:
            opt.learning_rate = learning_rate
        opt.set_scalar_state(scalars)
        self._commit_flat(flat)
        self._commit_vars(per_var)

    def _read_scalars(self, entries: dict):
        if "iterations" not in entries:
            raise CheckpointError(f"{self._owner}: optimizer state has no 'iterations' entry.")
        iterations = _scalar(entries.pop("iterations"), "iterations", self._owner)
        if iterations < 0 or iterations != int(iterations):
            raise CheckpointError(f"{self._owner}: 'iterations' must be a whole number >= 0. "
                                  f"Received: {iterations!r}")
        learning_rate = entries.pop("learning_rate", None)
        if learning_rate is not None:
            if self._opt.has_schedule:
                raise CheckpointError(
                    f"{self._owner}: the state holds a fixed learning rate, but this optimizer "
                    "uses a learning-rate schedule; restore it into an optimizer built from "
                    "the same config."
                )
            learning_rate = float(_scalar(learning_rate, "learning_rate", self._owner))
        scalars = {}
        for key in self._opt.scalar_state():
            if key not in entries:
                raise CheckpointError(f"{self._owner}: optimizer state has no {key!r} entry.")
            scalars[key] = float(_scalar(entries.pop(key), key, self._owner))
        return int(iterations), learning_rate, scalars

    def _read_slots(self, entries: dict):
        names = self._opt.slot_names()
        flat, per_var = {}, {}
        for key, value in entries.items():
            name, _, index = key.rpartition(".")
            if key in names:
                flat[key] = value
            elif name in names and index.isdigit():
                per_var[(name, int(index))] = value
            else:
                expected = ", ".join(("iterations", "learning_rate", *self._opt.scalar_state(),
                                      *names, *(f"{n}.<position>" for n in names)))
                raise CheckpointError(f"{self._owner}: unknown optimizer state entry {key!r}. "
                                      f"Expected: {expected}.")
        if flat and set(flat) != set(names):
            raise CheckpointError(f"{self._owner}: the state holds flat slots {sorted(flat)}; "
                                  f"expected all of {list(names)}.")
        for i in {i for _, i in per_var}:
            if {n for n, j in per_var if j == i} != set(names):
                raise CheckpointError(f"{self._owner}: the state is missing slots of variable "
                                      f"{i}; expected all of {list(names)}.")
        self._check_built_shapes(flat, per_var)
        return flat, per_var

    def _check_built_shapes(self, flat: dict, per_var: dict) -> None:
        for name, value in flat.items():
            target = self._flat[name] if self._flat is not None else None
            if value.ndim != 1 or (target is not None and value.shape != target.shape):
                raise CheckpointError(f"{self._owner}: restored flat slot {name!r} has shape "
                                      f"{value.shape}; expected a 1-D array matching the "
                                      "parameters.")
        if self.variable_slots is None or not per_var:
            return
        positions = {i for _, i in per_var}
        if positions != set(range(len(self.variable_slots))):
            raise CheckpointError(
                f"{self._owner}: the state holds slots for variable positions "
                f"{sorted(positions)}, but the optimizer was built for "
                f"{len(self.variable_slots)} variables.")
        for (name, i), value in per_var.items():
            target = self.variable_slots[i][name]
            if tuple(value.shape) != tuple(target.shape):
                raise CheckpointError(
                    f"{self._owner}: restored slot '{name}.{i}' has shape {value.shape}; "
                    f"expected {tuple(target.shape)}.")

    def _commit_flat(self, flat: dict) -> None:
        if not flat:
            return
        if self._flat is None:
            self._pending_flat = {k: np.array(v, copy=True) for k, v in flat.items()}
            return
        for name, value in flat.items():
            target = self._flat[name]
            target[...] = _copy_to(target, value)

    def _commit_vars(self, per_var: dict) -> None:
        if not per_var:
            return
        if self.variable_slots is None:
            self._pending_vars = {k: np.array(v, copy=True) for k, v in per_var.items()}
            return
        for (name, i), value in per_var.items():
            target = self.variable_slots[i][name]
            target[...] = _copy_to(target, value)


def _check_float_array(a, what: str) -> None:
    dtype = getattr(a, "dtype", None)
    if dtype is None or not hasattr(a, "shape") or np.dtype(dtype).kind != "f":
        raise SpecError(
            f"{what} must be a NumPy or CuPy float array (it is updated in place). "
            f"Received: {type(a).__name__}" + (f" of dtype {dtype}" if dtype is not None else "")
        )


def _scalar(value, key: str, owner: str):
    """The number held by a one-element numeric array."""
    if value.size != 1 or value.dtype.kind not in "iuf":
        raise CheckpointError(f"{owner}: optimizer state entry {key!r} must be a single number. "
                              f"Received an array of shape {value.shape} and dtype {value.dtype}.")
    return value.reshape(()).item()
