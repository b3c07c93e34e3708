"""The user's own files: each loader reads good files exactly and refuses bad ones clearly."""

import gzip
import struct

import numpy as np
import pytest
from PIL import Image

from engine.data import LoadedData, csv_lines, from_csv, from_idx, from_image_folder, from_numpy
from engine.errors import DataError, SpecError


def write(tmp_path, text, name="data.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


# -- CSV ------------------------------------------------------------------------------------

def test_that_a_csv_with_text_labels_reads_exactly(tmp_path):
    path = write(tmp_path, "a,b,species\n1.5,2,setosa\n-3,4e2,virginica\n0.25,-1,setosa\n")
    data = from_csv(path, label="species")
    assert isinstance(data, LoadedData)
    np.testing.assert_array_equal(data.x, np.array([[1.5, 2], [-3, 400], [0.25, -1]], np.float32))
    assert data.x.dtype == np.float32 and data.y.dtype == np.int64
    np.testing.assert_array_equal(data.y, [0, 1, 0])
    assert data.class_names == ("setosa", "virginica")
    assert data.feature_names == ("a", "b") and data.label_name == "species"
    assert data.task == "classification"
    x, y = data  # unpacks like Keras-style (x, y)
    assert x is data.x and y is data.y


def test_that_integer_labels_map_to_class_indices_in_numeric_order(tmp_path):
    path = write(tmp_path, "f,y\n1,3\n2,10\n3,2\n4,3\n")
    data = from_csv(path, label="y")
    np.testing.assert_array_equal(data.y, [1, 2, 0, 1])
    assert data.class_names == ("2", "3", "10")


def test_that_fractional_labels_read_as_a_regression_target(tmp_path):
    data = from_csv(write(tmp_path, "f,price\n1,2.5\n2,3.75\n3,1.0\n"), label="price")
    assert data.task == "regression" and data.class_names is None
    assert data.y.dtype == np.float32
    np.testing.assert_array_equal(data.y, [2.5, 3.75, 1.0])


def test_that_task_regression_keeps_integer_targets_as_numbers(tmp_path):
    data = from_csv(write(tmp_path, "f,y\n1,3\n2,10\n"), label="y", task="regression")
    np.testing.assert_array_equal(data.y, np.array([3, 10], np.float32))


def test_that_a_file_without_label_gives_y_none(tmp_path):
    x, y = from_csv(write(tmp_path, "a,b\n1,2\n3,4\n"))
    assert y is None and x.shape == (2, 2)


def test_that_features_and_label_can_be_chosen_by_name_or_position(tmp_path):
    path = write(tmp_path, "id,a,b,y\n7,1,2,0\n8,3,4,1\n")
    data = from_csv(path, label=-1, features=["b", 1])
    np.testing.assert_array_equal(data.x, [[2, 1], [4, 3]])
    assert data.feature_names == ("b", "a") and data.label_name == "y"


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_that_the_delimiter_is_guessed_from_the_first_line(tmp_path, delimiter):
    text = "\n".join(delimiter.join(row) for row in (["a", "b", "y"], ["1", "2", "x"],
                                                      ["3", "4", "z"])) + "\n"
    data = from_csv(write(tmp_path, text), label="y")
    np.testing.assert_array_equal(data.x, [[1, 2], [3, 4]])


def test_that_a_file_without_header_names_columns_by_position(tmp_path):
    data = from_csv(write(tmp_path, "1,2,0\n3,4,1\n"), label=2, header=False)
    assert data.feature_names == ("column_0", "column_1")
    np.testing.assert_array_equal(data.x, [[1, 2], [3, 4]])


def test_that_quoted_fields_blank_lines_and_spaces_are_read(tmp_path):
    text = 'x1,x2,city\n1, 2 ,"New York, NY"\n\n"3",4,"Line\nbreak"\n5,6,"New York, NY"\n'
    data = from_csv(write(tmp_path, text), label="city")
    np.testing.assert_array_equal(data.x, [[1, 2], [3, 4], [5, 6]])
    assert data.class_names == ("Line\nbreak", "New York, NY")
    np.testing.assert_array_equal(data.y, [1, 0, 1])


def test_that_a_byte_order_mark_is_ignored(tmp_path):
    data = from_csv(write(tmp_path, "a,y\n1,p\n2,q\n", encoding="utf-8-sig"), label="y")
    assert data.feature_names == ("a",)


def test_that_reading_in_chunks_gives_the_same_arrays(tmp_path, monkeypatch, rng):
    values = rng.normal(size=(50, 3)).round(3)
    labels = rng.integers(0, 3, 50)
    text = "a,b,c,y\n" + "".join(f"{a},{b},{c},k{y}\n" for (a, b, c), y in zip(values, labels))
    monkeypatch.setattr(csv_lines, "CHUNK_LINES", 7)
    data = from_csv(write(tmp_path, text), label="y")
    np.testing.assert_allclose(data.x, values.astype(np.float32))
    np.testing.assert_array_equal(data.y, labels)


def test_the_documented_message_for_a_value_that_is_not_a_number(tmp_path):
    path = write(tmp_path, "a,b,y\n1,2,p\n3,oops,q\n")
    with pytest.raises(DataError, match=r"data.csv line 3, column 'b': 'oops' is not a number"):
        from_csv(path, label="y")


def test_that_line_numbers_count_blank_lines_and_later_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_lines, "CHUNK_LINES", 3)
    path = write(tmp_path, "a,y\n1,p\n\n2,q\n3,p\n4,q\n5x,p\n")
    with pytest.raises(DataError, match=r"line 7, column 'a': '5x'"):
        from_csv(path, label="y")


def test_that_a_bad_value_inside_a_quoted_chunk_names_its_line(tmp_path):
    path = write(tmp_path, 'a,y\n1,"p"\n"x y",q\n')
    with pytest.raises(DataError, match=r"line 3, column 'a': 'x y' is not a number"):
        from_csv(path, label="y")


def test_that_decimal_commas_get_a_specific_fix(tmp_path):
    with pytest.raises(DataError, match="decimal"):
        from_csv(write(tmp_path, "a;y\n1,5;p\n2;q\n"), label="y")


@pytest.mark.parametrize("text", ["", "\n\n  \n"])
def test_that_an_empty_file_is_refused(tmp_path, text):
    with pytest.raises(DataError, match="data.csv is empty"):
        from_csv(write(tmp_path, text), label="y")


def test_that_a_header_without_rows_is_refused(tmp_path):
    with pytest.raises(DataError, match="no data rows"):
        from_csv(write(tmp_path, "a,y\n"), label="y")


@pytest.mark.parametrize("row", ["1,2\n", "1,2,p,9\n"])
def test_that_ragged_rows_are_refused_with_their_line(tmp_path, row):
    path = write(tmp_path, "a,b,y\n1,2,p\n" + row)
    with pytest.raises(DataError, match=r"line 3: \d values, but the header has 3 columns"):
        from_csv(path, label="y")


def test_that_a_missing_label_column_lists_the_columns(tmp_path):
    with pytest.raises(DataError, match=r"no column 'label'.*'a', 'b', 'y'"):
        from_csv(write(tmp_path, "a,b,y\n1,2,p\n"), label="label")


def test_that_a_single_class_is_refused(tmp_path):
    with pytest.raises(DataError, match="single class"):
        from_csv(write(tmp_path, "a,y\n1,cat\n2,cat\n"), label="y")


@pytest.mark.parametrize("value", ["inf", "-Infinity", "1e999"])
def test_that_non_finite_values_are_refused(tmp_path, value):
    path = write(tmp_path, f"a,b,y\n1,2,p\n3,{value},q\n")
    with pytest.raises(DataError, match=r"line 3, column 'b'.*not a finite number"):
        from_csv(path, label="y")


def test_that_too_large_values_for_float32_are_refused(tmp_path):
    with pytest.raises(DataError, match="too large for float32"):
        from_csv(write(tmp_path, "a,y\n1e300,p\n1,q\n"), label="y")


@pytest.mark.parametrize("cell", ["", "NA", "nan", "?"])
def test_that_missing_values_are_reported_by_default(tmp_path, cell):
    path = write(tmp_path, f"a,b,y\n1,2,p\n3,{cell},q\n")
    with pytest.raises(DataError, match=r"line 3, column 'b': the value is missing.*'drop'"):
        from_csv(path, label="y")


def test_that_missing_drop_skips_incomplete_rows(tmp_path):
    path = write(tmp_path, "a,b,y\n1,2,p\n3,,q\n5,6,\n7,8,q\n")
    x, y = from_csv(path, label="y", missing="drop")
    np.testing.assert_array_equal(x, [[1, 2], [7, 8]])
    np.testing.assert_array_equal(y, [0, 1])


def test_that_missing_mean_fills_in_the_column_mean(tmp_path):
    x, _ = from_csv(write(tmp_path, "a,b,y\n1,2,p\n3,NA,q\n5,7,q\n"), label="y", missing="mean")
    np.testing.assert_array_equal(x, [[1, 2], [3, 4.5], [5, 7]])


def test_that_a_missing_label_needs_drop(tmp_path):
    with pytest.raises(DataError, match=r"line 3, column 'y': the label is missing"):
        from_csv(write(tmp_path, "a,y\n1,p\n2,\n3,q\n"), label="y", missing="mean")


def test_that_a_column_without_any_value_cannot_be_mean_filled(tmp_path):
    with pytest.raises(DataError, match="column 'b': every value is missing"):
        from_csv(write(tmp_path, "a,b,y\n1,,p\n2,,q\n"), label="y", missing="mean")


def test_that_text_in_a_regression_target_names_its_line(tmp_path):
    with pytest.raises(DataError, match=r"column 'y' line 3: 'high' is not a number"):
        from_csv(write(tmp_path, "a,y\n1,2.5\n2,high\n"), label="y", task="regression")


def test_other_refusals_of_csv_files(tmp_path):
    with pytest.raises(DataError, match="twice"):
        from_csv(write(tmp_path, "a,a,y\n1,2,p\n"), label="y")
    with pytest.raises(DataError, match="not UTF-8"):
        from_csv(write(tmp_path, "a,y\n\xe9,p\n", encoding="latin-1"), label="y")
    with pytest.raises(DataError, match="Cannot read"):
        from_csv(tmp_path / "nowhere.csv", label="y")
    with pytest.raises(SpecError, match="missing"):
        from_csv(write(tmp_path, "a,y\n1,p\n"), label="y", missing="zero")
    with pytest.raises(SpecError, match="label"):
        from_csv(write(tmp_path, "a,y\n1,p\n"), label="y", features=["a", "y"])


# -- NumPy files ------------------------------------------------------------------------------

def test_that_npy_and_npz_files_read_exactly(tmp_path, rng):
    x = rng.normal(size=(6, 3)).astype(np.float64)
    y = np.array([0, 1, 2, 0, 1, 2], dtype=np.uint8)
    np.save(tmp_path / "x.npy", x)
    np.savez(tmp_path / "xy.npz", x_train=x, y_train=y, other=np.zeros(2))
    only_x = from_numpy(tmp_path / "x.npy")
    assert only_x.y is None and only_x.x.dtype == np.float64
    np.testing.assert_array_equal(only_x.x, x)
    data = from_numpy(tmp_path / "xy.npz")
    np.testing.assert_array_equal(data.x, x)
    np.testing.assert_array_equal(data.y, y)
    assert data.y.dtype == np.uint8 and data.task == "classification"


def test_that_named_arrays_are_selectable_and_text_labels_become_classes(tmp_path):
    np.savez(tmp_path / "d.npz", feats=np.ones((3, 2)), names=np.array(["b", "a", "b"]))
    data = from_numpy(tmp_path / "d.npz", x_key="feats", y_key="names")
    np.testing.assert_array_equal(data.y, [1, 0, 1])
    assert data.class_names == ("a", "b")


def test_that_pickled_arrays_are_never_loaded(tmp_path):
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="unpickle"):
        from_numpy(tmp_path / "objects.npy")


def test_refusals_of_numpy_files(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.ones((3, 2)), y=np.zeros(2))
    with pytest.raises(DataError, match=r"2 labels for 3 samples"):
        from_numpy(tmp_path / "d.npz")
    with pytest.raises(DataError, match=r"no array 'z'. It holds: \['x', 'y'\]"):
        from_numpy(tmp_path / "d.npz", x_key="z")
    np.savez(tmp_path / "two.npz", a=np.ones(3), b=np.ones(3))
    with pytest.raises(DataError, match="which one is x"):
        from_numpy(tmp_path / "two.npz")
    np.savez(tmp_path / "nan.npz", x=np.array([[1.0, np.nan]]), y=np.array([1]))
    with pytest.raises(DataError, match=r"\[0, 1\] is nan"):
        from_numpy(tmp_path / "nan.npz")
    np.savez(tmp_path / "one.npz", x=np.ones((3, 2)), y=np.array([4, 4, 4]))
    with pytest.raises(DataError, match="single class"):
        from_numpy(tmp_path / "one.npz")
    np.save(tmp_path / "x.npy", np.ones((2, 2)))
    with pytest.raises(DataError, match="holds one array"):
        from_numpy(tmp_path / "x.npy", y_key="y")
    (tmp_path / "bad.npy").write_bytes(b"not numpy at all")
    with pytest.raises(DataError):
        from_numpy(tmp_path / "bad.npy")


# -- IDX ---------------------------------------------------------------------------------------

def idx_bytes(array, type_code):
    header = struct.pack(">BBBB", 0, 0, type_code, array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


@pytest.mark.parametrize("zipped", [False, True])
def test_that_idx_files_read_exactly_gzipped_or_not(tmp_path, rng, zipped):
    images = rng.integers(0, 256, size=(5, 4, 3), dtype=np.uint8)
    content = idx_bytes(images, 0x08)
    path = tmp_path / "images.idx"
    path.write_bytes(gzip.compress(content) if zipped else content)
    result = from_idx(path)
    assert result.dtype == np.uint8 and result.flags.writeable
    np.testing.assert_array_equal(result, images)


def test_that_big_endian_floats_come_back_in_native_order(tmp_path):
    values = np.array([[1.5, -2.0], [3.25, 0.0]], dtype=">f4")
    (tmp_path / "f.idx").write_bytes(idx_bytes(values, 0x0D))
    result = from_idx(tmp_path / "f.idx")
    assert result.dtype == np.float32 and result.dtype.isnative
    np.testing.assert_array_equal(result, values)


def test_refusals_of_idx_files(tmp_path):
    labels = np.arange(10, dtype=np.uint8)
    (tmp_path / "short.idx").write_bytes(idx_bytes(labels, 0x08)[:-3])
    with pytest.raises(DataError, match="short.idx.*shape \\(10,\\).*truncated"):
        from_idx(tmp_path / "short.idx")
    (tmp_path / "text.idx").write_bytes(b"hello world")
    with pytest.raises(DataError, match="not an IDX file"):
        from_idx(tmp_path / "text.idx")
    (tmp_path / "broken.gz").write_bytes(gzip.compress(idx_bytes(labels, 0x08))[:20])
    with pytest.raises(DataError, match="cannot be decompressed"):
        from_idx(tmp_path / "broken.gz")
    (tmp_path / "nan.idx").write_bytes(idx_bytes(np.array([1.0, np.nan], ">f8"), 0x0E))
    with pytest.raises(DataError, match="not a finite number"):
        from_idx(tmp_path / "nan.idx")


# -- Image folders -----------------------------------------------------------------------------

def save_image(path, pixels):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)


@pytest.fixture
def image_folder(tmp_path, rng):
    pixels = {name: rng.integers(0, 256, size=(4, 5, 3), dtype=np.uint8)
              for name in ("cat1", "cat2", "dog1")}
    save_image(tmp_path / "imgs" / "dogs" / "dog1.png", pixels["dog1"])
    save_image(tmp_path / "imgs" / "cats" / "b" / "cat2.bmp", pixels["cat2"])
    save_image(tmp_path / "imgs" / "cats" / "cat1.png", pixels["cat1"])
    (tmp_path / "imgs" / "cats" / "notes.txt").write_text("not an image")
    save_image(tmp_path / "imgs" / ".hidden" / "x.png", pixels["cat1"])
    return tmp_path / "imgs", pixels


def test_that_an_image_folder_reads_classes_in_sorted_order(image_folder):
    root, pixels = image_folder
    data = from_image_folder(root, image_size=None)
    assert data.class_names == ("cats", "dogs")
    assert data.x.shape == (3, 4, 5, 3) and data.x.dtype == np.float32
    np.testing.assert_array_equal(data.y, [0, 0, 1])
    np.testing.assert_array_equal(data.x[0], pixels["cat2"])  # cats/b/cat2.bmp sorts first
    np.testing.assert_array_equal(data.x[1], pixels["cat1"])
    np.testing.assert_array_equal(data.x[2], pixels["dog1"])


def test_that_images_are_resized_and_converted_to_grayscale(image_folder):
    root, _ = image_folder
    data = from_image_folder(root, image_size=(8, 6), color_mode="grayscale", dtype="uint8")
    assert data.x.shape == (3, 8, 6, 1) and data.x.dtype == np.uint8


def test_that_jpeg_files_are_read(tmp_path):
    for cls in ("a", "b"):
        save_image(tmp_path / cls / "p.jpg", np.full((6, 6, 3), 200, np.uint8))
    data = from_image_folder(tmp_path, image_size=(6, 6))
    assert data.x.shape == (2, 6, 6, 3)
    assert abs(float(data.x.mean()) - 200) < 3  # JPEG is lossy


def test_that_mixed_image_sizes_name_both_files(tmp_path):
    save_image(tmp_path / "a" / "1.png", np.zeros((4, 4, 3), np.uint8))
    save_image(tmp_path / "b" / "2.png", np.zeros((5, 4, 3), np.uint8))
    with pytest.raises(DataError, match=r"b/2.png is 5x4 .* a/1.png is 4x4.*image_size"):
        from_image_folder(tmp_path, image_size=None)


def test_refusals_of_image_folders(tmp_path):
    with pytest.raises(DataError, match="not a folder"):
        from_image_folder(tmp_path / "nowhere")
    with pytest.raises(DataError, match="no subfolders"):
        from_image_folder(tmp_path)
    save_image(tmp_path / "only" / "1.png", np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(DataError, match="single class folder"):
        from_image_folder(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="holds no images"):
        from_image_folder(tmp_path)
    (tmp_path / "empty" / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(DataError, match="broken.png cannot be read as an image"):
        from_image_folder(tmp_path)
    with pytest.raises(SpecError, match="color_mode"):
        from_image_folder(tmp_path, color_mode="cmyk")
    with pytest.raises(SpecError, match="image_size"):
        from_image_folder(tmp_path, image_size=(0, 4))
