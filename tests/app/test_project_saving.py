"""Saving a project: the file keeps its permissions, and temporary files of killed saves
are swept on the next save (only ours, only old ones)."""

import os
import stat
import time

import pytest

from app import project_io
from engine import atomic_write

MODEL = {"format": "layercraft.model", "version": 1, "layers": [], "outputs": []}


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_that_saving_keeps_the_mode_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "shared.lcproj"
    project_io.save(path, project_io.Project(model=MODEL))
    os.chmod(path, 0o640)

    project_io.save(path, project_io.Project(model={**MODEL, "name": "again"}))

    assert mode_of(path) == 0o640
    assert project_io.load(path).model["name"] == "again"


def test_that_a_new_project_file_gets_the_usual_mode_not_a_private_one(tmp_path, umask_022):
    path = tmp_path / "new.lcproj"
    project_io.save(path, project_io.Project(model=MODEL))
    assert mode_of(path) == 0o644


def test_that_the_umask_is_read_without_changing_it(umask_022):
    assert atomic_write.current_umask() == 0o022
    assert os.umask(0o022) == 0o022


def test_that_a_save_sweeps_old_temporary_files_of_our_naming_only(tmp_path):
    old = time.time() - 10
    names = {"orphan": ".lcsave-ab12cd34.tmp", "fresh": ".lcsave-zz99yy88.tmp",
             "checkpoint": ".run.lcm.lcsave-ab12cd34.tmp", "foreign": ".other-ab12cd34.tmp",
             "user": "notes.tmp"}
    for key, name in names.items():
        (tmp_path / name).write_bytes(b"half a project")
        if key != "fresh":
            os.utime(tmp_path / name, (old, old))

    project_io.save(tmp_path / "p.lcproj", project_io.Project(model=MODEL))

    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(["p.lcproj"] + [names[k] for k in ("fresh", "foreign", "user")])


def test_that_the_sweep_never_follows_a_link_or_removes_a_folder(tmp_path):
    old = time.time() - 10
    target = tmp_path / "keep.txt"
    target.write_text("mine")
    (tmp_path / ".lcsave-link0001.tmp").symlink_to(target)
    (tmp_path / ".lcsave-dir00001.tmp").mkdir()
    for name in (".lcsave-link0001.tmp", ".lcsave-dir00001.tmp"):
        os.utime(tmp_path / name, (old, old), follow_symlinks=False)

    assert atomic_write.remove_orphaned_temps(tmp_path) == []
    assert target.read_text() == "mine"


def test_that_a_temporary_file_a_living_save_holds_is_not_swept(tmp_path):
    fcntl = pytest.importorskip("fcntl")
    temp = tmp_path / ".lcsave-held0001.tmp"
    temp.write_bytes(b"being written")
    with open(temp, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        later = time.time() + 3600
        assert atomic_write.remove_orphaned_temps(tmp_path, now=later) == []
    assert temp.exists()
