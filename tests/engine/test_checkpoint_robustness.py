"""Damaged and hostile checkpoints and specs give a LayerCraftError, never a raw exception;
saves killed halfway leave nothing behind after the next save."""

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from engine import Input, Sequential, atomic_write, layers, load_model
from engine.saving import archive as checkpoint_archive
from engine.errors import CheckpointError, LayerCraftError
from tests import fuzz_engine_files as fuzz

#: Cases per family in the quick suite; `bench/fuzz.py` runs thousands.
QUICK_EXAMPLES = 150


def saved_model(tmp_path):
    model = Sequential([Input((4,)), layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(np.zeros((4, 4), np.float32), np.array([0, 1, 0, 1]), epochs=1, verbose=0)
    path = tmp_path / "m.lcm"
    model.save(path)
    return path


def resigned(path, member: str, change) -> None:
    """Changes one JSON member and packs the checkpoint again with a matching manifest."""
    manifest, members = checkpoint_archive.unpack(path)
    members[member] = json.dumps(change(json.loads(members[member]))).encode()
    path.write_bytes(checkpoint_archive.pack(members, manifest["kind"], "0.1.0"))


# ----- reported cases ----------------------------------------------------------------------------
def test_that_a_zip_needing_an_unknown_zip_version_is_refused_as_damaged(tmp_path):
    path = saved_model(tmp_path)
    blob = bytearray(path.read_bytes())
    central = blob.find(b"PK\x01\x02")
    blob[central + 6] = 200  # "version needed to extract": 20.0, which zipfile does not know
    path.write_bytes(bytes(blob))
    with pytest.raises(CheckpointError, match="truncated or not a LayerCraft file"):
        load_model(path)


@pytest.mark.parametrize("change, message", [
    (lambda h: {**h, "params": 3}, "'params' must be a JSON object"),
    (lambda h: {**h, "params": ["ab"]}, "'params' must be a JSON object"),
    (lambda h: {**h, "epoch": [0, "one"]}, "'epoch' must be a list of epoch numbers"),
    (lambda h: {**h, "epoch": 2}, "'epoch' must be a list of epoch numbers"),
    (lambda h: {**h, "history": {"loss": ["x"]}}, "list of numbers"),
    (lambda h: [h], "expected a JSON object"),
])
def test_that_a_malformed_history_is_refused_naming_the_field(tmp_path, change, message):
    path = saved_model(tmp_path)
    resigned(path, "history.json", change)
    with pytest.raises(CheckpointError, match=message):
        load_model(path)


@pytest.mark.parametrize("change", [
    lambda t: {**t, "best": {"val_loss": "low"}},
    lambda t: {**t, "best": []},
    lambda t: {**t, "epoch": -1},
    lambda t: {**t, "compile_config": {**t["compile_config"], "metrics": [1.5]}},
    lambda t: {**t, "compile_config": {**t["compile_config"], "loss": {"a": 3}}},
])
def test_that_malformed_training_settings_are_refused(tmp_path, change):
    path = saved_model(tmp_path)
    resigned(path, "training.json", change)
    with pytest.raises(CheckpointError):
        load_model(path)


def test_that_malformed_training_settings_still_give_the_weights_without_compile(tmp_path):
    path = saved_model(tmp_path)
    resigned(path, "training.json",
             lambda t: {**t, "compile_config": {**t["compile_config"], "metrics": [1.5]}})
    assert not load_model(path, compile=False).compiled


# ----- property-based fuzzing ----------------------------------------------------------------------
def _outcome_of(open_case, case):
    result = fuzz.outcome(open_case, case)
    assert not result.startswith("raw"), result
    return result


@settings(max_examples=QUICK_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1))
def test_that_any_mutated_checkpoint_loads_or_gives_a_layercraft_error(tmp_path, seed):
    path = tmp_path / "fuzzed.lcm"
    path.write_bytes(fuzz.checkpoint_case(random.Random(seed)))
    _outcome_of(fuzz.open_checkpoint, path)


@settings(max_examples=QUICK_EXAMPLES, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_that_any_mutated_model_spec_builds_or_gives_a_layercraft_error(seed):
    _outcome_of(fuzz.open_spec, fuzz.spec_case(random.Random(seed)))


def test_that_the_fuzz_outcome_counts_a_raw_exception_as_such():
    def crash(_):
        raise KeyError("boom")

    def refuse(_):
        raise CheckpointError("no")

    assert fuzz.outcome(crash, None).startswith("raw: KeyError")
    assert fuzz.outcome(refuse, None) == "refused"
    assert issubclass(CheckpointError, LayerCraftError)


# ----- saves killed halfway -------------------------------------------------------------------
KILLED_SAVE = textwrap.dedent("""
    import os, sys, time
    from engine import Input, Sequential, layers
    model = Sequential([Input((4,)), layers.Dense(2)])
    real_fsync = os.fsync
    def stalled_fsync(fd):
        print("writing", flush=True)
        time.sleep(60)
    os.fsync = stalled_fsync
    model.save(sys.argv[1])
""")


def test_that_the_next_save_removes_the_temp_file_of_a_killed_save(tmp_path):
    target = tmp_path / "run.lcm"
    child = subprocess.Popen([sys.executable, "-c", KILLED_SAVE, str(target)],
                             stdout=subprocess.PIPE, text=True,
                             cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    try:
        assert child.stdout.readline().strip() == "writing"
        temps = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        assert len(temps) == 1
        atomic_write.remove_orphaned_temps(tmp_path)
        assert temps[0].exists(), "a save in progress must keep its temporary file"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    past = time.time() - 2 * atomic_write.MIN_ORPHAN_AGE_S
    os.utime(temps[0], (past, past))

    saved_model(tmp_path)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.lcm"]


def test_that_only_our_own_old_temp_files_are_swept(tmp_path):
    past = time.time() - 10
    names = {"orphan": ".run.lcm.lcsave-ab12cd34.tmp", "young": ".x.lcm.lcsave-zz99yy88.tmp",
             "foreign": ".run.lcm.abcdefgh.tmp", "user": "notes.tmp"}
    for key, name in names.items():
        (tmp_path / name).write_bytes(b"x")
        if key != "young":
            os.utime(tmp_path / name, (past, past))

    removed = atomic_write.remove_orphaned_temps(tmp_path)

    assert removed == [names["orphan"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        names[k] for k in ("young", "foreign", "user"))
