"""The text of the exported package: model.py around the generated module, train.py, README.

Templates use `string.Template` (`$name`), so the Python code in them keeps its braces.
"""

import textwrap
from string import Template

#: Longest generated line (indent included) before a trailing comment moves above the code.
LINE_LENGTH = 99

MODEL = Template('''"""PyTorch twin of the LayerCraft model '$model_name' (exported by LayerCraft $version).

`build_model()` returns `$class_name` with the trained weights of weights.safetensors (next to
this file) loaded, in inference mode.

Inputs are channels-last, as LayerCraft and Keras take them: $inputs.
Outputs: $outputs.

weights.safetensors keeps LayerCraft's weight names ("0000:dense/kernel") and Keras layouts,
so LayerCraft reads it, and any file train.py writes, with `model.load_weights(path)`.
`load_keras_weights()` and `keras_weights()` convert between those and this module's tensors.
"""

from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from torch import nn

WEIGHTS_FILE = Path(__file__).resolve().parent / "weights.safetensors"


class $class_name(nn.Module):
    """$class_doc"""

    def __init__(self):
        super().__init__()
$init

    def forward(self, $args):
$forward
        return $returns
$train_override$table

def load_keras_weights(model: nn.Module, path=WEIGHTS_FILE) -> None:
    """Copies LayerCraft weights (a safetensors file) into `model`, names and shapes checked."""
    tensors = load_file(str(path))
    expected = [name for name, _, _ in WEIGHTS]
    if sorted(tensors) != sorted(expected):
        missing = sorted(set(expected) - set(tensors))
        unexpected = sorted(set(tensors) - set(tensors).intersection(expected))
        raise ValueError(
            f"{path} does not hold the weights of this model. Expected {len(expected)} "
            f"weights named as in WEIGHTS; missing: {missing[:3]}, unexpected: "
            f"{unexpected[:3]}. Use the weights.safetensors exported with this model.py, or "
            "a file its train.py wrote.")
    state = model.state_dict()
    with torch.no_grad():
        for name, targets, kind in WEIGHTS:
            for target, value in zip(targets, TO_TORCH[kind](tensors[name].float())):
                if state[target].shape != value.shape:
                    raise ValueError(
                        f"{path}: weight {name!r} gives {target} the shape "
                        f"{tuple(value.shape)}, but the model expects "
                        f"{tuple(state[target].shape)}. Use the weights exported with this "
                        "model.py.")
                state[target].copy_(value)


def keras_weights(model: nn.Module) -> dict:
    """The weights of `model` in LayerCraft's names and Keras layouts (float32, on the CPU)."""
    state = model.state_dict()
    return {name: TO_KERAS[kind](*(state[t] for t in targets)).detach().float().cpu()
            .contiguous() for name, targets, kind in WEIGHTS}


def build_model(weights=WEIGHTS_FILE) -> $class_name:
    """`$class_name` with the weights of `weights` loaded, in inference mode (`.eval()`)."""
    model = $class_name()
    load_keras_weights(model, weights)
    return model.eval()
''')

TRAIN_OVERRIDE = Template('''
    def train(self, mode: bool = True):
        # Keras runs a frozen (trainable=False) BatchNormalization in inference mode
        super().train(mode)
$modules
        return self
''')


def model_source(code, model_name: str, version: str, table: str) -> str:
    """model.py from a `pytorch_codegen.ModuleCode` and the weights table."""
    override = ""
    if code.eval_only:
        override = TRAIN_OVERRIDE.substitute(
            modules="\n".join(f"        {m}.eval()" for m in code.eval_only))
    return MODEL.substitute(
        model_name=model_name, version=version, class_name=code.class_name,
        class_doc=f"The layers of '{model_name}', in LayerCraft's order.",
        inputs=", ".join(_shape_text(s) for s in code.input_shapes),
        outputs=", ".join(_shape_text(s) for s in code.output_shapes),
        init=indented(code.init_lines, 8) or "        pass",
        args=", ".join(code.forward_args), forward=indented(code.forward_lines, 8),
        returns=", ".join(code.returns), train_override=override, table=table)


def indented(lines: list, indent: int) -> str:
    """`lines` indented; a trailing comment that makes a line too long goes above it."""
    pad, out = " " * indent, []
    for line in lines:
        code, _, comment = line.partition("  # ")
        if comment and len(pad + line) > LINE_LENGTH:
            out += [pad + "# " + text for text in
                    textwrap.wrap(comment, LINE_LENGTH - indent - 2)]
            line = code
        out.append(pad + line)
    return "\n".join(out)


def _shape_text(shape) -> str:
    return "(batch, " + ", ".join("None" if d is None else str(d) for d in shape) + ")"


README = Template('''# $model_name for PyTorch

Exported by LayerCraft $version, with the weights the model had when exported.

| file | what it is |
| --- | --- |
| `model.py` | `$class_name` (a `torch.nn.Module`) and `build_model()` |
| `weights.safetensors` | the weights: LayerCraft's names (`0000:dense/kernel`), Keras layouts |
$train_row| `README.md` | this file |

Needs Python 3.10+ and `pip install torch numpy safetensors` (written for torch 2.13).

## Predict

```python
import torch
from model import build_model

model = build_model()           # the weights of weights.safetensors, in inference mode
y = model(torch.from_numpy(x))  # x: float32 and channels-last, as in LayerCraft
```

Input shapes: $inputs.
$training
## Layers

Supported: Dense, Conv1D/Conv2D, pooling, BatchNormalization, LayerNormalization, Dropout,
Flatten, Reshape, activations, merges, Embedding, SimpleRNN, LSTM and GRU. Convolutions run
channels-first inside `forward` (one `permute` each way, commented), and Flatten sees
channels-last tensors, so features keep LayerCraft's order. Differences from LayerCraft:
PyTorch's BatchNormalization updates its running variance with the unbiased batch variance
(LayerCraft with the biased one), and masks (Embedding `mask_zero`) are not carried.
''')

TRAINING = Template('''
## Train with torchrun

`data.npz` holds `x` (channels-last, as LayerCraft takes it) and `y`.
$summary

CPUs use the gloo backend, GPUs NCCL (one process per GPU). On GPUs BatchNormalization becomes
SyncBatchNorm, so its batch statistics span the global batch as in LayerCraft; on CPUs (where
SyncBatchNorm does not run) each process normalizes over its own batch / N samples.

One machine, 4 processes (or GPUs):

```
torchrun --nproc-per-node=4 train.py --data data.npz --epochs 10 --output trained.safetensors
```

Several machines: copy this folder and the data to each, and start the same command on every
node, with its own `--node-rank` (0 to N-1) and the address of node 0:

```
torchrun --nnodes=2 --node-rank=0 --nproc-per-node=4 --rdzv-endpoint=node0.example:29500 \\
    train.py --data data.npz --epochs 10 --output trained.safetensors
torchrun --nnodes=2 --node-rank=1 --nproc-per-node=4 --rdzv-endpoint=node0.example:29500 \\
    train.py --data data.npz --epochs 10 --output trained.safetensors
```

`--validation-data val.npz` reports `val_loss` after each epoch; `--seed` fixes the shuffle.
Rank 0 (on node 0) writes `trained.safetensors`, in LayerCraft's names and Keras layouts.

## Back into LayerCraft

```python
from engine import load_model

model = load_model("my_model.lcm")          # the model you exported
model.load_weights("trained.safetensors")    # names and shapes are checked
model.evaluate(x_test, y_test)
model.save("trained.lcm")                    # a checkpoint the app opens
```

In PyTorch, `build_model("trained.safetensors")` loads the same weights.
''')


def readme_source(code, model_name: str, version: str, *, training=None,
                  batch_size=None) -> str:
    """README.md; `training` is the `TrainingCode` (None when train.py was not written)."""
    section = ""
    if training is not None:
        batch = (f"{batch_size} by default, the one used in LayerCraft" if batch_size else
                 "required: the export did not know the one used in LayerCraft")
        section = TRAINING.substitute(summary=textwrap.fill(
            f"Compiled with: {training.summary}. `--batch-size` is the global batch ({batch}): "
            "each of the N processes takes batch / N samples per step, and "
            "DistributedDataParallel averages the gradients, so the optimizer sees the batch "
            "it saw in LayerCraft.", 92))
    train_row = "" if training is None else \
        "| `train.py` | DistributedDataParallel training under `torchrun`, as compiled |\n"
    return README.substitute(
        model_name=model_name, version=version, class_name=code.class_name,
        train_row=train_row, inputs=", ".join(_shape_text(s) for s in code.input_shapes),
        training=section)
