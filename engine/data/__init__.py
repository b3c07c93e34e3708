"""Data for training: file loaders, preprocessing pipelines, splits and batched datasets.

    from engine.data import from_csv, Pipeline, train_val_test_split, Dataset
    x, y = from_csv("data.csv", label="species")
    (x_tr, y_tr), (x_val, y_val), _ = train_val_test_split(x, y, val=0.2)
    pipeline = Pipeline([{"op": "standardize"}]).fit(x_tr)
    ds = Dataset.from_tensor_slices((pipeline.transform(x_tr), y_tr)).shuffle(1000).batch(32)

Every loader checks what it reads and raises `DataError` naming the file, line or image,
column and value, with a fix; nothing half-loaded is returned. Files declaring more data
than `engine.data.limits.MAX_BYTES` (4 GiB by default) are refused before loading.
"""

from . import limits
from .arrays import from_numpy
from .dataset import Dataset
from .idx import from_idx, parse_idx
from .images import from_image_folder
from .loaded import LoadedData
from .preprocessing import OP_NAMES, Pipeline
from .split import train_val_test_split
from .steps import OPS
from .tabular import from_csv

__all__ = ["Dataset", "LoadedData", "OPS", "OP_NAMES", "Pipeline", "from_csv",
           "from_idx", "from_image_folder", "from_numpy", "limits", "parse_idx",
           "train_val_test_split"]
