"""Field kinds for checking a project file's settings before the app uses them (no Qt).

Each kind checks one JSON value at a dotted path (`training.batch_size`) and returns the
value to use. A value of the wrong type becomes the field's default, and a number outside
the range the app can show becomes the nearest end of that range. Either way a warning that
names the path, what was found and what is used instead goes into the `Report`, which the
project open flow shows to the user. `DROP` means "leave the key out": the reader's own
default applies.
"""

from dataclasses import dataclass
import math

DROP = object()  #: returned by a check: remove the key, the app's default applies
SHOWN_CHARS = 40


class Report:
    """The warnings collected while checking one project file."""

    def __init__(self):
        self.warnings: list[str] = []

    def warn(self, path: str, text: str) -> None:
        self.warnings.append(f"{path}: {text}")


def shown(value) -> str:
    """A short `repr` for messages: long lists and strings are cut."""
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 1] + "…"


def json_type(value) -> str:
    """The JSON name of `value`'s type, for messages: null, true/false, number, text..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    names = {int: "number", float: "number", str: "text", list: "array", dict: "object"}
    return names.get(type(value), type(value).__name__)


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def as_integer(value):
    """`value` as an int when it is an integral, finite JSON number (3 or 3.0), else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def _instead(default) -> str:
    return "the default is used instead" if default is DROP else f"using {default!r} instead"


@dataclass(frozen=True)
class Int:
    """An integer in [`low`, `high`] (a spin box's range); `optional` also allows null."""

    low: int
    high: int
    default: object = DROP
    optional: bool = False

    def check(self, value, path: str, report: Report):
        if value is None and self.optional:
            return None
        number = as_integer(value)
        if number is None:
            what = "is not a finite number" if is_number(value) else "is not an integer"
            report.warn(path, f"{shown(value)} {what}; {_instead(self.default)}.")
            return self.default
        return _clamped(number, self.low, self.high, path, report)


@dataclass(frozen=True)
class Float:
    """A finite number in [`low`, `high`]; NaN and infinity become the default."""

    low: float
    high: float
    default: object = DROP

    def check(self, value, path: str, report: Report):
        if not is_number(value):
            report.warn(path, f"{shown(value)} is not a number; {_instead(self.default)}.")
            return self.default
        if isinstance(value, float) and not math.isfinite(value):
            report.warn(path, f"{shown(value)} is not a finite number; "
                              f"{_instead(self.default)}.")
            return self.default
        return _clamped(value, self.low, self.high, path, report)


def _clamped(number, low, high, path, report):
    if low <= number <= high:
        return number
    near = low if number < low else high
    report.warn(path, f"{shown(number)} is outside the range {low}..{high}; using {near}.")
    return near


@dataclass(frozen=True)
class Bool:
    default: object = DROP

    def check(self, value, path: str, report: Report):
        if isinstance(value, bool):
            return value
        report.warn(path, f"{shown(value)} is not true or false; {_instead(self.default)}.")
        return self.default


@dataclass(frozen=True)
class Str:
    """A string; with `choices`, one of them. `optional` also allows null."""

    default: object = DROP
    choices: tuple = ()
    optional: bool = False

    def check(self, value, path: str, report: Report):
        if value is None and self.optional:
            return None
        if not isinstance(value, str):
            report.warn(path, f"{shown(value)} is not text; {_instead(self.default)}.")
            return self.default
        if self.choices and value not in self.choices:
            expected = ", ".join(repr(c) for c in self.choices)
            report.warn(path, f"{shown(value)} is not one of {expected}; "
                              f"{_instead(self.default)}.")
            return self.default
        return value


@dataclass(frozen=True)
class Fields:
    """A JSON object whose known keys have kinds; unknown keys are kept as they are."""

    kinds: dict

    def check(self, value, path: str, report: Report):
        if not isinstance(value, dict):
            report.warn(path, f"{shown(value)} is not an object of settings; the defaults "
                              "are used instead.")
            return DROP
        return checked_fields(value, self.kinds, path, report)


def checked_fields(value: dict, kinds: dict, path: str, report: Report) -> dict:
    """A copy of `value` with each known key checked; keys checked to `DROP` are removed."""
    out = {}
    for key, item in value.items():
        kind = kinds.get(key)
        checked = item if kind is None else kind.check(item, f"{path}.{key}", report)
        if checked is not DROP:
            out[key] = checked
    return out


@dataclass(frozen=True)
class ListOf:
    """A list whose entries each pass `item`; entries that do not are left out."""

    item: object

    def check(self, value, path: str, report: Report):
        if not isinstance(value, list):
            report.warn(path, f"{shown(value)} is not a list; the default is used instead.")
            return DROP
        out = []
        for i, entry in enumerate(value):
            checked = self.item.check(entry, f"{path}[{i}]", report)
            if checked is not DROP:
                out.append(checked)
        return out


@dataclass(frozen=True)
class Check:
    """A kind made of a plain function `(value, path, report) -> value or DROP`."""

    function: object

    def check(self, value, path: str, report: Report):
        return self.function(value, path, report)
