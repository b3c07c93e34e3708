"""Keras-style terminal progress bar, and the ProgbarLogger callback that drives it.

    Epoch 1/5
     12/938 ━━━━━━━━━━━━━━━━━━━━ 4s 5ms/step - accuracy: 0.4123 - loss: 1.7012
    938/938 ━━━━━━━━━━━━━━━━━━━━ 3s 3ms/step - accuracy: 0.8711 - loss: 0.4453
"""

import math
import sys
import time

from .base import Callback

BAR_CHAR = "━"  # done part of the bar
REST_CHAR = "─"  # remaining part: a lighter line, so the bar reads without colours


def format_value(value) -> str:
    """4 decimals, or `.4e` for tiny values (Keras's rule); other values as text."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:.4f}" if abs(number) > 1e-3 or number == 0 else f"{number:.4e}"


def format_eta(seconds: float) -> str:
    seconds = int(seconds)
    if seconds > 3600:
        return f"{seconds // 3600}:{(seconds % 3600) // 60:02d}:{seconds % 60:02d}"
    if seconds > 60:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds}s"


def format_step_time(seconds: float, unit: str = "step") -> str:
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


class Progbar:
    """A progress bar for `target` steps, rewritten in place with `\\r` when possible.

    Args:
        target: Total number of steps, or None when unknown.
        width: Width of the bar in characters. Defaults to `20`.
        verbose: 1 draws the bar; 2 prints one line when finished; 0 is silent.
        interval: Least seconds between two redraws (the last one is always drawn).
        unit_name: Unit of the per-step time. Defaults to `"step"`.
        stream: Where to write; defaults to `sys.stdout` at each write.
        dynamic: Whether `\\r` updates work (defaults to whether the stream is a terminal
            or Jupyter); otherwise only the final line is printed.
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, unit_name="step",
                 stream=None, dynamic=None):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self._stream = stream
        self._dynamic = dynamic
        self._values = {}
        self._start = time.monotonic()
        self._last_update = 0.0
        self._previous_width = 0
        self.finished = False

    @property
    def stream(self):
        return self._stream if self._stream is not None else sys.stdout

    @property
    def dynamic(self) -> bool:
        if self._dynamic is not None:
            return self._dynamic
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty()) or "ipykernel" in sys.modules

    def due(self, current: int) -> bool:
        """Whether `update(current)` would redraw now (values shown are read only then)."""
        if self.verbose == 0 or self.finished:
            return False
        finalize = self.target is not None and current >= self.target
        return finalize or time.monotonic() - self._last_update >= self.interval

    def update(self, current: int, values=None, finalize=None) -> None:
        """Shows `current` steps done; `values` are `(name, value)` pairs (latest wins)."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or []:
            self._values[name] = value
        now = time.monotonic()
        if self.verbose == 0 or self.finished:
            return
        if not finalize and now - self._last_update < self.interval:
            return  # throttled: the terminal need not redraw for every batch
        self._last_update = now
        per_step = (now - self._start) / current if current else 0.0
        if self.verbose == 1:
            self._draw(current, now, per_step, finalize)
        elif finalize:
            self._write(f"{self._count(current)} - {now - self._start:.0f}s - "
                        f"{format_step_time(per_step, self.unit_name)}{self._metrics()}\n")
        self.finished = finalize

    def _draw(self, current, now, per_step, finalize) -> None:
        if not finalize and not self.dynamic:
            return  # in a log file only the final line is worth keeping
        if self.target is None or finalize:
            timing = f"{now - self._start:.0f}s {format_step_time(per_step, self.unit_name)}"
        else:
            eta = per_step * (self.target - current)
            timing = f"{format_eta(eta)} {format_step_time(per_step, self.unit_name)}"
        line = f"{self._count(current)} {self._bar(current)}{timing}{self._metrics()}"
        padding = " " * max(0, self._previous_width - len(line))
        self._previous_width = len(line)
        prefix = "\r" if self.dynamic else ""
        self._write(prefix + line + padding + ("\n" if finalize else ""))

    def _count(self, current) -> str:
        if self.target is None:
            return f"{current:7d}/Unknown"
        digits = int(math.log10(max(self.target, 1))) + 1
        return f"{current:{digits}d}/{self.target}"

    def _bar(self, current) -> str:
        if self.target is None:
            return ""
        filled = int(self.width * min(current / max(self.target, 1), 1.0))
        return BAR_CHAR * filled + REST_CHAR * (self.width - filled) + " "

    def _metrics(self) -> str:
        return "".join(f" - {name}: {format_value(value)}" for name, value in self._values.items())

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


class ProgbarLogger(Callback):
    """Prints `Epoch i/N` and a progress bar with the logs (added by `fit` when verbose)."""

    def __init__(self):
        super().__init__()
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def on_train_begin(self, logs=None):
        self._called_in_fit = True

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()

    def on_predict_begin(self, logs=None):
        self._reset_progbar()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self._update_progbar(batch, logs)

    def wants_batch_logs(self, batch, mode="train"):
        # Only the line being drawn needs values (redraws are throttled); a bar that only
        # finalizes (verbose 2) shows the epoch logs.
        if self._subclass_reads_batch_logs(ProgbarLogger, mode):
            return True
        if self.verbose != 1 or (mode == "test" and self._called_in_fit):
            return False
        self._maybe_init_progbar()
        return self.progbar.due(batch + 1)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._update_progbar(batch, None)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs=None):
        self._finalize_progbar(logs)

    def _reset_progbar(self) -> None:
        self.seen = 0
        self.progbar = None

    def _maybe_init_progbar(self) -> None:
        if self.progbar is None:
            self.progbar = Progbar(target=self.target, verbose=self.verbose, unit_name="step")

    def _update_progbar(self, batch, logs=None) -> None:
        self._maybe_init_progbar()
        self.seen = batch + 1  # one-based
        if logs is not None and not logs:
            return  # not due when asked (wants_batch_logs): drawing now would show old values
        if self.verbose == 1:
            self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _finalize_progbar(self, logs) -> None:
        self._maybe_init_progbar()
        if self.target is None:
            self.target = self.seen
            self.progbar.target = self.target
        self.progbar.update(self.target, list((logs or {}).items()), finalize=True)
