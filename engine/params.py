"""Declared, user-editable hyperparameters.

Each layer, optimizer, loss or callback class lists its `PARAMS`, so the GUI can build its
forms and palettes from data, and `validate_param` checks a value the same way everywhere.
"""

from dataclasses import dataclass, field
import math

from .errors import SpecError, describe_choices

# Kinds of value a Param can hold.
INT, FLOAT, BOOL, STR, INTS, FLOATS = "int", "float", "bool", "str", "ints", "floats"
REGULARIZER = "regularizer"  # None, "l1", "l2", "l1_l2" or {"class_name", "config"}
INITIALIZER = "initializer"  # a name ("he_normal") or {"class_name", "config"}
KINDS = (INT, FLOAT, BOOL, STR, INTS, FLOATS, REGULARIZER, INITIALIZER)


@dataclass(frozen=True)
class Param:
    """One user-editable hyperparameter.

    Args:
        name: The constructor argument and `get_config` key.
        kind: One of `"int"`, `"float"`, `"bool"`, `"str"`, `"ints"` (a tuple of ints, such as
            a kernel size) or `"floats"`.
        default: The constructor default.
        minimum: Smallest valid value (for `ints`, of every entry), or `None`.
        maximum: Largest valid value, or `None`.
        choices: Valid strings for a `"str"` parameter; empty means free text.
        help: One line for tooltips.
        optional: Whether `None` is a valid value.
        length: For `ints`/`floats`, the tuple length (a single int is broadcast); `None`
            means any length.
        exclusive_minimum: Whether `minimum` itself is invalid (e.g. a rate must be < 1).
    """

    name: str
    kind: str
    default: object
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple = ()
    help: str = ""
    optional: bool = False
    length: int | None = None
    exclusive_maximum: bool = False
    exclusive_minimum: bool = False
    allow_negative_one: bool = field(default=False)  # Reshape's inferred axis
    allow_none_entries: bool = field(default=False)  # an Input shape's variable dimensions


def _where(owner: str) -> str:
    return f"{owner}: " if owner else ""


def validate_param(param: Param, value, owner: str = ""):
    """Checks `value` against `param` and returns it normalised (ints tuple, float...).

    Raises:
        SpecError: naming the owner and argument, the expected and the received value.
    """
    if value is None:
        if param.optional:
            return None
        raise SpecError(f"{_where(owner)}`{param.name}` is required. Received: None")
    check = _CHECKERS[param.kind]
    return check(param, value, owner)


def _fail(param: Param, value, owner: str, expected: str):
    raise SpecError(
        f"{_where(owner)}`{param.name}` must be {expected}. Received: {param.name}={value!r}"
    )


def _range_text(param: Param) -> str:
    low = "" if param.minimum is None else ("> " if param.exclusive_minimum else ">= ") + str(
        param.minimum
    )
    high = "" if param.maximum is None else ("< " if param.exclusive_maximum else "<= ") + str(
        param.maximum
    )
    return " and ".join(p for p in (low, high) if p)


def _in_range(param: Param, number) -> bool:
    if param.allow_negative_one and number == -1:
        return True
    if param.minimum is not None:
        if number < param.minimum or (param.exclusive_minimum and number == param.minimum):
            return False
    if param.maximum is not None:
        if number > param.maximum or (param.exclusive_maximum and number == param.maximum):
            return False
    return True


#: No count, size or index a model can use is this large; bigger numbers in a file are refused
#: here instead of overflowing or exhausting memory later.
LARGEST_INT = 2**31 - 1
LARGEST_FLOAT = 1e30


def _check_int(param, value, owner):
    if isinstance(value, bool) or not isinstance(value, (int,)) and not _is_integral(value):
        _fail(param, value, owner, "an integer" + _suffix(param))
    value = int(value)
    if abs(value) > LARGEST_INT:
        _fail(param, "a number too large to use", owner, f"an integer up to {LARGEST_INT:,}")
    if not _in_range(param, value):
        _fail(param, value, owner, "an integer " + _range_text(param))
    return value


def _is_integral(value) -> bool:
    try:
        import numpy as np  # noqa: PLC0415

        return isinstance(value, np.integer)
    except ImportError:  # pragma: no cover
        return False


def _suffix(param: Param) -> str:
    text = _range_text(param)
    return f" {text}" if text else ""


def _check_float(param, value, owner):
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not _is_real(value):
        _fail(param, value, owner, "a number" + _suffix(param))
    try:
        value = float(value)
    except OverflowError:
        _fail(param, "a number too large to use", owner, "a finite number")
    if not math.isfinite(value) or abs(value) > LARGEST_FLOAT or not _in_range(param, value):
        _fail(param, value, owner, "a number " + _range_text(param))
    return value


def _is_real(value) -> bool:
    import numpy as np  # noqa: PLC0415

    return isinstance(value, (np.floating, np.integer))


def _check_bool(param, value, owner):
    if not isinstance(value, bool):
        _fail(param, value, owner, "True or False")
    return value


def _check_str(param, value, owner):
    if not isinstance(value, str):
        _fail(param, value, owner, "a string")
    if param.choices and value not in param.choices:
        _fail(param, value, owner, f"one of {describe_choices(param.choices)}")
    return value


def _as_tuple(param, value, owner):
    if isinstance(value, (int, float)) and not isinstance(value, bool) and param.length:
        return (value,) * param.length
    if not isinstance(value, (list, tuple)):
        _fail(param, value, owner, f"a tuple of {param.length or 'some'} numbers")
    if param.length is not None and len(value) != param.length:
        _fail(param, value, owner, f"a tuple of {param.length} numbers")
    return tuple(value)


def _check_ints(param, value, owner):
    items = _as_tuple(param, value, owner)
    inner = Param(param.name, INT, None, param.minimum, param.maximum,
                  allow_negative_one=param.allow_negative_one)
    try:
        return tuple(None if v is None and param.allow_none_entries else
                     _check_int(inner, v, owner) for v in items)
    except SpecError:
        _fail(param, value, owner, f"integers {_range_text(param)}".rstrip()
              + (" or None" if param.allow_none_entries else ""))


def _check_floats(param, value, owner):
    items = _as_tuple(param, value, owner)
    inner = Param(param.name, FLOAT, None, param.minimum, param.maximum)
    try:
        return tuple(_check_float(inner, v, owner) for v in items)
    except SpecError:
        _fail(param, value, owner, f"numbers {_range_text(param)}".rstrip())


def _check_regularizer(param, value, owner):
    from . import regularizers  # noqa: PLC0415 - regularizers import params' errors only

    try:
        return regularizers.get(value)
    except Exception as exc:
        raise type(exc)(f"{_where(owner)}`{param.name}`: {exc}") from None


def _check_initializer(param, value, owner):
    """A name stays a name (forms offer `param.choices`; Keras's class names and aliases are
    accepted too); a config dict or an instance becomes an `Initializer` instance, which
    `to_json_value` writes back as `{"class_name", "config"}`."""
    from . import initializers  # noqa: PLC0415 - initializers import params' errors only

    try:
        initializer = initializers.get(value)
    except SpecError as exc:
        raise SpecError(f"{_where(owner)}`{param.name}`: {exc}") from None
    return value if isinstance(value, str) else initializer


_CHECKERS = {
    REGULARIZER: _check_regularizer,
    INITIALIZER: _check_initializer,
    INT: _check_int,
    FLOAT: _check_float,
    BOOL: _check_bool,
    STR: _check_str,
    INTS: _check_ints,
    FLOATS: _check_floats,
}


def to_json_value(value):
    """Tuples become lists so a config is plain JSON data."""
    if isinstance(value, tuple):
        return [to_json_value(v) for v in value]
    if hasattr(value, "to_config"):
        return value.to_config()
    return value
