"""Compiles kernels into numba's on-disk cache, in a process of its own.

    python -m engine.kernels.fill_cache KERNELS_JSON   (`preparing.CHILD_CODE` runs `main`)

`preparing` runs this when the cache lacks kernels, then loads the machine code from the
cache: numba's compiler never runs inside the app or a training process. (It crashed CI
twice, in its IR passes and its type inference, while it ran in a background thread beside
Qt's GUI thread.) KERNELS_JSON lists `[module, kernel, arguments]`, the arguments described
as stand-ins of the caller's types: `["array", dtype, ndim]`, `["float32", x]`,
`["bool", b]` or `["int", n]`.

All of them compile in this one process, at a lower priority than the training that waits
for nothing from it (NumPy computes meanwhile; `preparing.NICENESS`). On the 2-core Intel Xeon, a convnet's eight
kernels compiled in one child process each, at full priority, made a cold first epoch 5.0 s
instead of 0.8 s: the children took 7.2 s of CPU, most of it importing numba eight times.
"""

import importlib
import json
import sys


def stand_ins(described):
    import numpy as np  # noqa: PLC0415

    made = []
    for kind, *rest in described:
        if kind == "array":
            made.append(np.zeros((2,) * rest[1], dtype=rest[0]))
        elif kind == "float32":
            made.append(np.float32(rest[0]))
        elif kind == "bool":
            made.append(bool(rest[0]))
        else:
            made.append(int(rest[0]))
    return made


def main(argv) -> int:
    for module_name, kernel_name, described in json.loads(argv[0]):
        module = importlib.import_module(f"engine.kernels.{module_name}")
        getattr(module, kernel_name)(*stand_ins(described))  # compiles, then caches
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
