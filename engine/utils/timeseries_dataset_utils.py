"""`timeseries_dataset_from_array`: sliding windows over a series, as a batched `Dataset`.

The windows are strided views of `data` (`numpy.lib.stride_tricks`), never copied as a
whole: each batch gathers only its own windows, which is what Keras's `tf.data` pipeline
saves too (samples `N` and `N + 1` share most of their steps).
"""

import numpy as np

from ..data import Dataset
from ..errors import DataError, SpecError


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None):
    """Creates a dataset of sliding windows over a timeseries provided as array.

    Window `i` starts at `start_index + i * sequence_stride` and takes `sequence_length`
    steps, `sampling_rate` apart. With indices `[0, 1, ... 98]`, `sequence_length=10`,
    `sampling_rate=2` and `sequence_stride=3`, the windows are `[0 2 4 ... 18]`,
    `[3 5 7 ... 21]`, ..., `[78 80 ... 96]`.

    Args:
        data: Array of consecutive data points; axis 0 is time.
        targets: `targets[i]` is the target of the window that starts at index `i`, or
            `None` for a dataset of windows only.
        sequence_length: Length of the output sequences (in number of timesteps).
        sequence_stride: Period between successive output sequences. Defaults to `1`.
        sampling_rate: Period between successive steps within a sequence. Defaults to `1`.
        batch_size: Windows per batch (the last may be smaller), or `None` for single
            windows. Defaults to `128`.
        shuffle: Whether to serve the windows in a random order (a new one each epoch).
        seed: Optional int, the seed of that order.
        start_index: Optional int; data points before it are not used.
        end_index: Optional int; data points from it on are not used.

    Returns:
        An `engine.data.Dataset` yielding `(batch_of_sequences, batch_of_targets)`, or only
        the sequences when `targets` is `None`; `fit`, `evaluate` and `predict` take it.

    Raises:
        SpecError: for an argument out of range (Keras's checks and messages).
        DataError: when the data holds no complete window, or `targets` is too short.
    """
    data = np.asarray(data)
    start, end = _check_range(data, start_index, end_index)
    _check_positive(sequence_length, "sequence_length")
    for value, name in ((sampling_rate, "sampling_rate"), (sequence_stride, "sequence_stride")):
        _check_positive(value, name)
        if value >= len(data):
            raise SpecError(f"`{name}` must be lower than the length of the data. Received: "
                            f"{name}={value}, for data of length {len(data)}")
    windows = _windows(data[start:end], sequence_length, sampling_rate)
    count = windows.shape[0]
    if targets is not None:
        count = min(count, len(targets))
    windows = windows[:count:sequence_stride]
    if targets is None:
        dataset = Dataset.from_tensor_slices(windows)
    else:
        dataset = Dataset.from_tensor_slices((windows, _targets(targets, start, end,
                                                                windows.shape[0],
                                                                sequence_stride)))
    if shuffle:
        dataset = dataset.shuffle(max(1, (batch_size or 128) * 8), seed=seed)
    return dataset if batch_size is None else dataset.batch(batch_size)


def _check_positive(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise SpecError(f"`{name}` must be higher than 0. Received: {name}={value!r}")


def _check_range(data, start_index, end_index) -> tuple[int, int]:
    """Keras's checks of `start_index` and `end_index`; returns the used slice's bounds."""
    if data.ndim == 0:
        raise DataError("`data` must be an array with a time axis (axis 0). Received a scalar.")
    for value, name in ((start_index, "start_index"), (end_index, "end_index")):
        if value is not None and (isinstance(value, bool)
                                  or not isinstance(value, (int, np.integer))):
            raise SpecError(f"`{name}` must be None or an integer. Received: {name}={value!r}")
    if start_index:
        if start_index < 0:
            raise SpecError(f"`start_index` must be 0 or greater. Received: "
                            f"start_index={start_index}")
        if start_index >= len(data):
            raise SpecError(f"`start_index` must be lower than the length of the data. "
                            f"Received: start_index={start_index}, for data of length {len(data)}")
    if end_index is not None:
        if start_index and end_index <= start_index:
            raise SpecError(f"`end_index` must be higher than `start_index`. Received: "
                            f"start_index={start_index}, and end_index={end_index}")
        if end_index >= len(data):
            raise SpecError(f"`end_index` must be lower than the length of the data. "
                            f"Received: end_index={end_index}, for data of length {len(data)}")
        if end_index <= 0:
            raise SpecError(f"`end_index` must be higher than 0. Received: end_index={end_index}")
    return int(start_index or 0), int(len(data) if end_index is None else end_index)


def _windows(series, sequence_length, sampling_rate):
    """Every window of the series, `(windows, sequence_length, *step_shape)`, as a view."""
    span = (sequence_length - 1) * sampling_rate + 1
    if span > len(series):
        raise DataError(f"The data has {len(series)} usable time steps, fewer than one window "
                        f"spans ({span}: sequence_length={sequence_length}, sampling_rate="
                        f"{sampling_rate}). Fix: pass more data, or a shorter sequence_length "
                        "or sampling_rate.")
    view = np.lib.stride_tricks.sliding_window_view(series, span, axis=0)
    # The window axis comes last from sliding_window_view; Keras puts it second.
    return np.moveaxis(view[..., ::sampling_rate], -1, 1)


def _targets(targets, start, end, count, sequence_stride):
    """The target of each window: `targets[start:end][i * sequence_stride]`."""
    chosen = np.asarray(targets)[start:end][::sequence_stride][:count]
    if len(chosen) < count:
        raise DataError(f"`targets` has {len(targets)} entries, too few for the {count} "
                        f"windows between start_index={start} and end_index={end}. Fix: pass "
                        "one target per time step of `data`.")
    return chosen
