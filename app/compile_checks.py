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
    findings = [Finding("error", f"Fix the model first: {p.message}")
                for p in analysis.problems if p.severity == "error"]
    name, config = loss_name(document.compile_spec.get("loss") if loss is None else loss)
    from_logits = bool(config.get("from_logits"))
    for output in graph.outputs:
        shape = analysis.shapes.get(output)
        if shape is None or output not in graph.nodes:
            continue
        node = graph.nodes[output]
        findings += _check_output(node, shape, name, from_logits, data_info)
    return findings


def _check_output(node, shape, loss, from_logits, info) -> list[Finding]:
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
        if act in ("softmax", "sigmoid"):
            out.append(Finding(
                "warning", f"'{node.name}' squashes its output with {act}; a regression output "
                           "is usually linear.",
                [("param", node.name, "activation", None)] if can_set_act else [],
                "Make it linear"))
        if classes:
            out.append(Finding("warning", f"The data set is a classification task ({classes} "
                                          f"classes) but the loss {loss} is for regression."))
    return out
