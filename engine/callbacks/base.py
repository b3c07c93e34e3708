"""The Callback base class (every Keras hook) and CallbackList, which dispatches them."""

import warnings

from ..errors import SpecError
from ..params import INT, STR, Param, to_json_value, validate_param


class CallbackWarning(UserWarning):
    """A soft problem a callback reports without stopping training (a missing metric...)."""


def warn(message: str) -> None:
    """Issues a `CallbackWarning` attributed to the code that called the hook."""
    warnings.warn(message, CallbackWarning, stacklevel=3)  # the hook that warned


# Params shared by several callbacks (the GUI builds their forms from these).
def monitor_param(default: str = "val_loss") -> Param:
    return Param("monitor", STR, default,
                 help="Quantity to watch, a key of the epoch logs (loss, val_accuracy...).")


MODE_PARAM = Param("mode", STR, "auto", choices=("auto", "min", "max"),
                   help="Whether the monitored quantity should go down (min) or up (max); "
                        "auto infers it from the name.")
VERBOSE_PARAM = Param("verbose", INT, 0, minimum=0, maximum=2,
                      help="0 is silent, 1 prints a message when the callback acts.")
SAVE_FREQ_PARAM = Param("save_freq", STR, "epoch",
                        help="'epoch' to act at each epoch end, or a number of batches.")


def check_save_freq(value, owner: str):
    """`"epoch"` or a positive number of batches (an int, or digits from a form)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if value == "epoch" or (isinstance(value, int) and not isinstance(value, bool) and value > 0):
        return value
    raise SpecError(f"{owner}: `save_freq` must be 'epoch' or a positive number of batches. "
                    f"Received: save_freq={value!r}")


class Callback:
    """Base class of callbacks: override the hooks you need (each does nothing here).

    Attributes:
        model: The model being trained (set by `set_model`); set `model.stop_training = True`
            to end training after the current batch.
        params: `{"epochs", "steps", "verbose"}` of the running `fit`.

    `logs` are dicts of Python floats. Epochs and batches are 0-based.
    """

    #: Editable arguments (for the GUI); names match `get_config` keys.
    PARAMS: tuple[Param, ...] = ()
    #: One line for the GUI.
    DESCRIPTION = ""

    def __init__(self):
        self.model = None
        self.params = {}

    def _configure(self, **values) -> None:
        """Validates the declared arguments in `values` and stores them as attributes."""
        declared = {p.name: p for p in self.PARAMS}
        for key, value in values.items():
            setattr(self, key, validate_param(declared[key], value, owner=type(self).__name__))

    def get_config(self) -> dict:
        """Constructor arguments from `PARAMS` as JSON data (`from_config` rebuilds)."""
        return {p.name: to_json_value(getattr(self, p.name)) for p in self.PARAMS}

    @classmethod
    def from_config(cls, config: dict) -> "Callback":
        return cls(**config)

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = dict(params)

    # ----- hooks (Keras names and arguments) -------------------------------------------------
    def on_train_begin(self, logs=None):
        """Start of `fit`."""

    def on_train_end(self, logs=None):
        """End of `fit`; `logs` are the last epoch's."""

    def on_epoch_begin(self, epoch, logs=None):
        """Start of epoch `epoch` (0-based)."""

    def on_epoch_end(self, epoch, logs=None):
        """End of an epoch; `logs` hold training metrics and `val_`-prefixed ones."""

    def on_train_batch_begin(self, batch, logs=None):
        """Start of a training batch; calls the legacy `on_batch_begin`, as Keras does."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """End of a training batch (running epoch aggregates); calls `on_batch_end`."""
        self.on_batch_end(batch, logs=logs)

    def on_batch_begin(self, batch, logs=None):
        """Legacy alias of `on_train_batch_begin`."""

    def on_batch_end(self, batch, logs=None):
        """Legacy alias of `on_train_batch_end`."""

    def on_test_begin(self, logs=None):
        """Start of `evaluate` (also during `fit`'s validation)."""

    def on_test_end(self, logs=None):
        """End of `evaluate`; `logs` are the results."""

    def on_test_batch_begin(self, batch, logs=None):
        """Start of an evaluation batch."""

    def on_test_batch_end(self, batch, logs=None):
        """End of an evaluation batch."""

    def on_predict_begin(self, logs=None):
        """Start of `predict`."""

    def on_predict_end(self, logs=None):
        """End of `predict`."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Start of a prediction batch."""

    def on_predict_batch_end(self, batch, logs=None):
        """End of a prediction batch."""

    def wants_batch_logs(self, batch: int, mode: str = "train") -> bool:
        """Whether this callback reads `logs` at the end of this train (or test) batch.

        Batch logs are running means kept on the device, and reading them waits for the
        device (on a GPU, a sync that stalls the queue every batch), so the loop builds them
        only when some callback says yes and passes `{}` otherwise. A callback says yes
        whenever it overrides (or was given) that batch-end hook, as any Keras callback
        expects; built-in callbacks that read batch logs only now and then override this.
        """
        return _redefines_batch_hooks(self, Callback, mode)

    def _subclass_reads_batch_logs(self, owner: type, mode: str) -> bool:
        """For built-ins that override `wants_batch_logs`: a user subclass (or instance) that
        redefines a batch-end hook again may read the logs, so it gets them."""
        return _redefines_batch_hooks(self, owner, mode)


def _redefines_batch_hooks(callback: Callback, owner: type, mode: str) -> bool:
    """Whether `callback` has batch-end hooks other than `owner`'s (a subclass method, or a
    function given to a LambdaCallback)."""
    hooks = ("on_train_batch_end", "on_batch_end") if mode == "train" else (
        "on_test_batch_end",)
    return any(hook in vars(callback) or getattr(type(callback), hook) is not getattr(owner, hook)
               for hook in hooks)


_INDEXED_HOOKS = ("on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
                  "on_train_batch_end", "on_batch_begin", "on_batch_end",
                  "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin",
                  "on_predict_batch_end")
_PLAIN_HOOKS = ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
                "on_predict_begin", "on_predict_end")
HOOKS = _PLAIN_HOOKS + _INDEXED_HOOKS


class CallbackList(Callback):
    """Calls each hook on every callback, in list order.

    Args:
        callbacks: Callback instances (a nested list is flattened).
        model: The model, passed to every callback's `set_model`.
        add_history: Adds a `History` (first) unless one is in the list.
        add_progbar: Appends a `ProgbarLogger` unless one is in the list.
        **params: `epochs`, `steps`, `verbose`, passed to every `set_params`.
    """

    def __init__(self, callbacks=None, model=None, add_history=False, add_progbar=False,
                 **params):
        super().__init__()
        self.callbacks = _flatten(callbacks or [])
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise SpecError(f"callbacks must be Callback instances. Received: {callback!r}")
        self._add_default_callbacks(add_history, add_progbar)
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def _add_default_callbacks(self, add_history: bool, add_progbar: bool) -> None:
        from .history import History  # noqa: PLC0415 - history imports this module
        from .progbar import ProgbarLogger  # noqa: PLC0415

        self.history = next((c for c in self.callbacks if isinstance(c, History)), None)
        self.progbar = next((c for c in self.callbacks if isinstance(c, ProgbarLogger)), None)
        if self.history is None and add_history:
            # First, so a checkpoint saved at an epoch's end already holds that epoch's logs.
            self.history = History()
            self.callbacks.insert(0, self.history)
        if self.progbar is None and add_progbar:
            self.progbar = ProgbarLogger()
            self.callbacks.append(self.progbar)

    def append(self, callback: Callback) -> None:
        self.callbacks.append(callback)
        if self.model is not None:
            callback.set_model(self.model)
        if self.params:
            callback.set_params(self.params)

    def set_model(self, model) -> None:
        super().set_model(model)
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        for callback in self.callbacks:
            callback.set_params(params)

    def wants_batch_logs(self, batch: int, mode: str = "train") -> bool:
        return any(c.wants_batch_logs(batch, mode) for c in self.callbacks)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)


def _flatten(items) -> list:
    flat = []
    for item in items:
        flat.extend(_flatten(item) if isinstance(item, (list, tuple)) else [item])
    return flat


# As in Keras (`pythonify_logs`), a hook called without logs passes `{}` on, so a callback
# may always read `logs.keys()`.
def _indexed_dispatcher(hook: str):
    def dispatch(self, index, logs=None):
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            getattr(callback, hook)(index, logs)

    dispatch.__name__ = hook
    dispatch.__doc__ = f"Calls `{hook}(index, logs or {{}})` on every callback, in order."
    return dispatch


def _plain_dispatcher(hook: str):
    def dispatch(self, logs=None):
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            getattr(callback, hook)(logs)

    dispatch.__name__ = hook
    dispatch.__doc__ = f"Calls `{hook}(logs or {{}})` on every callback, in order."
    return dispatch


for _hook in _INDEXED_HOOKS:
    setattr(CallbackList, _hook, _indexed_dispatcher(_hook))
for _hook in _PLAIN_HOOKS:
    setattr(CallbackList, _hook, _plain_dispatcher(_hook))
