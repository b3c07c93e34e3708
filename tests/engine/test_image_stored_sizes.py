"""`stored_sizes`: the images' own sizes, which the import dialog offers as the default."""

import numpy as np
import pytest
from PIL import Image

from engine.data.images import stored_sizes
from engine.errors import DataError


def make_folder(root, sizes_per_class):
    for name, sizes in sizes_per_class.items():
        (root / name).mkdir(parents=True)
        for i, (h, w) in enumerate(sizes):
            Image.fromarray(np.zeros((h, w, 3), np.uint8)).save(root / name / f"{i}.png")
    return root


def test_that_the_most_common_stored_size_comes_first(tmp_path):
    root = make_folder(tmp_path / "set", {"cats": [(28, 20), (28, 20)], "dogs": [(10, 12)]})
    assert list(stored_sizes(root).items()) == [((28, 20), 2), ((10, 12), 1)]


def test_that_a_large_folder_is_sampled_across_every_class(tmp_path):
    root = make_folder(tmp_path / "set", {"a": [(8, 8)] * 30, "b": [(6, 9)] * 30})
    counts = stored_sizes(root, sample=10)
    assert sum(counts.values()) == 10 and set(counts) == {(8, 8), (6, 9)}


def test_that_a_folder_the_loader_refuses_is_refused_the_same_way(tmp_path):
    root = make_folder(tmp_path / "set", {"only": [(8, 8)]})
    with pytest.raises(DataError, match="single class folder"):
        stored_sizes(root)
