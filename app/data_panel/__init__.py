"""The Data tab and the data contract shared with the training, evaluation and prediction
views: `PreparedData` and `prepare(spec, input_shape)` (prepared.py, no Qt), the sanity
checks (sanity.py, no Qt), `DataPanel` (panel.py) and `install_data_and_analysis`
(install.py)."""

from .prepared import PreparedData, prepare
from .sanity import sanity_warnings, single_class_warning

__all__ = ["PreparedData", "prepare", "sanity_warnings", "single_class_warning"]
