"""Property: whatever bytes a file holds, a loader returns a usable result or raises a
`LayerCraftError`; nothing else escapes (no raw zipfile, zlib, csv, Pillow or NumPy error,
no MemoryError, no half-valid arrays).

The mutators live in tests/fuzz_mutators.py, which bench/fuzz.py also runs at scale.
"""

import random
import struct
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz_mutators import (
    FAMILIES, crafted_idx, crafted_npy, fix_png_crcs, load_csv, load_idx, load_image,
    load_npy, outcome, valid_csv_bytes, valid_idx_bytes, valid_image_bytes, valid_npy_bytes,
    write_file, write_image_folder)

# NumPy reads a header that needs its Python 2 fallback parser (a stray byte in the padding
# is enough) and says so with a UserWarning; the file loads, so the warning is not a failure.
pytestmark = pytest.mark.filterwarnings("ignore:Reading `.npy` or `.npz` file required")

QUICK = settings(max_examples=100, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow])


def outcome_of(family, content) -> str:
    with tempfile.TemporaryDirectory() as directory:
        return outcome(FAMILIES[family].load, FAMILIES[family].write(content, directory))


def assert_loaded_or_refused(family, content):
    result = outcome_of(family, content)
    assert result in ("loaded", "refused"), result


@QUICK
@given(rng=st.randoms(use_true_random=False), family=st.sampled_from(sorted(FAMILIES)))
def test_that_mutated_files_of_every_family_load_or_are_refused(rng, family):
    assert_loaded_or_refused(family, FAMILIES[family].make(rng))


@QUICK
@given(rng=st.randoms(use_true_random=False))
def test_that_mutated_csv_files_load_or_are_refused(rng):
    assert_loaded_or_refused("csv", FAMILIES["csv"].make(rng))


@QUICK
@given(text=st.text(alphabet=st.sampled_from(list('0123456789.,;\t"\n\r -eEnaifxy?\x00é')),
                    max_size=200))
def test_that_any_text_after_a_valid_header_loads_or_is_refused(text):
    assert_loaded_or_refused("csv", valid_csv_bytes(2) + text.encode())


@QUICK
@given(rng=st.randoms(use_true_random=False), family=st.sampled_from(["npy", "npz"]))
def test_that_mutated_numpy_files_load_or_are_refused(rng, family):
    assert_loaded_or_refused(family, FAMILIES[family].make(rng))


@QUICK
@given(rng=st.randoms(use_true_random=False))
def test_that_npy_files_with_crafted_headers_load_or_are_refused(rng):
    assert_loaded_or_refused("npy", crafted_npy(rng))


@QUICK
@given(cut=st.integers(min_value=0, max_value=len(valid_npy_bytes()) - 1))
def test_that_every_truncation_of_a_npy_file_is_refused(cut):
    assert outcome_of("npy", valid_npy_bytes()[:cut]) == "refused"


@QUICK
@given(rng=st.randoms(use_true_random=False))
def test_that_mutated_idx_files_load_or_are_refused(rng):
    assert_loaded_or_refused("idx", FAMILIES["idx"].make(rng))


@QUICK
@given(type_code=st.integers(0, 255), dims=st.lists(st.integers(0, 2**32 - 1), max_size=40),
       body=st.binary(max_size=64), declared=st.integers(0, 255))
def test_that_idx_files_with_crafted_headers_load_or_are_refused(type_code, dims, body,
                                                                declared):
    content = bytes((0, 0, type_code, declared)) + struct.pack(f">{len(dims)}I", *dims) + body
    assert_loaded_or_refused("idx", content)


@QUICK
@given(seed=st.integers(0, 2**32))
def test_that_gzipped_crafted_idx_files_load_or_are_refused(seed):
    import gzip  # noqa: PLC0415

    assert_loaded_or_refused("idx", gzip.compress(crafted_idx(random.Random(seed))))


@QUICK
@given(rng=st.randoms(use_true_random=False))
def test_that_mutated_images_load_or_are_refused(rng):
    assert_loaded_or_refused("image", FAMILIES["image"].make(rng))


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@QUICK
@given(width=st.integers(1, 2**31 - 1), height=st.integers(1, 2**31 - 1),
       image_size=st.sampled_from([None, (6, 6)]))
def test_that_png_headers_declaring_any_size_load_or_are_refused(width, height, image_size):
    content = bytearray(valid_image_bytes("PNG"))
    content[16:24] = struct.pack(">II", width, height)  # the IHDR chunk's width and height
    with tempfile.TemporaryDirectory() as directory:
        root = write_image_folder(fix_png_crcs(bytes(content)), directory)
        result = outcome(lambda path: load_image_sized(path, image_size), root)
    assert result in ("loaded", "refused"), result


def load_image_sized(path, image_size):
    from engine.data import from_image_folder  # noqa: PLC0415

    return from_image_folder(path, image_size=image_size)


def test_that_the_family_loaders_read_the_valid_files():
    with tempfile.TemporaryDirectory() as directory:
        assert outcome(load_csv, write_file(".csv")(valid_csv_bytes(), directory)) == "loaded"
        assert outcome(load_npy, write_file(".npy")(valid_npy_bytes(), directory)) == "loaded"
        assert outcome(load_idx, write_file(".idx")(valid_idx_bytes(), directory)) == "loaded"
        root = write_image_folder(valid_image_bytes("JPEG"), directory)
        assert outcome(load_image, root) == "loaded"
