"""Where a run's checkpoints go: a folder per run, beside the project file.

A saved project `~/models/digits.lcproj` keeps the checkpoints of its run `run-20250101-120000`
in `~/models/digits.runs/run-20250101-120000/`, so they move and are deleted with the
project, and one run's files never mix with another's. An unsaved project has no place of
its own and uses the global `~/LayerCraft/checkpoints/`; a folder chosen in the settings
replaces the base folder (each run still gets its own subfolder).
"""

import os

RUNS_SUFFIX = ".runs"


def default_checkpoint_folder() -> str:
    """The global base folder, for projects that were never saved."""
    return os.path.join(os.path.expanduser("~"), "LayerCraft", "checkpoints")


def checkpoint_base(project_path: str | None, chosen: str = "") -> str:
    """The folder that holds one subfolder per run.

    Args:
        project_path: The project file, or None while the project is unsaved.
        chosen: The folder picked in the training settings; empty for the default.
    """
    if chosen:
        return chosen
    if project_path:
        stem = os.path.splitext(os.path.abspath(project_path))[0]
        return stem + RUNS_SUFFIX
    return default_checkpoint_folder()


def new_run_folder(base: str, run_name: str) -> str:
    """`base/run_name`, or `base/run_name-2`, `-3`... when that folder is already taken
    (two runs started within the same second), so a run never writes into another's."""
    folder = os.path.join(base, run_name)
    count = 1
    while os.path.exists(folder):
        count += 1
        folder = os.path.join(base, f"{run_name}-{count}")
    return folder


def assign_run_folder(settings: dict, run_name: str, project_path: str | None) -> None:
    """Sets `settings["checkpoint"]["run_folder"]` for a run that saves checkpoints. The
    settings go into the run's record, so its files can be found (and counted) later."""
    save = settings["checkpoint"]
    if save.get("enabled"):
        base = checkpoint_base(project_path, save.get("folder", ""))
        save["run_folder"] = new_run_folder(base, run_name)
