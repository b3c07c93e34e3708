"""SIGKILL during saves: the target always loads, and the next save leaves no temporary file.

    .venv/bin/python bench/kill_saves.py [--kills 120]

A child process saves a checkpoint and a project in a loop into one folder; the parent kills
it at a random moment, over and over. After every kill the checkpoint and the project must
load (the old or the new version, never a broken one). At the end one more save runs in
each folder (after the one-second grace that protects a save in progress) and no temporary
file may be left.
"""

import argparse
from pathlib import Path
import random
import signal
import subprocess
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import atomic_write, load_model  # noqa: E402

SAVER = """
import sys
from engine import Input, Sequential, layers
from app import project_io
model = Sequential([Input((64,)), layers.Dense(512), layers.Dense(512), layers.Dense(10)])
model.compile(optimizer="adam", loss="mse")
project = project_io.Project(model=model.to_spec())
print("ready", flush=True)
while True:
    model.save(sys.argv[1])
    project_io.save(sys.argv[2], project)
"""


def temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def kill_once(folder: Path, rng: random.Random) -> None:
    child = subprocess.Popen([sys.executable, "-c", SAVER, str(folder / "run.lcm"),
                              str(folder / "p.lcproj")], cwd=ROOT, stdout=subprocess.PIPE,
                             text=True)
    child.stdout.readline()
    time.sleep(rng.uniform(0.0, 0.3))
    child.send_signal(signal.SIGKILL)
    child.wait()


def check_loads(folder: Path) -> None:
    from app import project_io  # noqa: PLC0415

    if (folder / "run.lcm").exists():
        load_model(folder / "run.lcm")
    if (folder / "p.lcproj").exists():
        project_io.load(folder / "p.lcproj")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=120)
    args = parser.parse_args(argv)
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        most = 0
        for _ in range(args.kills):
            kill_once(folder, rng)
            check_loads(folder)
            most = max(most, len(temps(folder)))
        left_by_kills = temps(folder)
        time.sleep(atomic_write.MIN_ORPHAN_AGE_S + 0.1)
        from app import project_io  # noqa: PLC0415

        project_io.save(folder / "p.lcproj", project_io.load(folder / "p.lcproj"))
        load_model(folder / "run.lcm").save(folder / "run.lcm")
        left = temps(folder)
    print(f"{args.kills} kills: every file loaded after each kill; at most {most} temporary "
          f"files at once; {len(left_by_kills)} left by the kills, {len(left)} after the next "
          "saves")
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
