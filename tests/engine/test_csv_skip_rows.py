"""`from_csv(on_bad_rows=...)`: rows that do not parse are reported or skipped and counted;
`header_columns` gives the names `from_csv` uses."""

import numpy as np
import pytest

from engine.data import from_csv
from engine.data.csv_columns import header_columns
from engine.errors import DataError, SpecError

ONE_BAD_CELL = "a,b,label\n1,2,x\n3,oops,y\n5,6,x\n7,8,y\n"


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_that_a_bad_cell_is_still_reported_by_default_and_the_fix_names_the_skip_option(
        tmp_path):
    with pytest.raises(DataError) as info:
        from_csv(write(tmp_path, ONE_BAD_CELL), label="label")
    message = str(info.value)
    assert "line 3, column 'b': 'oops' is not a number" in message
    assert "on_bad_rows='skip'" in message


def test_that_skipping_leaves_out_the_bad_row_and_counts_it(tmp_path):
    data = from_csv(write(tmp_path, ONE_BAD_CELL), label="label", on_bad_rows="skip")
    assert data.x.tolist() == [[1, 2], [5, 6], [7, 8]]
    assert data.class_names == ("x", "y") and data.y.tolist() == [0, 0, 1]
    assert data.skipped_rows == 1
    assert str(data.first_skipped) == "line 3, column 'b': 'oops'"


def test_that_a_clean_file_reports_no_skipped_rows(tmp_path):
    data = from_csv(write(tmp_path, "a,label\n1,x\n2,y\n"), label="label", on_bad_rows="skip")
    assert data.skipped_rows == 0 and data.first_skipped is None


def test_that_rows_with_the_wrong_number_of_values_are_skipped_too(tmp_path):
    data = from_csv(write(tmp_path, "a,b,label\n1,2,x\n3,y\n5,6,x,9\n7,8,y\n"), label="label",
                    on_bad_rows="skip")
    assert data.x.tolist() == [[1, 2], [7, 8]] and data.skipped_rows == 2
    assert str(data.first_skipped) == "line 3: 2 values instead of 3"


def test_that_the_first_skipped_row_is_the_earliest_line_in_a_quoted_file(tmp_path):
    text = 'a,b,label\n"1",2,x\n3,"4",y\n5,bad,x\n"no",6,y\n7,8\n9,10,x\n'
    data = from_csv(write(tmp_path, text), label="label", on_bad_rows="skip")
    assert data.x.tolist() == [[1, 2], [3, 4], [9, 10]] and data.skipped_rows == 3
    assert data.first_skipped.line == 4 and data.first_skipped.column == "b"


def test_that_a_row_with_two_bad_cells_counts_once(tmp_path):
    data = from_csv(write(tmp_path, "a,b,label\n1,2,x\nq,r,y\n3,4,y\n"), label="label",
                    on_bad_rows="skip")
    assert data.skipped_rows == 1 and data.first_skipped.column == "a"


def test_that_skipping_every_row_is_an_error_that_names_the_first(tmp_path):
    with pytest.raises(DataError, match=r"none of the 2 data rows parses.*line 2, column 'a'"):
        from_csv(write(tmp_path, "a,label\nfoo,x\nbar,y\n"), label="label", on_bad_rows="skip")


def test_that_skipping_does_not_touch_missing_values(tmp_path):
    text = "a,b,label\n1,,x\n3,oops,y\n5,6,x\n7,8,y\n"
    with pytest.raises(DataError, match="line 2, column 'b': the value is missing"):
        from_csv(write(tmp_path, text), label="label", on_bad_rows="skip")
    data = from_csv(write(tmp_path, text), label="label", on_bad_rows="skip", missing="drop")
    assert data.x.tolist() == [[5, 6], [7, 8]] and data.skipped_rows == 1


def test_that_an_unknown_mode_is_refused_with_the_choices(tmp_path):
    with pytest.raises(SpecError, match=r"`on_bad_rows` must be one of 'error', 'skip'.*'drop'"):
        from_csv(write(tmp_path, ONE_BAD_CELL), on_bad_rows="drop")


def test_that_skipping_works_across_chunks(tmp_path, monkeypatch):
    from engine.data import csv_lines

    monkeypatch.setattr(csv_lines, "CHUNK_LINES", 4)
    rows = [f"{i},{'bad' if i % 5 == 0 else i},{'x' if i % 2 else 'y'}" for i in range(1, 21)]
    data = from_csv(write(tmp_path, "a,b,label\n" + "\n".join(rows) + "\n"), label="label",
                    on_bad_rows="skip")
    assert data.skipped_rows == 4 and data.first_skipped.line == 6
    assert np.array_equal(data.x[:, 0], [i for i in range(1, 21) if i % 5])


def test_that_header_columns_match_the_names_from_csv_uses(tmp_path):
    path = write(tmp_path, "a; ;label\n1;2;x\n3;4;y\n")
    assert header_columns(path) == ["a", "column_1", "label"]
    assert list(from_csv(path, label="label").feature_names) == ["a", "column_1"]
    assert header_columns(path, header=False) == ["column_0", "column_1", "column_2"]
    assert header_columns(tmp_path / "missing.csv") == []


def test_that_an_empty_feature_list_is_refused_with_the_columns_to_choose_from(tmp_path):
    with pytest.raises(SpecError, match=r"`features` names no column.*'a', 'b'"):
        from_csv(write(tmp_path, ONE_BAD_CELL), label="label", features=[])
