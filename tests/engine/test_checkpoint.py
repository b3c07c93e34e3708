"""Checkpoint files: round trips, atomic writes, and refusal of damaged or hostile files."""

import hashlib
import io
import json
import os
import pickle
import struct
import zipfile

import numpy as np
import pytest

import engine
from engine import Input, Sequential, layers
from engine.saving import archive as checkpoint_archive
from engine.saving import checkpoint, safetensors_io
from engine.callbacks import History
from engine.saving.checkpoint import (load_model, load_weights, read_checkpoint, save_model,
                               save_weights, write_bytes_atomically)
from engine.errors import CheckpointError
from engine.model import Model


class FakeOptimizer:
    """Stands in for an engine optimizer: config plus a state of named arrays."""

    def __init__(self, learning_rate=0.01, name="fake"):
        self.learning_rate = learning_rate
        self.name = name
        self.state = {"iterations": np.array(7, dtype=np.int64),
                      "momentum": np.linspace(-1, 1, 5).astype(np.float32),
                      "scalar": np.array(0.25, dtype=np.float64)}

    def get_config(self):
        return {"learning_rate": self.learning_rate, "name": self.name}

    def get_state(self):
        return {k: v.copy() for k, v in self.state.items()}

    def set_state(self, state):
        self.state = {k: np.array(v) for k, v in state.items()}


def fake_compile(self, optimizer=None, loss=None, metrics=None, loss_weights=None):
    """Model.compile stand-in: builds the FakeOptimizer from its saved config."""
    self.optimizer = FakeOptimizer(**optimizer["config"])
    self.compile_config = {"optimizer": optimizer, "loss": loss, "metrics": metrics,
                           "loss_weights": loss_weights}


def small_model(name=None):
    return Sequential([Input((4,)), layers.Dense(5, activation="relu"),
                       layers.BatchNormalization(), layers.Dense(3, activation="softmax")],
                      name=name)


def trained_looking(model, rng):
    """Random weights (moving statistics included) and training attributes on `model`."""
    model.set_weights([rng.uniform(0.1, 1.0, size=w.shape).astype(np.float32)
                       for w in model.get_weights()])  # positive: valid moving variances
    model.optimizer = FakeOptimizer(learning_rate=0.005)
    model.compile_config = {"optimizer": {"class_name": "FakeOptimizer",
                                          "config": {"learning_rate": 0.01, "name": "fake"}},
                            "loss": "mse", "metrics": ["mae"], "loss_weights": None}
    model.history = History.from_dict({"history": {"loss": [0.9, 0.5], "val_loss": [1.0, 0.7]},
                                       "epoch": [0, 1], "params": {"epochs": 2, "steps": 3}})
    model.training_state = {"epoch": 2, "best": {"val_loss": 0.7}}
    return model


@pytest.fixture
def saved(tmp_path, rng):
    model = trained_looking(small_model(), rng)
    path = tmp_path / "run.lcm"
    save_model(model, path, extra={"note": "hello"})
    return model, path


def members_of(path):
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def write_zip(path, members: dict):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def rewrite(path, change=None, manifest_change=None, rehash=True):
    """Rewrites a checkpoint with members changed (and the manifest recomputed or not)."""
    members = members_of(path)
    manifest = json.loads(members.pop("manifest.json"))
    if change:
        change(members)
    if rehash:
        manifest["members"] = {n: {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d)}
                               for n, d in members.items()}
    if manifest_change:
        manifest_change(manifest)
    write_zip(path, {"manifest.json": json.dumps(manifest).encode(), **members})


def member_data_offset(blob: bytes, name: str) -> int:
    """Where the (stored) data of member `name` starts in the zip bytes."""
    info = zipfile.ZipFile(io.BytesIO(blob)).getinfo(name)
    name_len, extra_len = struct.unpack("<HH", blob[info.header_offset + 26:
                                                     info.header_offset + 30])
    return info.header_offset + 30 + name_len + extra_len


# ----- round trips -----------------------------------------------------------------------------
def test_that_a_saved_model_loads_with_identical_weights_predictions_and_spec(saved, rng,
                                                                              monkeypatch):
    monkeypatch.setattr(Model, "compile", fake_compile, raising=False)
    model, path = saved
    loaded = load_model(path)
    assert loaded.to_spec()["layers"] == model.to_spec()["layers"]
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    x = rng.normal(size=(6, 4)).astype(np.float32)
    np.testing.assert_array_equal(model.predict(x), loaded.predict(x))


def test_that_optimizer_state_history_and_training_state_survive_the_round_trip(saved,
                                                                                monkeypatch):
    monkeypatch.setattr(Model, "compile", fake_compile, raising=False)
    model, path = saved
    loaded = load_model(path)
    assert loaded.optimizer.learning_rate == 0.005  # the current rate, not the compiled one
    for key, value in model.optimizer.get_state().items():
        restored = loaded.optimizer.get_state()[key]
        assert restored.dtype == value.dtype
        np.testing.assert_array_equal(restored, value)
    assert loaded.history.history == model.history.history
    assert loaded.history.epoch == [0, 1]
    assert loaded.training_state == {"epoch": 2, "best": {"val_loss": 0.7}}
    assert loaded.compile_config["loss"] == "mse"


def test_that_load_model_without_compile_leaves_the_model_uncompiled(saved, monkeypatch):
    calls = []
    monkeypatch.setattr(Model, "compile", lambda self, **kw: calls.append(kw), raising=False)
    _, path = saved
    load_model(path, compile=False)
    assert calls == []


def test_that_read_checkpoint_returns_every_part_without_building_a_model(saved, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("read_checkpoint must not build a model")

    monkeypatch.setattr(Model, "from_spec", refuse)
    model, path = saved
    contents = read_checkpoint(path)
    assert contents.kind == "model" and contents.format_version == 1
    assert contents.engine_version == engine.__version__
    assert contents.epoch == 2 and contents.best == {"val_loss": 0.7}
    assert contents.extra == {"note": "hello"}
    assert contents.compile_config["metrics"] == ["mae"]
    assert contents.training["optimizer"]["class_name"] == "FakeOptimizer"
    assert list(contents.weights)[:2] == ["0000:dense/kernel", "0001:dense/bias"]
    assert all(w.dtype == np.float32 for w in contents.weight_list)
    assert contents.spec == model.to_spec()
    assert set(contents.optimizer_state) == {"iterations", "momentum", "scalar"}
    assert contents.history["epoch"] == [0, 1]


def test_that_the_manifest_lists_the_hash_and_size_of_every_member(saved):
    _, path = saved
    members = members_of(path)
    manifest = json.loads(members.pop("manifest.json"))
    assert manifest["format"] == "layercraft.checkpoint" and manifest["kind"] == "model"
    assert set(manifest["members"]) == set(members) == {
        "model.json", "weights.safetensors", "optimizer.safetensors", "training.json",
        "history.json"}
    for name, data in members.items():
        assert manifest["members"][name] == {"sha256": hashlib.sha256(data).hexdigest(),
                                             "size": len(data)}


def test_that_weights_files_hold_spec_and_weights_and_load_into_a_fresh_model(tmp_path, rng):
    model = trained_looking(small_model(), rng)
    path = tmp_path / "w.weights.lcw"
    save_weights(model, path)
    contents = read_checkpoint(path)
    assert contents.kind == "weights" and contents.optimizer_state is None
    assert contents.training == {} and contents.history is None
    other = small_model()  # other layer names (dense_2...), same architecture
    load_weights(other, path)
    x = rng.normal(size=(3, 4)).astype(np.float32)
    np.testing.assert_array_equal(other.predict(x), model.predict(x))
    np.testing.assert_array_equal(load_model(path).predict(x), model.predict(x))


def test_that_an_uncompiled_model_saves_without_optimizer_or_history(tmp_path):
    model = small_model()
    save_model(model, tmp_path / "plain.lcm")
    contents = read_checkpoint(tmp_path / "plain.lcm")
    assert contents.optimizer_state is None and contents.history is None
    assert contents.compile_config is None and contents.epoch == 0


def test_that_include_optimizer_false_leaves_out_the_optimizer_state(tmp_path, rng):
    model = trained_looking(small_model(), rng)
    save_model(model, tmp_path / "no_opt.lcm", include_optimizer=False)
    assert read_checkpoint(tmp_path / "no_opt.lcm").optimizer_state is None


def test_that_weights_of_another_shape_are_refused_naming_the_weight(tmp_path):
    save_weights(small_model(), tmp_path / "w.weights.lcw")
    other = Sequential([Input((4,)), layers.Dense(6), layers.BatchNormalization(),
                        layers.Dense(3)])
    with pytest.raises(CheckpointError, match=r"'0000:dense/kernel' has shape \(4, 5\).*"
                                              r"'dense_2/kernel'.*\(4, 6\)"):
        load_weights(other, tmp_path / "w.weights.lcw")
    with pytest.raises(CheckpointError, match="holds 8 weight arrays, but model"):
        load_weights(Sequential([Input((4,)), layers.Dense(5)]), tmp_path / "w.weights.lcw")


def test_that_a_spec_with_an_unknown_layer_class_is_refused(saved):
    _, path = saved

    def change(members):
        spec = json.loads(members["model.json"])
        spec["layers"][1]["class_name"] = "os.system"
        members["model.json"] = json.dumps(spec).encode()

    rewrite(path, change)
    with pytest.raises(CheckpointError,
                       match=r"cannot be loaded.*not registered.*'dense' \(os\.system\)"):
        load_model(path)


# ----- the safetensors format ----------------------------------------------------------------
def test_that_safetensors_round_trip_every_allowed_dtype_in_the_library_format(rng):
    from safetensors.numpy import load, save

    tensors = {"b": rng.normal(size=(2, 3)).astype(np.float32),
               "a": np.arange(4, dtype=np.int64), "e": np.zeros((0, 2), np.float32),
               "s": np.array(2.5), "i": np.arange(3, dtype=">i4")}
    for decoded in (load(safetensors_io.encode(tensors)), safetensors_io.decode(save(
            {k: v.astype(v.dtype.newbyteorder("=")) for k, v in tensors.items()}))):
        assert set(decoded) == set(tensors)
        for name, value in tensors.items():
            np.testing.assert_array_equal(decoded[name], value)
            assert decoded[name].shape == value.shape
            assert decoded[name].dtype == value.dtype.newbyteorder("=")


def test_that_decoded_arrays_are_writable_copies():
    decoded = safetensors_io.decode(safetensors_io.encode({"x": np.ones(3, np.float32)}))
    decoded["x"][0] = 5.0
    assert decoded["x"].flags.writeable and decoded["x"][0] == 5.0


def _raw_safetensors(header: dict, data: bytes) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


@pytest.mark.parametrize("header, data, message", [
    ({"x": {"dtype": "O", "shape": [1], "data_offsets": [0, 8]}}, bytes(8), "unknown variant"),
    ({"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, bytes(8), "invalid shape"),
    ({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
      "y": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, bytes(12),
     "invalid offset for tensor `y`"),
    ({"x": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}, bytes(8), "invalid offset"),
    ({"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, bytes(8), "not fully covered"),
    ({"x": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, bytes(4), "integer `-1`"),
    ({"__metadata__": {"a": 1}}, b"", "expected a string"),
    ({"x": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}, bytes(4),
     "'BF16'; allowed: F32, F64, I32, I64"),
    ({"x": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}}, bytes(4), "'U8'; allowed"),
])
def test_that_the_safetensors_reader_refuses_inconsistent_headers(header, data, message):
    with pytest.raises(safetensors_io.SafetensorsFormatError, match=message):
        safetensors_io.decode(_raw_safetensors(header, data))


def test_that_the_safetensors_reader_refuses_a_header_longer_than_the_file():
    with pytest.raises(safetensors_io.SafetensorsFormatError, match="header too large"):
        safetensors_io.decode(struct.pack("<Q", 10 ** 12) + b"{}")
    with pytest.raises(safetensors_io.SafetensorsFormatError, match="invalid JSON"):
        safetensors_io.decode(struct.pack("<Q", 3) + b"{{{")
    with pytest.raises(safetensors_io.SafetensorsFormatError, match="header too small"):
        safetensors_io.decode(b"abc")


def test_that_unsupported_dtypes_are_not_written():
    with pytest.raises(safetensors_io.SafetensorsFormatError, match="only float32"):
        safetensors_io.encode({"x": np.array(["a"])})


# ----- damaged, foreign and hostile files ------------------------------------------------------
def test_that_a_flipped_byte_in_any_member_gives_a_checkpoint_error(saved):
    _, path = saved
    blob = path.read_bytes()
    names = [n for n in members_of(path)]
    for name in names:
        start = member_data_offset(blob, name)
        damaged = bytearray(blob)
        damaged[start + 5] ^= 0x40
        path.write_bytes(bytes(damaged))
        with pytest.raises(CheckpointError, match="damaged|modified|not valid|LayerCraft"):
            read_checkpoint(path)


def test_that_a_flipped_byte_in_the_weights_is_reported_as_damage(saved):
    _, path = saved
    blob = bytearray(path.read_bytes())
    blob[member_data_offset(bytes(blob), "weights.safetensors") + 200] ^= 0x01
    path.write_bytes(bytes(blob))
    with pytest.raises(CheckpointError, match=r"is damaged: .*'weights.safetensors'"):
        read_checkpoint(path)


@pytest.mark.parametrize("keep", [0, 10, 0.5, -1, -30])
def test_that_a_truncated_file_gives_a_checkpoint_error(saved, keep):
    _, path = saved
    blob = path.read_bytes()
    cut = int(len(blob) * keep) if isinstance(keep, float) else (keep if keep >= 0
                                                                  else len(blob) + keep)
    path.write_bytes(blob[:cut])
    with pytest.raises(CheckpointError, match="truncated or not a LayerCraft file"):
        read_checkpoint(path)


def test_that_a_changed_member_with_a_stale_manifest_is_refused_as_tampered(saved):
    _, path = saved

    def change(members):
        members["model.json"] = members["model.json"].replace(b'"relu"', b'"tanh"')

    rewrite(path, change, rehash=False)
    with pytest.raises(CheckpointError, match=r"modified after it was saved.*'model.json'"):
        load_model(path)


def test_that_a_manifest_hash_that_does_not_match_is_refused(saved):
    _, path = saved

    def forge(manifest):
        manifest["members"]["weights.safetensors"]["sha256"] = "0" * 64

    rewrite(path, manifest_change=forge)
    with pytest.raises(CheckpointError, match="SHA-256 of 'weights.safetensors' does not match"):
        read_checkpoint(path)


def test_that_a_member_missing_from_the_archive_is_refused(saved):
    _, path = saved
    rewrite(path, lambda m: m.pop("history.json"), rehash=False)
    with pytest.raises(CheckpointError, match="does not list exactly"):
        read_checkpoint(path)


@pytest.mark.parametrize("name", ["data.pkl", "notes.txt", "../evil", "/etc/evil",
                                  "weights/../model.json", "model.json/"])
def test_that_unexpected_members_are_refused_even_with_a_valid_manifest(saved, name):
    _, path = saved
    payload = pickle.dumps({"x": 1})
    rewrite(path, lambda members: members.__setitem__(name, payload))
    with pytest.raises(CheckpointError, match="not part of a LayerCraft checkpoint"):
        read_checkpoint(path)


def test_that_a_duplicated_member_is_refused(saved):
    _, path = saved
    with zipfile.ZipFile(path, "a") as archive, pytest.warns(UserWarning, match="Duplicate"):
        archive.writestr("model.json", b"{}")
    with pytest.raises(CheckpointError, match="twice"):
        read_checkpoint(path)


def test_that_a_plain_zip_a_random_file_and_a_keras_archive_are_refused(tmp_path, rng):
    plain = tmp_path / "plain.zip"
    write_zip(plain, {"readme.txt": b"hello"})
    with pytest.raises(CheckpointError, match="zip archive but not a LayerCraft checkpoint"):
        read_checkpoint(plain)
    noise = tmp_path / "noise.lcm"
    noise.write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with pytest.raises(CheckpointError, match=r"'.*noise.lcm' is truncated or not a LayerCraft "
                                              r"file \(not a zip archive\). Choose another"):
        read_checkpoint(noise)
    keras = tmp_path / "model.keras"
    write_zip(keras, {"metadata.json": b"{}", "config.json": b"{}", "model.weights.h5": b"x"})
    with pytest.raises(CheckpointError, match="is a Keras archive"):
        load_model(keras)


def test_that_missing_paths_and_folders_give_a_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        read_checkpoint(tmp_path / "nothing.lcm")
    with pytest.raises(CheckpointError, match="is a folder"):
        read_checkpoint(tmp_path)


def test_that_a_file_from_a_newer_format_version_asks_to_update(saved):
    _, path = saved
    rewrite(path, manifest_change=lambda m: m.update(version=2, engine_version="9.0.0"))
    with pytest.raises(CheckpointError, match=r"newer LayerCraft \(9.0.0.*Update LayerCraft"):
        read_checkpoint(path)


def test_that_a_manifest_of_another_format_is_refused(saved):
    _, path = saved
    rewrite(path, manifest_change=lambda m: m.update(format="something.else"))
    with pytest.raises(CheckpointError, match="not a LayerCraft checkpoint"):
        read_checkpoint(path)


def test_that_a_zip_bomb_is_refused_before_it_is_decompressed(saved, monkeypatch):
    _, path = saved
    monkeypatch.setattr(checkpoint_archive, "_RATIO_FLOOR", 1000)
    padding = json.dumps({"history": {"loss": [0.0] * 20000}, "epoch": []}).encode()
    rewrite(path, lambda m: m.__setitem__("history.json", padding))
    with zipfile.ZipFile(path) as archive:  # the fixture of this test: a highly packed member
        info = archive.getinfo("history.json")
    assert info.file_size > 200 * info.compress_size
    with pytest.raises(CheckpointError, match="decompression bomb"):
        read_checkpoint(path)


def test_that_an_oversized_member_is_refused(saved, monkeypatch):
    _, path = saved
    monkeypatch.setattr(checkpoint_archive, "MAX_MEMBER_BYTES", 100)
    with pytest.raises(CheckpointError, match="over the limit"):
        read_checkpoint(path)


def test_that_weights_of_another_dtype_or_name_are_refused(saved):
    _, path = saved
    bad = safetensors_io.encode({"0000:dense/kernel": np.zeros(3, np.float64)})
    rewrite(path, lambda m: m.__setitem__("weights.safetensors", bad))
    with pytest.raises(CheckpointError, match="which LayerCraft does not write"):
        read_checkpoint(path)


def test_that_malformed_training_json_is_refused(saved):
    _, path = saved
    rewrite(path, lambda m: m.__setitem__("training.json", b'{"epoch": "three"}'))
    with pytest.raises(CheckpointError, match="training settings .* are malformed"):
        read_checkpoint(path)


# ----- atomic writes ----------------------------------------------------------------------------
def test_that_a_crash_while_replacing_keeps_the_previous_checkpoint_and_no_temp_file(
        saved, monkeypatch):
    model, path = saved
    before = path.read_bytes()

    def crash(src, dst):
        raise RuntimeError("power cut")

    monkeypatch.setattr(os, "replace", crash)
    model.training_state["epoch"] = 3
    with pytest.raises(RuntimeError, match="power cut"):
        save_model(model, path)
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]
    monkeypatch.undo()
    assert read_checkpoint(path).epoch == 2


def test_that_a_write_error_becomes_a_checkpoint_error_and_leaves_nothing_behind(
        saved, monkeypatch):
    model, path = saved
    before = path.read_bytes()

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(CheckpointError, match="No space left on device.*unchanged"):
        save_model(model, path)
    assert path.read_bytes() == before
    assert os.listdir(path.parent) == [path.name]


def test_that_write_bytes_atomically_replaces_the_file_and_keeps_its_permissions(tmp_path):
    target = tmp_path / "f.bin"
    write_bytes_atomically(target, b"one")
    os.chmod(target, 0o600)
    write_bytes_atomically(target, b"two")
    assert target.read_bytes() == b"two"
    assert target.stat().st_mode & 0o777 == 0o600
    assert os.listdir(tmp_path) == ["f.bin"]


def test_that_saving_into_a_missing_folder_is_a_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match="Could not write the checkpoint"):
        write_bytes_atomically(tmp_path / "missing" / "f.lcm", b"x")


def test_that_unserialisable_extra_data_is_refused_with_a_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match="not plain JSON"):
        save_model(small_model(), tmp_path / "x.lcm", extra={"f": object()})
    assert not (tmp_path / "x.lcm").exists()


def test_that_the_model_methods_and_suffix_constants_are_the_documented_ones():
    assert checkpoint.MODEL_SUFFIX == ".lcm"
    assert checkpoint.WEIGHTS_SUFFIX == ".weights.lcw"


# ----- with the real trainer ---------------------------------------------------------------------
def test_that_training_resumed_from_a_checkpoint_equals_an_uninterrupted_run(tmp_path, rng):
    x = rng.normal(size=(24, 4)).astype(np.float32)
    y = rng.integers(0, 3, 24)

    def compiled():
        model = Sequential([Input((4,)), layers.Dense(5, activation="relu"),
                            layers.Dense(3, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    reference = compiled()
    start = reference.get_weights()
    reference.fit(x, y, epochs=4, batch_size=8, shuffle=False, verbose=0)
    first = compiled()
    first.set_weights(start)
    first.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    save_model(first, tmp_path / "half.lcm")

    resumed = load_model(tmp_path / "half.lcm")
    assert resumed.training_state["epoch"] == 2 and resumed.history.epoch == [0, 1]
    assert resumed.optimizer.iterations == first.optimizer.iterations == 6
    resumed.fit(x, y, epochs=4, initial_epoch=2, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(resumed.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
