"""What the Evaluate tab shows, computed from a model and prepared data. No Qt.

`evaluate_model` runs the engine's `evaluate` (loss and compiled metrics) and `predict` on
the test split and derives the confusion matrix, per-class precision / recall / F1, ROC
curves (one class against the rest; for two classes, the second class against the first), or
regression statistics.
"""

from dataclasses import dataclass, field

import numpy as np

from engine.metrics import ConfusionMatrix


@dataclass(eq=False)
class EvaluationResult:
    task: str
    metrics: dict  # name -> float: the engine's loss and metrics, then derived ones
    outputs: np.ndarray  # model outputs for the test split
    y_true: np.ndarray  # class indices, or float targets (n,) for regression
    class_names: list = field(default_factory=list)
    probabilities: np.ndarray | None = None  # (n, classes), rows sum to 1
    predicted: np.ndarray | None = None  # class indices, or predicted values (n,)
    confusion: np.ndarray | None = None  # rows: true class, columns: predicted
    per_class: dict | None = None  # "precision", "recall", "f1", "support" arrays
    roc: dict | None = None  # class name -> (fpr, tpr, auc), that class against the rest
    roc_note: str = ""  # why some classes (or all) have no ROC curve

    @property
    def num_samples(self) -> int:
        return int(len(self.y_true))

    def confidence(self) -> np.ndarray:
        """Probability the model gave its predicted class, per sample."""
        return self.probabilities[np.arange(len(self.predicted)), self.predicted]

    def cell_samples(self, true_class: int, predicted_class: int) -> np.ndarray:
        """Test indices with this true and predicted class, most confident first."""
        hits = np.flatnonzero((self.y_true == true_class) & (self.predicted == predicted_class))
        order = np.argsort(-self.confidence()[hits], kind="stable")
        return hits[order]


def evaluate_model(model, prepared, batch_size: int = 128) -> EvaluationResult:
    """Evaluates `model` on `prepared`'s test split."""
    x, y = prepared.x_test, prepared.y_test
    metrics = {}
    if getattr(model, "compiled", False):
        logs = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
        metrics.update({k: float(v) for k, v in logs.items()})
    outputs = model.predict(x, batch_size=batch_size)
    if isinstance(outputs, list):
        outputs = outputs[0]
    if prepared.task == "classification":
        return _classification(prepared, outputs, metrics)
    return _regression(outputs, np.asarray(y, dtype=np.float64), metrics)


def as_probabilities(outputs: np.ndarray) -> np.ndarray:
    """(n, classes) rows: softmax outputs as they are, a sigmoid unit as [1 - p, p]."""
    p = np.asarray(outputs, dtype=np.float64).reshape(len(outputs), -1)
    if p.shape[1] == 1:
        p = np.concatenate([1 - p, p], axis=1)
    return p


def _classification(prepared, outputs, metrics):
    y_true = prepared.class_indices(prepared.y_test)
    probs = as_probabilities(outputs)
    k = max(probs.shape[1], prepared.num_classes)
    matrix = ConfusionMatrix(num_classes=probs.shape[1])
    matrix.update_state(y_true, probs.astype(np.float32))
    confusion = np.zeros((k, k), dtype=np.int64)
    counted = matrix.result()
    confusion[:counted.shape[0], :counted.shape[1]] = counted
    predicted = probs.argmax(axis=1)
    names = list(prepared.class_names) + [str(i) for i in range(prepared.num_classes, k)]
    per_class = per_class_scores(confusion)
    metrics.setdefault("accuracy", float(np.trace(confusion) / max(confusion.sum(), 1)))
    metrics["macro F1"] = float(per_class["f1"].mean())
    roc, note = one_vs_rest_roc(y_true, probs, names)
    if roc and probs.shape[1] == 2:
        metrics["ROC AUC"] = next(iter(roc.values()))[2]
    elif roc:
        metrics["ROC AUC (macro, one-vs-rest)"] = float(np.mean([a for *_, a in roc.values()]))
    return EvaluationResult("classification", metrics, outputs, y_true, names, probs,
                            predicted, confusion, per_class, roc or None, note)


def one_vs_rest_roc(y_true, probs, names) -> tuple[dict, str]:
    """ROC curves of each class against the rest, and a note on the classes left out.

    Two classes have one curve, the second class as positive (the other curve is its mirror).
    A class needs test samples both in it and out of it: otherwise its true or false
    positive rate divides by zero, and it is named in the note instead.
    """
    classes = [1] if probs.shape[1] == 2 else range(probs.shape[1])
    roc, missing = {}, []
    for c in classes:
        positive = y_true == c
        if positive.all() or not positive.any():
            missing.append(str(names[c]))
            continue
        roc[names[c]] = roc_curve(positive, probs[:, c])
    if not missing:
        return roc, ""
    if not roc:
        return roc, ("No ROC curve: it needs test samples both in and out of a class, and "
                     "the test split has only one class.")
    return roc, (f"No curve for {', '.join(missing)}: "
                 f"{'it has' if len(missing) == 1 else 'they have'} no test samples.")


def _regression(outputs, y, metrics):
    predicted = np.asarray(outputs, dtype=np.float64).reshape(len(outputs), -1)[:, 0]
    y = y.reshape(len(y), -1)[:, 0]
    residual = predicted - y
    total = float(((y - y.mean()) ** 2).sum())
    known = {k.lower() for k in metrics}
    if "mae" not in known and "mean_absolute_error" not in known:
        metrics["MAE"] = float(np.abs(residual).mean())
    metrics["RMSE"] = float(np.sqrt((residual ** 2).mean()))
    metrics["R²"] = 1.0 - float((residual ** 2).sum()) / total if total > 0 else 0.0
    return EvaluationResult("regression", metrics, outputs, y, predicted=predicted)


def per_class_scores(confusion: np.ndarray) -> dict:
    """Precision, recall and F1 per class from a confusion matrix (0 where undefined)."""
    cm = np.asarray(confusion, dtype=np.float64)
    tp = np.diag(cm)
    predicted, actual = cm.sum(axis=0), cm.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return {"precision": precision, "recall": recall, "f1": f1,
            "support": actual.astype(np.int64)}


def roc_curve(positive: np.ndarray, scores: np.ndarray):
    """(false positive rates, true positive rates, area) over every score threshold."""
    positive = np.asarray(positive, dtype=bool)
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    s, hit = np.asarray(scores)[order], positive[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # end of each run of equal scores
    tp, fp = np.cumsum(hit)[last], np.cumsum(~hit)[last]
    pos, neg = max(int(positive.sum()), 1), max(int((~positive).sum()), 1)
    tpr, fpr = np.r_[0.0, tp / pos], np.r_[0.0, fp / neg]
    auc = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
    return fpr, tpr, auc
