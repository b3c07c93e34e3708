"""Editors for declared parameters (`engine.params.Param`), one widget class per kind.

Every field has `value()`, `set_value(v)` (no signal) and emits `committed` when the user
finishes an edit. Fields do not validate: the form runs the engine's `validate_param` and
shows its message under the field.
"""

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLineEdit, QSpinBox, QWidget

from engine import params as P

from .wheel_guard import guard_wheel_in

BIG = 2_000_000_000
NONE_TEXT = "None"


class Field(QWidget):
    committed = Signal()

    def __init__(self, param, parent=None):
        super().__init__(parent)
        self.param = param
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(4)
        self.setToolTip(param.help)

    def _emit(self, *args) -> None:
        self.committed.emit()

    def set_invalid(self, invalid: bool) -> None:
        for child in self.findChildren(QWidget):
            child.setProperty("invalid", invalid)
            child.style().unpolish(child)
            child.style().polish(child)


class IntField(Field):
    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        self.spin = QSpinBox()
        self.spin.setKeyboardTracking(False)
        low = -BIG if param.minimum is None else int(param.minimum)
        if param.allow_negative_one:
            low = min(low, -1)
        if param.optional:
            low -= 1
            self.spin.setSpecialValueText(NONE_TEXT)
        self.spin.setRange(low, BIG if param.maximum is None else int(param.maximum))
        self.spin.valueChanged.connect(self._emit)
        self.row.addWidget(self.spin)

    def setValue(self, value):  # noqa: N802 - QSpinBox-like, for tests and scripts
        self.spin.setValue(value)

    def value(self):
        v = self.spin.value()
        return None if self.param.optional and v == self.spin.minimum() else v

    def set_value(self, value):
        with QSignalBlocker(self.spin):
            self.spin.setValue(self.spin.minimum() if value is None else int(value))


class TextField(Field):
    """Floats, free strings and tuples as text (`0.001`, `28, 28, 1`)."""

    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        self.edit = QLineEdit()
        if param.optional:
            self.edit.setPlaceholderText(NONE_TEXT)
        self.edit.editingFinished.connect(self._finished)
        self.row.addWidget(self.edit)
        self._last = None

    def _finished(self):
        if self.edit.text() != self._last:
            self._last = self.edit.text()
            self.committed.emit()

    def setText(self, text):  # noqa: N802 - for tests and scripts
        self.edit.setText(text)
        self._finished()

    def value(self):
        text = self.edit.text().strip()
        if not text or text == NONE_TEXT:
            return None
        kind = self.param.kind
        if kind == P.STR:
            return text
        if kind in (P.INTS, P.FLOATS):
            return [_number(t, kind == P.INTS) for t in text.replace("(", "").replace(")", "")
                    .replace("×", ",").replace("x", ",").split(",") if t.strip()]
        return _number(text, kind == P.INT)

    def set_value(self, value):
        if isinstance(value, (list, tuple)):
            text = ", ".join(_format(v) for v in value)
        else:
            text = "" if value is None else _format(value)
        with QSignalBlocker(self.edit):
            self.edit.setText(text)
        self._last = text


def _number(text, integer):
    text = text.strip()
    if text == NONE_TEXT:  # a variable dimension in a shape: "None, 8"
        return None
    try:
        return int(text) if integer else float(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text  # validate_param names the bad value


def _format(value):
    return f"{value:g}" if isinstance(value, float) else str(value)


class BoolField(Field):
    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        self.check = QCheckBox()
        self.check.toggled.connect(self._emit)
        self.row.addWidget(self.check)
        self.row.addStretch(1)

    def value(self):
        return self.check.isChecked()

    def set_value(self, value):
        with QSignalBlocker(self.check):
            self.check.setChecked(bool(value))


class ChoiceField(Field):
    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        self.combo = QComboBox()
        self.combo.setMaxVisibleItems(20)
        if param.optional:
            self.combo.addItem(NONE_TEXT, None)
        for choice in param.choices:
            self.combo.addItem(str(choice), choice)
        self.combo.activated.connect(self._emit)
        self.row.addWidget(self.combo)

    def value(self):
        return self.combo.currentData()

    def set_value(self, value):
        with QSignalBlocker(self.combo):
            index = self.combo.findData(value)
            self.combo.setCurrentIndex(max(index, 0))

    def choose(self, value):
        """Selects `value` as a user would (emits `committed`)."""
        self.combo.setCurrentIndex(self.combo.findData(value))
        self.committed.emit()


class InitializerField(ChoiceField):
    """The initializer names, plus one entry for a value outside them that the document
    holds: a configured initializer (`{"class_name": "RandomNormal", "config": {...}}`, from
    a model built in code) shows as `RandomNormal(stddev=0.1)` and keeps its settings until
    another name is chosen."""

    CONFIGURED = "__configured__"

    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        self._configured = None

    def value(self):
        data = self.combo.currentData()
        return self._configured if data == self.CONFIGURED else data

    def set_value(self, value):
        with QSignalBlocker(self.combo):
            index = self.combo.findData(value) if isinstance(value, str) else -1
            self.combo.setCurrentIndex(index if index >= 0 else self._show_configured(value))

    def _show_configured(self, value) -> int:
        self._configured = value
        index = self.combo.findData(self.CONFIGURED)
        if index < 0:
            self.combo.addItem("", self.CONFIGURED)
            index = self.combo.count() - 1
        self.combo.setItemText(index, _initializer_text(value))
        return index


def _initializer_text(value) -> str:
    if not isinstance(value, dict):
        return str(value)
    config = value.get("config") or {}
    args = ", ".join(f"{k}={_format(v)}" for k, v in config.items() if v is not None)
    return f"{value.get('class_name')}({args})"


class TupleField(Field):
    """A fixed-length tuple of ints (kernel sizes, strides): one spin box per entry.

    An optional tuple (pooling strides, whose None means "the pool size") shows "None" one
    step below each spin box's minimum; any entry set to None makes the whole value None.
    """

    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        self.spins = []
        low = -BIG if param.minimum is None else int(param.minimum)
        low = min(low, -1) if param.allow_negative_one else low
        for _ in range(param.length):
            spin = QSpinBox()
            spin.setKeyboardTracking(False)
            if param.optional:
                spin.setSpecialValueText(NONE_TEXT)
            spin.setRange(low - 1 if param.optional else low,
                          BIG if param.maximum is None else int(param.maximum))
            spin.valueChanged.connect(self._emit)
            self.spins.append(spin)
            self.row.addWidget(spin)

    def value(self):
        values = [s.value() for s in self.spins]
        if self.param.optional and any(v == s.minimum() for v, s in zip(values, self.spins)):
            return None
        return values

    def set_value(self, value):
        if value is None:
            values = [spin.minimum() for spin in self.spins]
        else:
            values = list(value) if isinstance(value, (list, tuple)) else [value] * len(
                self.spins)
        for spin, v in zip(self.spins, values):
            with QSignalBlocker(spin):
                spin.setValue(int(v))


class RegularizerField(Field):
    """None, l1, l2 or l1_l2 with its strength(s): stored as {"class_name", "config"}."""

    KINDS = ((NONE_TEXT, None), ("L1", "L1"), ("L2", "L2"), ("L1 + L2", "L1L2"))

    def __init__(self, param, parent=None):
        super().__init__(param, parent)
        self.combo = QComboBox()
        for text, data in self.KINDS:
            self.combo.addItem(text, data)
        self.strength = QLineEdit("0.01")
        self.strength.setMaximumWidth(70)
        self.combo.activated.connect(self._kind_changed)
        self.strength.editingFinished.connect(self._emit)
        self.row.addWidget(self.combo, 1)
        self.row.addWidget(self.strength)
        self._kind_changed(emit=False)

    def _kind_changed(self, *args, emit=True):
        self.strength.setEnabled(self.combo.currentData() is not None)
        if emit:
            self.committed.emit()

    def value(self):
        kind = self.combo.currentData()
        if kind is None:
            return None
        strength = _number(self.strength.text(), False)
        keys = {"L1": ("l1",), "L2": ("l2",), "L1L2": ("l1", "l2")}[kind]
        return {"class_name": kind, "config": {k: strength for k in keys}}

    def set_value(self, value):
        with QSignalBlocker(self.combo):
            if isinstance(value, str):
                value = {"class_name": {"l1": "L1", "l2": "L2", "l1_l2": "L1L2"}[value],
                         "config": {}}
            kind = value.get("class_name") if isinstance(value, dict) else None
            self.combo.setCurrentIndex(max(self.combo.findData(kind), 0))
            config = value.get("config", {}) if isinstance(value, dict) else {}
            strength = next(iter(config.values()), 0.01)
            self.strength.setText(_format(float(strength)))
        self.strength.setEnabled(kind is not None)


def make_field(param) -> Field:
    """The editor widget for one declared parameter; its combos and spin boxes take the
    wheel only when focused, so scrolling the property editor never edits a value."""
    field = _field_for(param)
    guard_wheel_in(field)
    return field


def _field_for(param) -> Field:
    kind = param.kind
    if kind == P.BOOL:
        return BoolField(param)
    if kind == P.INT:
        return IntField(param)
    if kind == P.STR and param.choices:
        return ChoiceField(param)
    if kind == P.INITIALIZER:
        return InitializerField(param)
    if kind == P.INTS and param.length and param.length <= 4:
        return TupleField(param)
    if kind == P.REGULARIZER:
        return RegularizerField(param)
    return TextField(param)
