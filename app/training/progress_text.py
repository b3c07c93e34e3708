"""The training panel's words: clock times, the end-of-run message and run notes."""

from ..wording import plural


def clock(seconds: float) -> str:
    seconds = int(max(0, seconds))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def batch_note(batch_size: int, samples: int | None) -> str:
    """A note when one batch holds all the training data (the batch size then only sets an
    upper bound, and each epoch is a single gradient step); else ""."""
    if samples is None or batch_size <= samples:
        return ""
    return (f"Batch size {batch_size} is larger than the {samples} training samples: each "
            f"epoch is one batch of {samples}.")


def initial_lr(compile_spec: dict) -> float | None:
    optimizer = compile_spec.get("optimizer")
    lr = optimizer.get("config", {}).get("learning_rate") if isinstance(optimizer, dict) else None
    if isinstance(lr, dict):
        lr = lr.get("config", {}).get("initial_learning_rate")
    return float(lr) if isinstance(lr, (int, float)) else None


def finish_message(summary: dict, duration: float) -> tuple[str, str]:
    """The status line and its role at the end of a run.

    Args:
        summary: The controller's run summary (reason, epoch, best_path...).
        duration: Seconds spent training, pauses left out.
    """
    reason = summary.get("reason")
    epochs = summary.get("epoch", 0)
    saved = summary.get("best_path")
    extra = f" Best checkpoint: {saved}" if saved else ""
    if reason == "early_stopping":
        best = summary.get("best_value")
        best_text = f" ({summary.get('monitor')} {best:.4g})" if best is not None else ""
        return (f"Early stopping at epoch {summary.get('stopped_epoch', 0) + 1}: no improvement "
                f"since epoch {summary.get('best_epoch', 0) + 1}{best_text}.{extra}", "ok")
    if reason == "nan":
        return ("The loss became NaN (not a number), so training stopped. Lower the learning "
                "rate in Compile…, or check the data for missing values.", "error")
    if reason == "stopped":
        return f"Stopped by you after {plural(epochs, 'epoch')}.{extra}", "warning"
    if reason == "failed":
        return summary.get("message", "Training failed."), "error"
    return f"Finished {plural(epochs, 'epoch')} in {clock(duration)}.{extra}", "ok"
