"""`make gpu-check`: the GPU-marked tests, then the benchmark's cases on the GPU, one table.

    .venv/bin/pip install -e ".[gpu,test]"     # CuPy; a CUDA build of PyTorch is optional
    make gpu-check

Without CuPy or a CUDA device it says why and exits 0, running nothing.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def gpu_missing():
    """Why there is no usable GPU, or None when CuPy sees a CUDA device."""
    from engine import backend

    return None if backend.gpu_available() else backend.gpu_status()


def run_gpu_tests() -> tuple[int, str]:
    """(exit status, pytest's summary line) of `pytest -m gpu`."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    command = [sys.executable, "-m", "pytest", "-m", "gpu", "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0:
        print(done.stdout[-6000:], done.stderr[-2000:], sep="\n")
    return done.returncode, lines[-1] if lines else "no output"


def main() -> int:
    reason = gpu_missing()
    if reason:
        print(f"GPU check skipped: {reason}.\nOn a machine with an NVIDIA GPU: "
              "`.venv/bin/pip install -e \".[gpu,test]\"` (CuPy; optionally a CUDA build of "
              "PyTorch for the comparison), then `make gpu-check`.")
        return 0
    status, summary = run_gpu_tests()
    print(f"GPU tests (pytest -m gpu): {summary}", flush=True)
    bench = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--gpu",
                            *sys.argv[1:]], cwd=ROOT, check=False)
    return status or bench.returncode


if __name__ == "__main__":
    sys.exit(main())
