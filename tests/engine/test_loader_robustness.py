"""Damaged, hostile and questionable files: every loader answers with a `DataError` a person
can act on (what is wrong, where, what to do), never with a raw exception or a silent guess."""

import gzip
import io
import struct
import zipfile

import numpy as np
import pytest
from PIL import Image

from engine.data import Pipeline, from_csv, from_idx, from_image_folder, from_numpy, limits
from engine.errors import DataError, SpecError


@pytest.fixture
def small_limit(monkeypatch):
    monkeypatch.setattr(limits, "MAX_BYTES", 1000)


def npz_bytes(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


# -- NumPy files -------------------------------------------------------------------------------

def test_that_a_zip_needing_an_unknown_zip_version_is_a_data_error(tmp_path):
    content = bytearray(npz_bytes(x=np.ones((3, 2)), y=np.arange(3)))
    central = content.index(b"PK\x01\x02")  # the first member's central directory entry
    content[central + 6] = 0xEE  # its "version needed to extract": 23.8
    (tmp_path / "d.npz").write_bytes(bytes(content))
    with pytest.raises(DataError, match=r"d.npz looks like a .npz .* cannot be opened "
                                        r"\(zip file version 23.8\)"):
        from_numpy(tmp_path / "d.npz")


def test_that_a_npz_under_a_npy_name_is_read_by_its_content(tmp_path):
    (tmp_path / "d.npy").write_bytes(npz_bytes(x=np.ones((3, 2)), y=np.array([0, 1, 0])))
    data = from_numpy(tmp_path / "d.npy")
    assert data.x.shape == (3, 2) and data.y.tolist() == [0, 1, 0]


def test_that_an_archive_member_that_is_not_an_array_is_named(tmp_path):
    with zipfile.ZipFile(tmp_path / "d.npz", "w") as archive:
        archive.writestr("x.npy", b"hello")
    with pytest.raises(DataError, match=r"d.npz\['x'\] is not a NumPy array"):
        from_numpy(tmp_path / "d.npz")


def test_that_a_damaged_npy_header_is_a_data_error(tmp_path):
    (tmp_path / "x.npy").write_bytes(b"\x93NUMPY\x01\x00\x10\x00{'descr': '<f8'(\n")
    with pytest.raises(DataError, match=r"x.npy\['array'\] has a damaged header"):
        from_numpy(tmp_path / "x.npy")


def test_that_a_truncated_npy_is_a_data_error(tmp_path):
    np.save(tmp_path / "x.npy", np.ones((10, 4)))
    (tmp_path / "x.npy").write_bytes((tmp_path / "x.npy").read_bytes()[:-8])
    with pytest.raises(DataError, match="truncated or damaged"):
        from_numpy(tmp_path / "x.npy")


def test_that_a_npz_expanding_beyond_the_limit_is_refused_before_loading(tmp_path,
                                                                         small_limit):
    np.savez_compressed(tmp_path / "d.npz", x=np.zeros((100, 10)), y=np.zeros(100))
    with pytest.raises(DataError, match=r"needs 8.6 KiB .* limit of 1000 bytes "
                                        r"\(engine.data.limits.MAX_BYTES\).*MAX_BYTES = 8800"):
        from_numpy(tmp_path / "d.npz")


def test_that_a_header_declaring_more_than_the_file_holds_is_refused_unread(tmp_path):
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (10000000000, 10000000), }"
    content = b"\x93NUMPY\x01\x00" + struct.pack("<H", 118) + header.ljust(117).encode() + b"\n"
    (tmp_path / "x.npy").write_bytes(content + bytes(80))
    with pytest.raises(DataError, match=r"declares shape \(10000000000, 10000000\) of float64 "
                                        r"\(800,000,000,000,000,000 bytes\), but only 80 bytes"):
        from_numpy(tmp_path / "x.npy")


def test_that_complex_features_are_refused_not_cast(tmp_path):
    np.save(tmp_path / "c.npy", np.array([[1 + 2j, 3], [4, 5j]]))
    with pytest.raises(DataError, match="complex numbers .*imaginary parts.*np.real"):
        from_numpy(tmp_path / "c.npy")


@pytest.mark.parametrize("shape", [(5, 0), (0, 3), ()])
def test_that_arrays_without_samples_or_values_are_refused(tmp_path, shape):
    np.savez(tmp_path / "d.npz", x=np.ones(shape))
    with pytest.raises(DataError, match=r"d.npz\['x'\] (is empty|has shape)"):
        from_numpy(tmp_path / "d.npz")


def test_that_two_dimensional_text_labels_are_refused(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.ones((2, 2)), y=np.array([["a", "b"], ["b", "a"]]))
    with pytest.raises(DataError, match="one class name per sample"):
        from_numpy(tmp_path / "d.npz")


def test_that_an_empty_archive_says_so(tmp_path):
    zipfile.ZipFile(tmp_path / "d.npz", "w").close()
    with pytest.raises(DataError, match="empty archive"):
        from_numpy(tmp_path / "d.npz")


# -- CSV ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("quote", ["", '"'])
def test_that_a_field_beyond_the_csv_modules_limit_names_its_line(tmp_path, quote):
    path = tmp_path / "d.csv"
    path.write_text("a,y\n1,2\n1," + quote + "x" * 140_000 + "\n2,3\n")
    with pytest.raises(DataError, match=r"d.csv line 3: a value is longer than 131,072"):
        from_csv(path, label="y")


def test_that_an_overlong_label_is_refused_with_the_limit_named(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,y\n1,2\n1," + "x" * 2000 + "\n")
    with pytest.raises(DataError, match=r"line 3, column 'y': the value is 2,000 characters "
                                        r".*engine.data.limits.MAX_CELL_CHARS"):
        from_csv(path, label="y")


def test_that_a_number_too_large_for_float64_in_a_quoted_file_is_refused_quietly(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('a,y\n"1",2\n' + "9" * 400 + ",3\n")  # quotes: the cell-by-cell path
    with pytest.raises(DataError, match=r"line 3, column 'a': inf is not a finite number"):
        from_csv(path, label="y")  # and no RuntimeWarning (an error under pytest)


@pytest.mark.parametrize("delimiter", ['"', "\n"])
def test_that_a_quote_or_line_break_cannot_be_the_delimiter(tmp_path, delimiter):
    with pytest.raises(SpecError, match="delimiter"):
        from_csv(tmp_path / "d.csv", delimiter=delimiter)


# -- IDX ---------------------------------------------------------------------------------------

def test_that_an_idx_header_with_255_dimensions_is_refused(tmp_path):
    (tmp_path / "x.idx").write_bytes(b"\0\0\x08\xff" + b"\0\0\0\1" * 255)
    with pytest.raises(DataError, match="announces 255 dimensions, but an IDX file has 1 to 32"):
        from_idx(tmp_path / "x.idx")


def test_that_a_gzip_bomb_is_refused_before_decompressing(tmp_path, small_limit):
    content = b"\0\0\x08\x01" + struct.pack(">I", 10_000) + bytes(10_000)
    (tmp_path / "x.gz").write_bytes(gzip.compress(content))
    with pytest.raises(DataError, match=r"x.gz \(shape \(10000,\), uint8\) needs .* "
                                        r"engine.data.limits.MAX_BYTES"):
        from_idx(tmp_path / "x.gz")


def test_that_gzipped_idx_with_more_data_than_declared_is_refused(tmp_path):
    content = b"\0\0\x08\x01" + struct.pack(">I", 3) + bytes(10)
    (tmp_path / "x.gz").write_bytes(gzip.compress(content))
    with pytest.raises(DataError, match="holds at least 4 bytes"):
        from_idx(tmp_path / "x.gz")


def test_that_concatenated_gzip_members_read_as_one_file(tmp_path):
    content = b"\0\0\x08\x01" + struct.pack(">I", 4) + bytes([1, 2, 3, 4])
    (tmp_path / "x.gz").write_bytes(gzip.compress(content[:6]) + gzip.compress(content[6:]))
    assert from_idx(tmp_path / "x.gz").tolist() == [1, 2, 3, 4]


def test_that_an_idx_without_values_is_refused(tmp_path):
    (tmp_path / "x.idx").write_bytes(b"\0\0\x08\x02" + struct.pack(">II", 0, 28))
    with pytest.raises(DataError, match="holds no values"):
        from_idx(tmp_path / "x.idx")


# -- Image folders -----------------------------------------------------------------------------

@pytest.fixture
def folder(tmp_path):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / name / "1.png")
    return tmp_path


def test_that_a_png_with_a_broken_chunk_is_a_data_error(folder):
    content = bytearray((folder / "a" / "1.png").read_bytes())
    content[37] ^= 0xFF  # inside the IDAT chunk: Pillow raises SyntaxError("broken PNG file")
    (folder / "a" / "1.png").write_bytes(bytes(content))
    with pytest.raises(DataError, match="a/1.png cannot be read as an image"):
        from_image_folder(folder, image_size=(4, 4))


def test_that_a_huge_image_size_is_refused_before_allocating(folder):
    with pytest.raises(DataError, match=r"2 images of 100000x100000 .* needs 223.5 GiB .*"
                                        r"smaller image_size or dtype='uint8'"):
        from_image_folder(folder, image_size=(100000, 100000))


def test_that_stored_sizes_count_against_the_limit(folder, monkeypatch):
    monkeypatch.setattr(limits, "MAX_BYTES", 100)  # two 4x4 RGB images as float32: 384 bytes
    with pytest.raises(DataError, match=r"^.*: 2 images of 4x4 pixels x 3 channels as float32 "
                                        r"needs 384 bytes .*pass image_size to resize"):
        from_image_folder(folder, image_size=None)


def test_that_only_png_jpeg_and_bmp_decoders_are_tried(folder):
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(folder / "a" / "2.png", "GIF")
    with pytest.raises(DataError, match="a/2.png .*not a PNG, JPEG or BMP"):
        from_image_folder(folder, image_size=(4, 4))


@pytest.mark.parametrize("names", ["ab", ["a", 1], ("a", "a", "b")])
def test_that_class_names_must_be_distinct_strings_in_a_list(folder, names):
    with pytest.raises(SpecError, match="class_names"):
        from_image_folder(folder, class_names=names)


# -- Preprocessing pipelines -------------------------------------------------------------------

@pytest.mark.parametrize("op", [[[1]], {}, 3, None])
def test_that_a_step_op_that_is_not_a_name_lists_the_valid_ops(op):
    with pytest.raises(SpecError, match=r"Pipeline step 1: unknown op .*'scale', 'min_max'"):
        Pipeline([{"op": "flatten"}, {"op": op}])


def test_that_non_text_argument_names_are_reported_not_compared():
    with pytest.raises(SpecError, match="unknown argument"):
        Pipeline([{"op": "scale", 1: 2, "x": 3}])


@pytest.mark.parametrize("state", [5, "abc", [{"x": 1}], ["abc"], [{"num_classes": 1.5}]])
def test_that_damaged_saved_states_are_spec_errors(state):
    config = {"format": "layercraft.pipeline", "version": 1, "steps": [{"op": "one_hot"}],
              "state": state}
    with pytest.raises(SpecError, match="state"):
        Pipeline.from_config(config)


def test_that_mismatched_saved_statistics_are_spec_errors():
    config = {"format": "layercraft.pipeline", "version": 1, "steps": [{"op": "standardize"}],
              "state": [{"ndim": 2, "mean": [1.0, 2.0], "std": [1.0]}]}
    with pytest.raises(SpecError, match="statistics are damaged"):
        Pipeline.from_config(config)


@pytest.mark.parametrize("op", ["scale", "standardize", "min_max"])
def test_that_pipeline_steps_refuse_complex_data_instead_of_casting(op):
    with pytest.raises(DataError, match="complex numbers"):
        Pipeline([{"op": op}]).fit_transform(np.array([[1 + 1j, 2]]))


def test_that_one_hot_refuses_more_memory_than_the_limit(small_limit):
    with pytest.raises(DataError, match="one-hot rows of 1000 classes"):
        Pipeline([{"op": "one_hot", "num_classes": 1000}]).transform(np.ones(3), np.ones(3))
