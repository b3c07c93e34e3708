"""Tables: plain text for the terminal, Markdown for the README."""

import math
import statistics

HEAD = ("case", "engine 1st", "engine sust.", "torch 1st", "torch sust.", "ratio 1st",
        "ratio sust.", "spread e/t", "loss e/t")
FLUSH_HEAD = ("case (1st / sustained)", "engine flushed", "engine unflushed",
              "torch default", "torch flushed")


def main_row(name, engine, torch):
    """Cells of one case; `torch` may be None (not installed, or no CUDA in --gpu)."""
    cells = [name, _rate(engine.median("first")), _rate(engine.median())]
    if torch is None:
        return cells + ["—"] * 4 + [f"{engine.spread():.0f}%", _loss(engine.loss)]
    return cells + [
        _rate(torch.median("first")), _rate(torch.median()),
        _ratio(engine.first, torch.first), _ratio(engine.sustained, torch.sustained),
        f"{engine.spread():.0f}% / {torch.spread():.0f}%",
        f"{_loss(engine.loss)} / {_loss(torch.loss)}",
    ]


def flush_row(name, flushed, unflushed, torch_default, torch_flushed):
    cells = [name]
    for rates in (flushed, unflushed, torch_default, torch_flushed):
        cells.append("—" if rates is None else
                     f"{_rate(rates.median('first'))} / {_rate(rates.median())}")
    return cells


def text(head, rows):
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(_pad(c, w, i) for i, (c, w) in enumerate(zip(r, widths)))
             for r in [head, *rows]]
    return "\n".join(lines)


def markdown(head, rows):
    lines = ["| " + " | ".join(head) + " |",
             "|---|" + "---:|" * (len(head) - 1)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _pad(cell, width, index):
    return str(cell).ljust(width) if index == 0 else str(cell).rjust(width)


def _rate(value):
    return "—" if math.isnan(value) else f"{value:,.0f}"


def _ratio(ours, theirs):
    """Median of the per-repeat ratios: the two frameworks' runs of one repeat follow each
    other, so a slow spell on a shared machine weighs on both sides of a ratio."""
    pairs = [a / b for a, b in zip(ours, theirs) if b]
    return f"{statistics.median(pairs):.2f}" if pairs else "—"


def _loss(value):
    return "—" if math.isnan(value) else f"{value:.3f}"
