"""The commands of the headless CLI (`engine.cli` parses, this module runs)."""

import csv
import sys

import numpy as np

from . import backend, callbacks
from .cli import build_parser, load_any_model, load_data, load_for_export, project_batch_size
from .errors import CheckpointError, LayerCraftError


def default_loss(model) -> str:
    """The usual loss for the model's output layer (softmax N, sigmoid 1, else mse)."""
    layer = model._nodes.get(model.output_names[0])  # None: an output after the first
    activation = getattr(layer, "activation", None)
    units = model.output_shapes[0][-1]
    if activation == "softmax" and units > 1:
        return "sparse_categorical_crossentropy"
    if activation == "sigmoid" and units == 1:
        return "binary_crossentropy"
    return "mse"


def compile_from(args, model, project_compile):
    settings = dict(project_compile or {})
    optimizer = args.optimizer or settings.get("optimizer") or "adam"
    if args.learning_rate is not None:
        from . import optimizers  # noqa: PLC0415

        optimizer = optimizers.get(optimizer)
        optimizer.learning_rate = args.learning_rate
    loss = args.loss or settings.get("loss") or default_loss(model)
    if args.metrics is not None:
        metrics = [m for m in args.metrics.split(",") if m]
    else:
        metrics = settings.get("metrics") or (["accuracy"] if "crossentropy" in str(loss) else [])
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics, device=args.device)


def run_train(args) -> int:
    if args.seed is not None:
        backend.set_seed(args.seed)
    model, project_compile = load_any_model(args.model)
    if not model.compiled or args.optimizer or args.loss or args.learning_rate is not None:
        compile_from(args, model, project_compile)
    (x_train, y_train), (x_test, y_test) = load_data(args, model.input_shapes[0])
    cbs = []
    if args.patience is not None:
        cbs.append(callbacks.EarlyStopping(patience=args.patience, restore_best_weights=True))
    if args.checkpoint_dir is not None:
        args.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        monitor = "val_loss" if args.validation_split else "loss"
        cbs.append(callbacks.ModelCheckpoint(str(args.checkpoint_dir / "best.lcm"),
                                             monitor=monitor, save_best_only=True))
        cbs.append(callbacks.ModelCheckpoint(str(args.checkpoint_dir / "last.lcm")))
    start = model.training_state.get("epoch", 0)
    model.fit(x_train, y_train, epochs=start + args.epochs, initial_epoch=start,
              batch_size=args.batch_size, validation_split=args.validation_split,
              callbacks=cbs, verbose=0 if args.quiet else 1, seed=args.seed)
    _print_results("test", model.evaluate(x_test, y_test, verbose=0, return_dict=True))
    if args.checkpoint_dir is not None:
        print(f"checkpoints: {args.checkpoint_dir / 'best.lcm'}, "
              f"{args.checkpoint_dir / 'last.lcm'}")
    return 0


def run_evaluate(args) -> int:
    model, _ = load_any_model(args.checkpoint)
    _, (x_test, y_test) = load_data(args, model.input_shapes[0])
    if not model.compiled:
        model.compile(optimizer="adam", loss=default_loss(model), metrics=["accuracy"])
    _print_results("test", model.evaluate(x_test, y_test, batch_size=args.batch_size,
                                          verbose=0, return_dict=True))
    return 0


def run_predict(args) -> int:
    model, _ = load_any_model(args.checkpoint)
    _, (x_test, y_test) = load_data(args, model.input_shapes[0])
    count = len(x_test) if args.output else min(args.count, len(x_test))
    outputs = model.predict(x_test[:count])
    if args.output:
        with open(args.output, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["true"] + [f"output_{i}" for i in range(outputs.shape[-1])])
            for truth, row in zip(y_test[:count], outputs.reshape(count, -1)):
                writer.writerow([truth] + [f"{v:.6g}" for v in row])
        print(f"wrote {count} predictions to {args.output}")
        return 0
    for truth, row in zip(y_test[:count], outputs.reshape(count, -1)):
        guess = int(np.argmax(row)) if row.size > 1 else float(row[0])
        print(f"true {truth}  predicted {guess}  " + " ".join(f"{v:.3f}" for v in row[:10]))
    return 0


def run_summary(args) -> int:
    model, _ = load_any_model(args.model)
    model.summary()
    return 0


def run_export(args) -> int:
    from . import interop  # noqa: PLC0415

    model, compile_config, notes = load_for_export(args.model)
    batch_size = args.batch_size or project_batch_size(args.model)
    try:
        notes += interop.export(model, args.output, args.format, compile_config,
                                batch_size=batch_size)
    except OSError as exc:
        raise CheckpointError(f"Cannot write {args.output}: {exc.strerror or exc}. Choose a "
                              "folder you can write to.") from None
    print(f"wrote {args.output} ({args.format})")
    for note in notes:
        print(f"  - {note}")
    return 0


def _print_results(label, logs):
    print(f"{label}: " + " - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))


COMMANDS = {"train": run_train, "evaluate": run_evaluate, "predict": run_predict,
            "summary": run_summary, "export": run_export}


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except LayerCraftError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
