"""What the benchmark runs on, and the process-wide settings made before NumPy loads."""

import os
import platform
import subprocess
import time


def setup(threads: int, flush: bool) -> None:
    """Caps BLAS/OpenMP threads and sets the engine's denormal flushing, then imports the
    engine before anything else loads NumPy (so OpenBLAS's workers inherit the flush)."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)
    if not flush:
        os.environ["LAYERCRAFT_FLUSH_DENORMAL"] = "0"
    import engine  # noqa: F401 - first NumPy import happens here


def cpu_name() -> str:
    """Vendor and model name, from /proc/cpuinfo (Linux) or lscpu, else `platform`."""
    fields = _cpuinfo_fields()
    if not fields:
        fields = _lscpu_fields()
    model = fields.get("model name") or platform.processor() or platform.machine()
    vendor = fields.get("vendor_id") or fields.get("vendor id")
    return f"{model} ({vendor})" if vendor and vendor not in model else model


def _cpuinfo_fields() -> dict:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            return _fields(handle.read().split("\n\n")[0].splitlines(), ":")
    except OSError:
        return {}


def _lscpu_fields() -> dict:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10,
                             check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return {}
    return _fields(out.splitlines(), ":")


def _fields(lines, separator) -> dict:
    pairs = (line.split(separator, 1) for line in lines if separator in line)
    return {key.strip().lower(): value.strip() for key, value in pairs}


def versions(torch) -> str:
    import numpy as np

    blas = _blas_name(np)
    torch_text = f"PyTorch {torch.__version__}" if torch else "PyTorch not installed"
    return f"Python {platform.python_version()}, NumPy {np.__version__} ({blas}), {torch_text}"


def _blas_name(np) -> str:
    try:
        config = np.show_config(mode="dicts")
        return config["Build Dependencies"]["blas"]["name"]
    except Exception:  # noqa: BLE001 - only a label
        return "BLAS unknown"


def _busy_seconds():
    """All CPUs' busy time since boot (from /proc/stat), or None off Linux."""
    try:
        with open("/proc/stat", encoding="ascii") as handle:
            fields = [int(v) for v in handle.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_seconds():
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


class OtherLoad:
    """How much of the machine other processes used between `start()` and `share()`."""

    def start(self):
        self._busy, self._own, self._wall = _busy_seconds(), _own_seconds(), time.monotonic()

    def share(self):
        """Other processes' CPU time over (wall time x cores), in percent (None off Linux)."""
        busy = _busy_seconds()
        if busy is None or self._busy is None:
            return None
        other = (busy - self._busy) - (_own_seconds() - self._own)
        return max(0.0, 100 * other / ((time.monotonic() - self._wall) * (os.cpu_count() or 1)))
