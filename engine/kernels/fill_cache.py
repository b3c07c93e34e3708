"""Compiles one kernel into numba's on-disk cache, in a process of its own.

    python -m engine.kernels.fill_cache MODULE KERNEL ARGUMENTS_JSON

`preparing` runs this when the cache lacks a kernel, then loads the machine code from the
cache: numba's compiler never runs inside the app or a training process. (It crashed CI
twice, in its IR passes and its type inference, while it ran in a background thread beside
Qt's GUI thread.) ARGUMENTS_JSON describes stand-in arguments of the caller's types:
`["array", dtype, ndim]`, `["float32", x]`, `["bool", b]` or `["int", n]`.
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
    module_name, kernel_name, described = argv
    module = importlib.import_module(f"engine.kernels.{module_name}")
    getattr(module, kernel_name)(*stand_ins(json.loads(described)))  # compiles, then caches
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
