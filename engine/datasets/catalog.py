"""What the GUI shows about each data set, without loading it."""

from dataclasses import asdict, dataclass, field

UCI_LICENCE = "CC BY 4.0 (UCI Machine Learning Repository)"
TEN_DIGITS = tuple(str(d) for d in range(10))


@dataclass(frozen=True)
class DatasetInfo:
    """Metadata of one data set.

    Attributes:
        name: The key for `engine.datasets.load`.
        title: A human name.
        kind: `"bundled"` (file in resources/), `"generated"` (made on the fly) or
            `"download"` (fetched once into the cache).
        task: `"classification"` or `"regression"`.
        input_shape: Shape of one sample of `x` (no batch axis).
        class_names: `class_names[i]` names label `i`; empty for regression.
        num_train: Training samples (for generated sets: with the default arguments).
        num_test: Test samples.
        x_dtype: dtype of the `x` arrays `load` returns.
        y_dtype: dtype of the `y` arrays.
        description: One or two sentences for the data panel.
        source: Where the data comes from (citation or URL).
        licence: Its licence.
        feature_names: Column names of tabular sets; empty otherwise.
        download_bytes: Size of the download for `"download"` sets, else 0.
    """

    name: str
    title: str
    kind: str
    task: str
    input_shape: tuple
    class_names: tuple
    num_train: int
    num_test: int
    x_dtype: str
    y_dtype: str
    description: str
    source: str
    licence: str
    feature_names: tuple = ()
    download_bytes: int = 0
    y_shape: tuple = field(default=())

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def to_dict(self) -> dict:
        """Plain JSON-able data (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


IRIS_FEATURES = ("sepal length (cm)", "sepal width (cm)", "petal length (cm)",
                 "petal width (cm)")
WINE_FEATURES = ("alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium",
                 "total_phenols", "flavanoids", "nonflavanoid_phenols", "proanthocyanins",
                 "color_intensity", "hue", "od280/od315_of_diluted_wines", "proline")
_CANCER_MEASURES = ("radius", "texture", "perimeter", "area", "smoothness", "compactness",
                    "concavity", "concave points", "symmetry", "fractal dimension")
CANCER_FEATURES = (tuple(f"mean {m}" for m in _CANCER_MEASURES)
                   + tuple(f"{m} error" for m in _CANCER_MEASURES)
                   + tuple(f"worst {m}" for m in _CANCER_MEASURES))
DIABETES_FEATURES = ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")

BUNDLED_INFO = (
    DatasetInfo(
        "digits", "Handwritten digits (8x8)", "bundled", "classification", (8, 8), TEN_DIGITS,
        1437, 360, "float32", "int64",
        "1,797 small grayscale images of handwritten digits, 8x8 pixels with values 0-16 "
        "(counts of ink in 4x4 blocks). A tiny MNIST that trains in seconds.",
        "UCI ML Repository: Optical Recognition of Handwritten Digits (Alpaydin & Kaynak, "
        "1998), https://archive.ics.uci.edu/dataset/80", UCI_LICENCE),
    DatasetInfo(
        "iris", "Iris flowers", "bundled", "classification", (4,),
        ("setosa", "versicolor", "virginica"), 120, 30, "float32", "int64",
        "150 iris flowers of three species, each described by four measurements in cm.",
        "UCI ML Repository: Iris (R. A. Fisher, 1936), https://archive.ics.uci.edu/dataset/53",
        UCI_LICENCE, IRIS_FEATURES),
    DatasetInfo(
        "wine", "Wine cultivars", "bundled", "classification", (13,),
        ("class_0", "class_1", "class_2"), 142, 36, "float32", "int64",
        "178 Italian wines from three cultivars, described by 13 chemical measurements "
        "(on very different scales: standardize them).",
        "UCI ML Repository: Wine (Forina et al., 1991), https://archive.ics.uci.edu/dataset/109",
        UCI_LICENCE, WINE_FEATURES),
    DatasetInfo(
        "breast_cancer", "Breast cancer (Wisconsin diagnostic)", "bundled", "classification",
        (30,), ("malignant", "benign"), 455, 114, "float32", "int64",
        "569 breast masses, 30 features of the cell nuclei in a biopsy image; is the mass "
        "malignant (0) or benign (1)?",
        "UCI ML Repository: Breast Cancer Wisconsin (Diagnostic) (Wolberg, Street & "
        "Mangasarian, 1995), https://archive.ics.uci.edu/dataset/17", UCI_LICENCE,
        CANCER_FEATURES),
    DatasetInfo(
        "diabetes", "Diabetes progression", "bundled", "regression", (10,), (), 353, 89,
        "float32", "float32",
        "442 diabetes patients: age, sex, body mass index, blood pressure and six blood "
        "serum measurements; predict disease progression one year later (a number).",
        "Efron, Hastie, Johnstone & Tibshirani, Least Angle Regression (2004), "
        "https://www4.stat.ncsu.edu/~boos/var.select/diabetes.html",
        "Free for research and teaching; copy from scikit-learn (BSD 3-Clause)",
        DIABETES_FEATURES),
)

_GENERATED = "Generated by LayerCraft (engine/datasets/generated.py)"
_GENERATED_TEXT = {
    "moons": "Two interleaving half circles: a first problem a straight line cannot solve.",
    "circles": "A small circle inside a larger one; needs a curved decision boundary.",
    "spirals": "Two spiral arms wound around each other; needs a deeper network.",
    "xor": "Points in four quadrants labelled by the sign of x * y (the XOR problem).",
    "blobs": "Three round Gaussian clusters; the easiest multi-class problem.",
}
GENERATED_INFO = tuple(
    DatasetInfo(name, name.capitalize() + " (2-D)", "generated", "classification", (2,),
                tuple(str(c) for c in range(3 if name == "blobs" else 2)), 400, 100,
                "float32", "int64", text, _GENERATED, "MIT (part of LayerCraft)",
                ("x1", "x2"))
    for name, text in _GENERATED_TEXT.items())

DOWNLOAD_INFO = (
    DatasetInfo(
        "mnist", "MNIST handwritten digits", "download", "classification", (28, 28),
        TEN_DIGITS, 60000, 10000, "uint8", "uint8",
        "70,000 grayscale images of handwritten digits, 28x28 pixels with values 0-255, as "
        "keras.datasets.mnist.load_data() returns them.",
        "Y. LeCun, C. Cortes, C. J. C. Burges; copy served by Keras at "
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
        "CC BY-SA 3.0 (as stated by Keras and TensorFlow Datasets)", download_bytes=11490434),
    DatasetInfo(
        "fashion_mnist", "Fashion-MNIST", "download", "classification", (28, 28),
        ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
         "Bag", "Ankle boot"), 60000, 10000, "uint8", "uint8",
        "70,000 grayscale 28x28 images of Zalando's articles in 10 classes; a harder drop-in "
        "replacement for MNIST.",
        "Zalando Research, https://github.com/zalandoresearch/fashion-mnist (files served by "
        "Keras)", "MIT (copyright Zalando SE)", download_bytes=30878645),
    DatasetInfo(
        "cifar10", "CIFAR-10", "download", "classification", (32, 32, 3),
        ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
         "truck"), 50000, 10000, "uint8", "uint8",
        "60,000 small colour photos, 32x32x3, in 10 classes. Labels have shape (n, 1), as "
        "keras.datasets.cifar10.load_data() returns them.",
        "A. Krizhevsky, Learning Multiple Layers of Features from Tiny Images (2009), "
        "https://www.cs.toronto.edu/~kriz/cifar.html", "Free to use with citation of the "
        "technical report (no formal licence)", download_bytes=170052171, y_shape=(1,)),
)

CATALOG = {info.name: info for info in BUNDLED_INFO + GENERATED_INFO + DOWNLOAD_INFO}
