"""Checks a compile choice against the model and its data (no Qt).

Each finding says what is wrong, what is expected and what was found, and carries a fix
when one is obvious: a list of steps `("param", node, key, value)` or `("loss", name)`.
"""

from dataclasses import dataclass, field

from engine import registry
from engine.naming import snake_case

CLASSIFICATION = ("sparse_categorical_crossentropy", "categorical_crossentropy")
REGRESSION = ("mean_squared_error", "mean_absolute_error", "huber", "log_cosh",
              "mean_squared_logarithmic_error", "mean_absolute_percentage_error")


@dataclass
class Finding:
    severity: str  # "error" or "warning"
    message: str
    fix: list = field(default_factory=list)
    fix_text: str = ""


def loss_name(loss) -> tuple[str, dict]:
    """Canonical snake-case loss name and its config, from a name or {"class_name", ...}."""
    config = {}
    if isinstance(loss, dict):
        config = dict(loss.get("config") or {})
        loss = loss.get("class_name", "")
    try:
        _import_losses()
        cls = registry.get_class("loss", loss)
        return snake_case(cls.__name__), config
    except Exception:  # unknown name: the compile step reports it; check it as written
        return str(loss), config


def _import_losses():
    import engine.losses  # noqa: F401, PLC0415 - registers the loss classes


def output_activation(node) -> str | None:
    if node.class_name == "Activation":
        return node.config.get("activation")
    value = node.config.get("activation")
    return None if value in (None, "linear") else value


def check(document, data_info=None, loss=None) -> list[Finding]:
    """Findings for `loss` (default: the document's) against the model's outputs and data."""
    analysis, graph = document.analysis, document.graph
    one_hot = labels_one_hot(document)
    findings = [Finding("error", f"Fix the model first: {p.message}")
                for p in analysis.problems if p.severity == "error"]
    name, config = loss_name(document.compile_spec.get("loss") if loss is None else loss)
    from_logits = bool(config.get("from_logits"))
    for output in graph.outputs:
        shape = analysis.shapes.get(output)
        if shape is None or output not in graph.nodes:
            continue
        node = graph.nodes[output]
        findings += _check_output(node, shape, name, from_logits, data_info, one_hot)
    return findings


def labels_one_hot(document) -> bool:
    """Whether the data preparation turns the labels into one-hot rows (the Data tab's
    "One-hot labels" step); else the labels are integer class indices."""
    steps = (document.settings.get("data") or {}).get("preprocessing") or []
    return any(isinstance(step, dict) and step.get("op") == "one_hot" for step in steps)


def _check_output(node, shape, loss, from_logits, info, one_hot=False) -> list[Finding]:
    units = shape[-1] if shape else 1
    act = output_activation(node)
    can_set_act = "activation" in node.config
    can_set_units = "units" in node.config
    out = []
    classes = len(info.class_names) if info is not None and info.task == "classification" else 0
    if loss in CLASSIFICATION:
        pretty = loss.replace("_", " ")
        if units == 1:
            out.append(Finding(
                "error", f"{pretty} needs one output unit per class (N > 1), but '{node.name}' "
                         "has 1 unit. For two classes use binary cross-entropy with one sigmoid "
                         "unit.",
                [("loss", "binary_crossentropy")] +
                ([("param", node.name, "activation", "sigmoid")] if can_set_act else []),
                "Use binary cross-entropy"))
        elif act != "softmax" and not from_logits:
            out.append(Finding(
                "error", f"{pretty} expects class probabilities from a softmax output, but "
                         f"'{node.name}' has activation {act or 'linear'!r}.",
                [("param", node.name, "activation", "softmax")] if can_set_act else [],
                "Set softmax"))
        if classes and units != classes and units != 1:
            out.append(Finding(
                "error", f"The data set has {classes} classes but '{node.name}' outputs {units} "
                         f"values. Expected {classes} units.",
                [("param", node.name, "units", classes)] if can_set_units else [],
                f"Set {classes} units"))
    elif loss == "binary_crossentropy":
        if act == "softmax" and units > 1:
            out.append(Finding(
                "error", f"binary cross-entropy expects sigmoid outputs, but '{node.name}' is a "
                         f"softmax over {units} classes. Use sparse categorical cross-entropy.",
                [("loss", "sparse_categorical_crossentropy")], "Use sparse categorical CE"))
        elif act != "sigmoid" and not from_logits:
            out.append(Finding(
                "error", f"binary cross-entropy expects a probability from a sigmoid output, but "
                         f"'{node.name}' has activation {act or 'linear'!r}.",
                [("param", node.name, "activation", "sigmoid")] if can_set_act else [],
                "Set sigmoid"))
        if classes == 2 and units != 1:
            out.append(Finding(
                "error", f"For two classes binary cross-entropy needs one sigmoid unit; "
                         f"'{node.name}' has {units}.",
                [("param", node.name, "units", 1)] if can_set_units else [], "Set 1 unit"))
    elif loss in REGRESSION:
        out += _regression_output(node, units, act, loss, classes, one_hot)
    return out


def _regression_output(node, units, act, loss, classes, one_hot) -> list[Finding]:
    """A regression loss: fine on a linear output; on a classifier (the data says
    classification, or a softmax over N > 1 units) the fix is a cross-entropy loss, not
    a linear output."""
    if classes or (act == "softmax" and units > 1):
        return [_cross_entropy_instead(node, units, act, loss, classes, one_hot)]
    if act in ("softmax", "sigmoid"):
        return [Finding(
            "warning", f"'{node.name}' squashes its output with {act}; a regression output "
                       "is usually linear.",
            [("param", node.name, "activation", None)] if "activation" in node.config else [],
            "Make it linear")]
    return []


def _cross_entropy_instead(node, units, act, loss, classes, one_hot) -> Finding:
    can_set_act = "activation" in node.config
    if units == 1 and classes <= 2:  # one unit: a binary classifier
        fix = [("loss", "binary_crossentropy")]
        if act != "sigmoid" and can_set_act:
            fix.append(("param", node.name, "activation", "sigmoid"))
        return Finding("warning", f"This is a two-class classification but the loss "
                       f"{loss.replace('_', ' ')} is for regression. Use binary cross-entropy with one sigmoid unit.",
                       fix, "Use binary cross-entropy")
    target = "categorical_crossentropy" if one_hot else "sparse_categorical_crossentropy"
    fix = [("loss", target)]
    if act != "softmax" and can_set_act:
        fix.append(("param", node.name, "activation", "softmax"))
    if classes and units != classes and "units" in node.config:
        fix.append(("param", node.name, "units", classes))
    what = (f"The data set is a classification task ({classes} classes)" if classes else
            f"'{node.name}' is a softmax over {units} classes")
    labels = "one-hot labels" if one_hot else "integer class labels"
    # Integer labels cannot fit an N-unit output under a regression loss: training refuses.
    severity = "error" if classes and not one_hot and units > 1 else "warning"
    pretty = target.replace("_crossentropy", " cross-entropy").replace("_", " ")
    return Finding(severity, f"{what} but the loss {loss.replace('_', ' ')} is for "
                             f"regression. For {labels} use {pretty}.", fix,
                   "Use sparse categorical CE" if not one_hot else "Use categorical CE")
