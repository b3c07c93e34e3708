"""The schema of a project's `compile` section (no Qt): optimizer, loss, metrics, device.

Names and `{"class_name", "config"}` objects are what the compile dialog, the summary's
memory estimate and the training job read. A value of another shape is left out with a
warning (the app's default applies: Adam, the loss chosen in Compile…, no metrics); unknown
names of losses and metrics are kept, since the compile step explains them when training
starts. See `project_schema` for the outcomes of a check.
"""

import math

from engine import registry
from engine.errors import LayerCraftError

from .schema_fields import DROP, Check, Str, is_number, shown

DEVICES = ("cpu", "gpu", "auto")


def is_object(value) -> bool:
    """`{"class_name": text, "config": {...}}`, the config being optional."""
    return (isinstance(value, dict) and isinstance(value.get("class_name"), str)
            and isinstance(value.get("config", {}), dict))


def _known_optimizer(name) -> bool:
    import engine.optimizers  # noqa: F401, PLC0415 - registers the optimizer classes

    try:
        registry.get_class("optimizer", name)
    except LayerCraftError:
        return False
    return True


def _optimizer(value, path, report):
    name = value.get("class_name") if is_object(value) else value
    if not isinstance(name, str):
        report.warn(path, f"{shown(value)} is not an optimizer name or {{'class_name': ..., "
                          "'config': {...}}; Adam is used instead.")
        return DROP
    if not _known_optimizer(name):
        report.warn(path, f"{shown(name)} is not an optimizer LayerCraft knows; Adam is used "
                          "instead.")
        return DROP
    if isinstance(value, dict) and "learning_rate" in value.get("config", {}):
        return _with_learning_rate(value, path, report)
    return value


def _with_learning_rate(value, path, report):
    rate = value["config"]["learning_rate"]
    if is_object(rate) or (is_number(rate) and math.isfinite(rate) and 0 < rate < 1e6):
        return value
    report.warn(f"{path}.config.learning_rate", f"{shown(rate)} is not a positive finite "
                                                "number or a schedule; the optimizer's "
                                                "default is used instead.")
    config = {k: v for k, v in value["config"].items() if k != "learning_rate"}
    return {**value, "config": config}


def _one_loss(value) -> bool:
    return isinstance(value, str) or is_object(value)


def _loss(value, path, report):
    per_output = (isinstance(value, dict) and "class_name" not in value
                  and all(_one_loss(v) for v in value.values()))
    listed = isinstance(value, list) and all(_one_loss(v) for v in value)
    if _one_loss(value) or per_output or listed:
        return value
    report.warn(path, f"{shown(value)} is not a loss name, a {{'class_name': ..., 'config': "
                      "{...}} object, or one of them per output; choose a loss in Compile….")
    return DROP


def _metric_list(value, path, report):
    out = []
    for i, metric in enumerate(value):
        if isinstance(metric, str) or is_object(metric):
            out.append(metric)
        else:
            report.warn(f"{path}[{i}]", f"{shown(metric)} is not a metric name or "
                                        "{'class_name': ...} object; it is left out.")
    return out


def _metrics(value, path, report):
    if isinstance(value, list):
        return _metric_list(value, path, report)
    if isinstance(value, dict) and "class_name" not in value:  # metrics per output
        return {key: _metric_list(v if isinstance(v, list) else [v], f"{path}.{key}", report)
                for key, v in value.items()}
    report.warn(path, f"{shown(value)} is not a list of metrics; no metrics are used.")
    return DROP


def metric_names(metrics) -> list[str]:
    """The metric names in `metrics` (a list, or lists per output); other entries are
    skipped."""
    groups = metrics.values() if isinstance(metrics, dict) else [metrics]
    entries = [m for g in groups for m in (g if isinstance(g, list) else [g])]
    return [m if isinstance(m, str) else m["class_name"] for m in entries
            if isinstance(m, str) or is_object(m)]


COMPILE_FIELDS = {"optimizer": Check(_optimizer), "loss": Check(_loss),
                  "metrics": Check(_metrics), "device": Str("auto", choices=DEVICES)}
