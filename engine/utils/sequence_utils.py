"""`pad_sequences`: lists of sequences to one array, as Keras pads and truncates them."""

import numpy as np

from ..errors import DataError, SpecError

SIDES = ("pre", "post")


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Pads (or truncates) sequences to one length: `(len(sequences), maxlen)`.

    Sequences shorter than `maxlen` are padded with `value`, longer ones lose steps, at the
    start (`"pre"`, the default) or at the end (`"post"`). Each step may itself be an array
    (then every step must have the first non-empty sequence's shape).

        pad_sequences([[1], [2, 3], [4, 5, 6]])   # [[0, 0, 1], [0, 2, 3], [4, 5, 6]]

    Args:
        sequences: List of sequences (each a list or array of numbers).
        maxlen: Optional int, the length of every output sequence. Defaults to the length of
            the longest sequence.
        dtype: Type of the output. Defaults to `"int32"`; use `object` to pad strings.
        padding: `"pre"` or `"post"`: pad before or after each sequence.
        truncating: `"pre"` or `"post"`: remove steps from the start or the end of
            sequences longer than `maxlen`.
        value: The padding value. Defaults to `0.0`.

    Returns:
        A NumPy array of shape `(len(sequences), maxlen) + step_shape`.

    Raises:
        SpecError: for a bad `padding`, `truncating` or `maxlen`, or a string `value` with a
            numeric `dtype`.
        DataError: when `sequences` is not a list of sequences, or steps differ in shape.
    """
    _check_side(padding, "padding")
    _check_side(truncating, "truncating")
    lengths, step_shape = _lengths_and_step_shape(sequences)
    maxlen = _check_maxlen(maxlen, lengths)
    _check_value(value, dtype)
    x = np.full((len(sequences), maxlen) + step_shape, value, dtype=dtype)
    if maxlen == 0:
        return x
    for index, sequence in enumerate(sequences):
        if not len(sequence):
            continue  # an empty sequence is all padding
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != step_shape:
            raise DataError(f"Shape of sample {kept.shape[1:]} of sequence at position {index} "
                            f"is different from expected shape {step_shape} (the first "
                            "non-empty sequence's). Fix: give every step the same shape.")
        if padding == "post":
            x[index, :len(kept)] = kept
        else:
            x[index, -len(kept):] = kept
    return x


def _check_side(side, name):
    if side not in SIDES:
        raise SpecError(f"`{name}` must be 'pre' or 'post'. Received: {name}={side!r}")


def _lengths_and_step_shape(sequences):
    """Each sequence's length, and the shape of one step of the first non-empty one."""
    if not hasattr(sequences, "__len__") or isinstance(sequences, (str, bytes)):
        raise DataError(f"`sequences` must be a list of sequences. Received: "
                        f"{type(sequences).__name__}")
    lengths, step_shape = [], None
    for index, sequence in enumerate(sequences):
        try:
            lengths.append(len(sequence))
        except TypeError:
            raise DataError(f"`sequences` must be a list of iterables. Found non-iterable: "
                            f"{sequence!r} at position {index}. Fix: wrap single values in a "
                            "list, e.g. [[3], [1, 2]].") from None
        if step_shape is None and len(sequence):
            step_shape = np.asarray(sequence).shape[1:]
    return lengths, step_shape or ()


def _check_maxlen(maxlen, lengths) -> int:
    if maxlen is None:
        return int(max(lengths, default=0))
    if isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 0:
        raise SpecError(f"`maxlen` must be None or an integer >= 0. Received: maxlen={maxlen!r}")
    return int(maxlen)


def _check_value(value, dtype):
    is_text = dtype is not object and (np.issubdtype(dtype, np.str_)
                                       or np.issubdtype(dtype, np.bytes_))
    if isinstance(value, str) and dtype is not object and not is_text:
        raise SpecError(f"`dtype` {dtype} is not compatible with `value`'s type: "
                        f"{type(value).__name__}. Fix: set dtype=object for variable length "
                        "strings.")
