"""ParamForm: a form built from declared parameters, validated by the engine inline.

Used by the property editor (layer parameters) and the compile dialog (optimizer and
schedule parameters). A value the engine refuses stays out of the model: the field shows the
engine's message underneath and reverts to the last good value.
"""

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from engine.errors import LayerCraftError
from engine.params import to_json_value, validate_param

from .param_fields import make_field


def label_text(name: str) -> str:
    return name.replace("_", " ").capitalize()


class ParamForm(QWidget):
    """Fields for `params` (a tuple of `Param`); emits `value_committed(key, value)`."""

    value_committed = Signal(str, object)

    def __init__(self, params, values=None, owner="", parent=None):
        super().__init__(parent)
        self.params = {p.name: p for p in params}
        self.owner = owner
        self._values = {}
        self._fields, self._errors = {}, {}
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(6)
        form.setLabelAlignment(Qt.AlignRight | Qt.AlignVCenter)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        for param in params:
            field = make_field(param)
            field.setObjectName(f"param_{param.name}")
            field.setAccessibleName(label_text(param.name))
            error = QLabel(wordWrap=True)
            error.setProperty("role", "error")
            error.hide()
            box = QWidget()
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(2)
            column.addWidget(field)
            column.addWidget(error)
            label = QLabel(label_text(param.name))
            label.setToolTip(param.help)
            form.addRow(label, box)
            field.committed.connect(lambda name=param.name: self._on_committed(name))
            self._fields[param.name], self._errors[param.name] = field, error
        self.set_values(values or {p.name: to_json_value(p.default) for p in params})

    def field(self, name: str):
        return self._fields[name]

    def error_text(self, name: str) -> str:
        return self._errors[name].text() if not self._errors[name].isHidden() else ""

    def values(self) -> dict:
        return dict(self._values)

    def set_values(self, values: dict) -> None:
        """Shows `values` (without emitting) and clears messages."""
        for name, field in self._fields.items():
            if name in values:
                self._values[name] = values[name]
                field.set_value(values[name])
            self.clear_error(name)

    def show_error(self, name: str, message: str) -> None:
        self._errors[name].setText(message)
        self._errors[name].show()
        self._fields[name].set_invalid(True)

    def clear_error(self, name: str) -> None:
        self._errors[name].hide()
        self._fields[name].set_invalid(False)

    def reject(self, name: str, message: str, previous) -> None:
        """Takes back a committed value the owner refused, showing why."""
        self._values[name] = previous
        self._fields[name].set_value(previous)
        self.show_error(name, message)

    def revert(self, name: str) -> None:
        if name in self._values:
            self._fields[name].set_value(self._values[name])

    def _on_committed(self, name: str) -> None:
        raw = self._fields[name].value()
        try:
            value = to_json_value(validate_param(self.params[name], raw, owner=self.owner))
        except LayerCraftError as exc:
            self.show_error(name, str(exc))
            self.revert(name)
            return
        self.clear_error(name)
        if value != self._values.get(name):
            self._values[name] = value
            self.value_committed.emit(name, value)
