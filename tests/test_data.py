"""Data layer: readers on small files made here, the batch loader, the DataModule, the configs."""

from __future__ import annotations

import gzip
import inspect
import struct
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from omegaconf import OmegaConf
from pydantic import TypeAdapter
from tests.conftest import compose_train, options

from genclust.config.data import AnyDataOptions
from genclust.config.load import validate
from genclust.data import (
    SOURCES,
    ArrayData,
    ArrayDataModule,
    IndexBatchLoader,
    build_datamodule,
)
from genclust.data.build import reader_options
from genclust.data.mnist import DEBIAN_FASHION_MNIST, FASHION_MNIST_CLASSES
from genclust.data.readers import (
    load_csv,
    load_digits,
    load_fashion_mnist,
    load_mnist,
    load_npy,
    read_idx,
)
from genclust.errors import UserError

CONF_DATA = Path(__file__).parents[1] / "conf" / "data"
_IDX_CODES = {np.uint8: 0x08, np.int32: 0x0C, np.float32: 0x0D}


def write_idx(path: Path, array: np.ndarray, compress: bool = True) -> Path:
    """Write ``array`` as an IDX file the way MNIST is distributed."""
    header = struct.pack(">BBBB", 0, 0, _IDX_CODES[array.dtype.type], array.ndim)
    header += struct.pack(f">{array.ndim}I", *array.shape)
    raw = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)
    return path


def fake_mnist_root(root: Path, n_train: int = 6, n_test: int = 4) -> Path:
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 4, 4), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        write_idx(root / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(root / f"{prefix}-labels-idx1-ubyte", labels, compress=False)
    return root


def write_csv(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


# --- IDX and MNIST-like folders -------------------------------------------------------------


@pytest.mark.parametrize("compress", [True, False])
@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.float32])
def test_idx_round_trip(tmp_path, compress, dtype):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype == np.uint8:
        array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    read = read_idx(write_idx(tmp_path / "a.idx", array, compress))
    assert read.dtype == dtype and read.dtype.isnative
    np.testing.assert_array_equal(read, array)


@pytest.mark.parametrize("compress", [True, False])
def test_truncated_idx_names_the_file(tmp_path, compress):
    path = write_idx(tmp_path / "cut.idx", np.zeros((10, 5, 5), np.uint8), compress)
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(UserError, match="cut.idx.*(truncated|damaged)"):
        read_idx(path)


def test_foreign_file_is_not_idx(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello world")
    with pytest.raises(UserError, match="notes.txt is not an IDX file"):
        read_idx(path)


def test_fake_fashion_mnist_root_and_splits(tmp_path):
    root = str(fake_mnist_root(tmp_path, n_train=6, n_test=4))
    data = load_fashion_mnist(root=root)
    assert data.x.shape == (10, 1, 4, 4) and data.x.dtype == np.float32
    assert data.image_shape == (1, 4, 4) and data.value_range == "unit"
    assert 0 <= data.x.min() and data.x.max() <= 1
    assert data.label_names == FASHION_MNIST_CLASSES and data.n_classes == 10
    np.testing.assert_array_equal(data.y, [0, 1, 2, 3, 4, 5, 0, 1, 2, 3])
    assert load_fashion_mnist(root=root, split="train").n_samples == 6
    test = load_fashion_mnist(root=root, split="test")
    assert test.n_samples == 4 and test.name == "fashion_mnist-test"
    np.testing.assert_array_equal(test.x, data.x[6:])


def test_split_needs_only_its_files(tmp_path):
    fake_mnist_root(tmp_path)
    (tmp_path / "train-images-idx3-ubyte.gz").unlink()
    assert load_mnist(root=str(tmp_path), split="test").n_samples == 4
    with pytest.raises(UserError, match=r"missing train-images-idx3-ubyte\[\.gz\]"):
        load_mnist(root=str(tmp_path), split="all")


def test_missing_files_message_lists_every_place(tmp_path, monkeypatch):
    monkeypatch.setenv("GENCLUST_DATA", str(tmp_path / "store"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with pytest.raises(UserError) as error:
        load_mnist()
    message = str(error.value)
    assert str(tmp_path / "store" / "mnist") in message
    assert str(tmp_path / "home" / ".cache" / "genclust" / "mnist") in message
    assert "data.root" in message and "t10k-labels-idx1-ubyte" in message


def test_missing_fashion_mnist_suggests_the_debian_package(tmp_path):
    with pytest.raises(UserError, match="apt-get install dataset-fashion-mnist") as error:
        load_fashion_mnist(root=str(tmp_path / "nowhere"))
    assert str(tmp_path / "nowhere") in str(error.value)


@pytest.mark.skipif(not DEBIAN_FASHION_MNIST.is_dir(), reason="dataset-fashion-mnist not installed")
def test_real_fashion_mnist(monkeypatch, tmp_path):
    monkeypatch.delenv("GENCLUST_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    data = load_fashion_mnist()
    assert data.x.shape == (70000, 1, 28, 28)
    assert data.n_classes == 10 and set(np.unique(data.y)) == set(range(10))


# --- scikit-learn sources ------------------------------------------------------------------


def test_digits_shapes_and_range():
    data = load_digits()
    assert data.x.shape == (1797, 64) and data.x.dtype == np.float32
    assert data.image_shape == (1, 8, 8) and data.value_range == "unit"
    assert data.x.min() == 0 and data.x.max() == 1 and data.n_classes == 10


def test_blobs_follow_their_options():
    data = SOURCES["blobs"](n_samples=50, n_features=3, centers=4, seed=1)
    assert data.x.shape == (50, 3) and data.n_classes == 4 and data.value_range == "real"
    np.testing.assert_array_equal(data.x, SOURCES["blobs"](50, 3, 4, seed=1).x)


# --- CSV ---------------------------------------------------------------------------------


def test_csv_with_string_labels(tmp_path):
    path = write_csv(
        tmp_path / "iris.csv", "a,species,b\n1.5,virginica,2\n-3,setosa,4e1\n0, virginica ,7\n"
    )
    data = load_csv(path, label_column="species")
    np.testing.assert_array_equal(data.x, np.array([[1.5, 2], [-3, 40], [0, 7]], np.float32))
    assert data.label_names == ["setosa", "virginica"]
    np.testing.assert_array_equal(data.y, [1, 0, 1])
    assert data.y.dtype == np.int64 and data.value_range == "real" and data.name == "iris"


def test_csv_integer_labels_sort_numerically_and_delimiter(tmp_path):
    path = write_csv(tmp_path / "t.csv", "x\tc\n0.5\t10\n0.25\t2\n1\t10\n")
    data = load_csv(path, label_column="c", delimiter="tab")
    assert data.label_names == ["2", "10"] and data.value_range == "unit"
    np.testing.assert_array_equal(data.y, [1, 0, 1])


def test_csv_whole_number_float_labels_are_classes(tmp_path):
    path = write_csv(tmp_path / "t.csv", "x,c\n1,1.0\n2,2.0\n3,10.0\n4,2\n")
    data = load_csv(path, label_column="c")
    assert data.label_names == ["1", "2", "10"]  # numeric order; 2.0 and 2 are one class
    np.testing.assert_array_equal(data.y, [0, 1, 2, 1])
    fractions = load_csv(write_csv(tmp_path / "f.csv", "x,c\n1,0.5\n2,1.5\n"), label_column="c")
    assert fractions.label_names == ["0.5", "1.5"]  # not whole: names, as text


def test_csv_drop_columns(tmp_path):
    assert options("data", "csv", "data.drop_columns=id").drop_columns == ["id"]
    path = write_csv(tmp_path / "t.csv", "id,a,note,b,y\nr1,1,hi,2,p\nr2,3,,4,q\n")
    data = load_csv(path, label_column="y", drop_columns=["id", "note"])
    assert data.feature_names == ["a", "b"] and data.label_names == ["p", "q"]
    np.testing.assert_array_equal(data.x, [[1, 2], [3, 4]])
    with pytest.raises(UserError, match="data.drop_columns: no column 'ID' in .*; available"):
        load_csv(path, drop_columns=["ID"])
    with pytest.raises(UserError, match="drops 'y', the data.label_column"):
        load_csv(path, label_column="y", drop_columns=["id", "note", "y"])


@pytest.mark.parametrize(
    ("text", "delimiter", "hint"),
    [
        ("a;b;y\n1;2;p\n3;4;q\n", ",", "\"data.delimiter=';'\""),
        ("a;b\n1,5;2,5\n3,5;4\n", ",", "\"data.delimiter=';'\""),  # decimal commas
        ("a\tb\n1\t2\n3\t4\n", ",", '"data.delimiter=tab"'),
        ("a,b,c\n1,2,3\n4,5,6\n", ";", "\"data.delimiter=','\""),
    ],
)
def test_csv_with_another_delimiter_gets_a_hint(tmp_path, text, delimiter, hint):
    with pytest.raises(UserError, match="the header is one column") as error:
        load_csv(write_csv(tmp_path / "t.csv", text), delimiter=delimiter)
    assert str(error.value).endswith(f"set {hint}")


def test_a_single_column_csv_needs_no_other_delimiter(tmp_path):
    data = load_csv(write_csv(tmp_path / "t.csv", "a;b\n1\n2\n"))
    assert data.feature_names == ["a;b"] and data.sample_shape == (1,)


def test_csv_without_labels(tmp_path):
    data = load_csv(write_csv(tmp_path / "t.csv", "x,y\n1,2\n3,4\n"))
    assert data.y is None and data.n_classes is None and data.sample_shape == (2,)


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        (
            "a,b\n1,2\n3,4\n",
            {"label_column": "kind"},
            "no column 'kind' in .*; available columns: a, b",
        ),
        ("a,b\n1,2\n3,oops\n4,5\n", {}, "column 'b' is not numeric: line 3 holds 'oops'"),
        ("a,b\n1,\n2,3\n,nan\n", {}, "column 'a' has 1 missing value \\(line 4\\)"),
        ("a,b\n1,\n2,3\n4,nan\n", {}, "column 'b' has 2 missing values \\(lines 2, 4\\)"),
        ("a,b\n1,2\n", {}, "has 1 data row; at least 2 are needed"),
        ("a,b\n1,2\n3\n", {}, "line 3 has 1 fields but the header has 2"),
        ("a,a\n1,2\n3,4\n", {}, "repeats column names a"),
        ("a,b\n1,x\n3,\n", {"label_column": "b"}, "column 'b' has 1 missing value "),
    ],
)
def test_csv_errors(tmp_path, text, kwargs, message):
    with pytest.raises(UserError, match=message):
        load_csv(write_csv(tmp_path / "bad.csv", text), **kwargs)


def test_csv_missing_file_and_missing_path(tmp_path):
    with pytest.raises(UserError, match="data.path: no such file 'absent.csv'"):
        load_csv("absent.csv")
    with pytest.raises(UserError, match=r"data=csv needs data.path=<file.csv>"):
        load_csv()


def test_nan_and_inf_are_rejected_with_rows(tmp_path):
    x = np.ones((8, 3), np.float32)
    x[2, 1] = np.nan
    x[6, 0] = np.inf
    message = r"2 NaN or infinite values in 2 samples \(0-based rows 2, 6\)"
    with pytest.raises(UserError, match=message):
        ArrayData(x=x, y=None, name="t", value_range="real", image_shape=None)
    with pytest.raises(UserError, match=r"column 'b' has 1 infinite value \(line 2\)"):
        load_csv(write_csv(tmp_path / "inf.csv", "a,b\n1,inf\n2,3\n"))


def test_array_data_rejects_empty_and_label_count():
    with pytest.raises(UserError, match="is empty"):
        ArrayData(
            x=np.zeros((0, 3), np.float32), y=None, name="t", value_range="real", image_shape=None
        )
    with pytest.raises(UserError, match="2 labels for 3 samples"):
        ArrayData(
            x=np.zeros((3, 2), np.float32),
            y=np.zeros(2, np.int64),
            name="t",
            value_range="real",
            image_shape=None,
        )


# --- NPY ---------------------------------------------------------------------------------


def test_npy_vectors_with_string_labels(tmp_path):
    np.save(tmp_path / "x.npy", np.arange(12, dtype=np.float64).reshape(6, 2))
    np.save(tmp_path / "y.npy", np.array(["b", "a", "b", "c", "a", "c"]))
    data = load_npy(str(tmp_path / "x.npy"), labels_path=str(tmp_path / "y.npy"))
    assert data.x.shape == (6, 2) and data.x.dtype == np.float32 and data.image_shape is None
    assert data.label_names == ["a", "b", "c"]
    np.testing.assert_array_equal(data.y, [1, 0, 1, 2, 0, 2])


def test_npy_images(tmp_path):
    np.save(tmp_path / "grey.npy", np.full((5, 6, 6), 255, np.uint8))
    grey = load_npy(str(tmp_path / "grey.npy"))
    assert grey.x.shape == (5, 1, 6, 6) and grey.image_shape == (1, 6, 6)
    assert grey.value_range == "unit" and grey.x.max() == 1
    np.save(tmp_path / "rgb.npy", np.zeros((5, 8, 8, 3), np.float32))
    assert load_npy(str(tmp_path / "rgb.npy")).image_shape == (3, 8, 8)
    np.save(tmp_path / "chw.npy", np.zeros((5, 3, 8, 8), np.float32) - 2)
    chw = load_npy(str(tmp_path / "chw.npy"))
    assert chw.image_shape == (3, 8, 8) and chw.value_range == "real"


def test_npy_whole_number_float_labels(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((3, 2)))
    np.save(tmp_path / "y.npy", np.array([2.0, 10.0, 2.0]))
    data = load_npy(str(tmp_path / "x.npy"), labels_path=str(tmp_path / "y.npy"))
    assert data.label_names == ["2", "10"] and data.y.tolist() == [0, 1, 0]
    np.save(tmp_path / "y.npy", np.array([1.0, 1.5, np.nan]))
    with pytest.raises(UserError, match=r"not whole numbers \(index 1 holds 1.5\)"):
        load_npy(str(tmp_path / "x.npy"), labels_path=str(tmp_path / "y.npy"))


def test_npy_labels_length_mismatch(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((4, 2)))
    np.save(tmp_path / "y.npy", np.zeros(3, np.int64))
    with pytest.raises(UserError, match=r"one label per sample, shape \(4,\)"):
        load_npy(str(tmp_path / "x.npy"), labels_path=str(tmp_path / "y.npy"))


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.array([["a", "b"], ["c", "d"]]), "holds <U1 values; data.path needs a numeric"),
        (np.array([[1, None], [2, 3]], dtype=object), "cannot read .* as a NumPy array"),
        (np.zeros(5), r"has shape \(5,\); expected \(n, d\)"),
    ],
)
def test_npy_rejects_wrong_arrays(tmp_path, array, message):
    np.save(tmp_path / "x.npy", array, allow_pickle=True)
    with pytest.raises(UserError, match=message):
        load_npy(str(tmp_path / "x.npy"))


def test_npy_needs_a_path():
    with pytest.raises(UserError, match=r"data=npy needs data.path=<file.npy>"):
        load_npy()


# --- IndexBatchLoader --------------------------------------------------------------------


def epoch_order(loader: IndexBatchLoader) -> list[int]:
    return torch.cat(list(loader)).tolist()


def test_loader_covers_every_index_once_and_reshuffles():
    x = torch.arange(23)
    loader = IndexBatchLoader(x, batch_size=5, shuffle=True, seed=3)
    assert len(loader) == 5
    first = epoch_order(loader)
    second = epoch_order(loader)  # the epoch advances without set_epoch
    assert sorted(first) == sorted(second) == list(range(23))
    assert first != second
    loader.set_epoch(0)
    assert epoch_order(loader) == first
    again = IndexBatchLoader(x, batch_size=5, shuffle=True, seed=3)
    again.set_epoch(1)
    assert epoch_order(again) == second
    assert epoch_order(IndexBatchLoader(x, 5, shuffle=True, seed=4)) != first


def test_loader_unshuffled_drop_last_and_big_batch():
    x = torch.arange(10)
    assert epoch_order(IndexBatchLoader(x, 4, shuffle=False, seed=0)) == list(range(10))
    dropping = IndexBatchLoader(x, 4, shuffle=True, seed=0, drop_last=True)
    batches = list(dropping)
    assert len(dropping) == len(batches) == 2 and all(len(b) == 4 for b in batches)
    for drop_last in (False, True):
        big = IndexBatchLoader(x, 100, shuffle=True, seed=0, drop_last=drop_last)
        assert len(big) == 1 and sorted(torch.cat(list(big)).tolist()) == list(range(10))


def test_data_smaller_than_min_batches_batches_is_cut_into_that_many():
    x = torch.arange(11)
    halves = IndexBatchLoader(x, 100, shuffle=True, seed=0, drop_last=True, min_batches=2)
    assert halves.served_batch_size == 5 and [len(b) for b in halves] == [5, 5]
    thirds = IndexBatchLoader(x, 100, shuffle=False, seed=0, drop_last=False, min_batches=3)
    assert [len(b) for b in thirds] == [3, 3, 3, 2]
    # enough data for min_batches batches: batch_size as given
    assert IndexBatchLoader(x, 4, shuffle=True, seed=0, min_batches=2).served_batch_size == 4
    # per process: each of 2 ranks gets 6 rows, cut in 2 batches of 3
    shard = IndexBatchLoader(x, 100, shuffle=True, seed=0, rank=1, world_size=2, min_batches=2)
    assert [len(b) for b in shard] == [3, 3]


def test_a_run_saved_before_min_batches_trains_on_as_it_did():
    config = compose_train("data=csv", "data.path=x.csv")
    assert validate("train", config).data.min_batches == 2  # as shipped
    del config["data"]["min_batches"]  # a run's saved config from before
    assert validate("train", config).data.min_batches == 1  # one batch of all, as then


def test_loader_shards_cover_everything_with_equal_counts():
    x = torch.arange(11)
    shards = [IndexBatchLoader(x, 2, shuffle=True, seed=5, rank=r, world_size=2) for r in (0, 1)]
    orders = [epoch_order(s) for s in shards]
    assert len(orders[0]) == len(orders[1]) == 6 and len(shards[0]) == len(shards[1]) == 3
    assert set(orders[0]) | set(orders[1]) == set(range(11))
    assert len(set(orders[0]) & set(orders[1])) == 1  # the one wrapped-around pad


def test_loader_yields_rows_of_a_multidimensional_tensor():
    x = torch.randn(7, 1, 4, 4)
    batch = next(iter(IndexBatchLoader(x, 3, shuffle=False, seed=0)))
    assert torch.equal(batch, x[:3])


# --- DataModule and build_datamodule ---------------------------------------------------


def vectors(n: int = 20) -> ArrayData:
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 5.0, size=(n, 3)).astype(np.float32)
    x[:, 2] = 7.0  # a constant feature
    return ArrayData(
        x=x, y=np.arange(n, dtype=np.int64) % 2, name="v", value_range="real", image_shape=None
    )


def test_datamodule_standardize():
    dm = ArrayDataModule(vectors(), batch_size=8, seed=0, standardize=True)
    assert dm.x.dtype == torch.float32 and dm.input_shape == (3,)
    torch.testing.assert_close(dm.x.mean(0), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(dm.x[:, :2].std(0, unbiased=False), torch.ones(2))
    assert torch.all(dm.x[:, 2] == 0) and dm.value_range == "real"
    assert dm.n_classes == 2 and dm.n_samples == 20


def test_datamodule_batches():
    digits = load_digits()
    dm = ArrayDataModule(digits, batch_size=128, seed=0)
    assert dm.value_range == "unit" and dm.image_shape == (1, 8, 8) and dm.input_shape == (64,)
    loader = dm.train_dataloader()
    assert len(loader) == 1797 // 128 and all(b.shape == (128, 64) for b in loader)
    ordered = torch.cat(list(dm.ordered_batches(500)))
    assert torch.equal(ordered, torch.from_numpy(digits.x))


class _Recorder(pl.LightningModule):
    """A model that records what each training step receives."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.seen: list[torch.Tensor] = []

    def training_step(self, batch, batch_idx):
        self.seen.append(batch.clone())
        return (self.weight * batch.sum()) ** 2

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.0)


def test_datamodule_under_a_trainer_reshuffles_each_epoch(monkeypatch):
    epochs_set = []
    set_epoch = IndexBatchLoader.set_epoch
    monkeypatch.setattr(
        IndexBatchLoader, "set_epoch", lambda self, e: (epochs_set.append(e), set_epoch(self, e))
    )
    dm = ArrayDataModule(vectors(12), batch_size=12, seed=0)
    model = _Recorder()
    trainer = pl.Trainer(
        max_epochs=2,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(model, datamodule=dm)
    assert len(model.seen) == 2 and model.seen[0].shape == (12, 3)
    assert not torch.equal(model.seen[0], model.seen[1])
    assert epochs_set == [0, 1]  # Lightning sets the epoch through loader.sampler (resumes too)
    loader = IndexBatchLoader(dm.x, 12, shuffle=True, seed=0)
    loader.set_epoch(1)
    assert torch.equal(model.seen[1], next(iter(loader)))


def test_build_datamodule_reads_the_options():
    dm = build_datamodule(options("data", "blobs", n_samples=40, centers=2), seed=0)
    assert dm.n_samples == 40 and dm.n_classes == 2 and dm.value_range == "real"


def test_new_data_is_checked_against_the_training_scaling(tmp_path):
    """genclust predict: new data standardised with a training run's mean and std."""
    data = options("data", "csv", path=write_csv(tmp_path / "t.csv", "a,b\n1,2\n3,4e3\n"))
    scaling = {"mean": torch.zeros(2), "std": torch.tensor([1.0, 1e-17])}
    message = r"column 'b' reaches 4e\+20 after standardising with the training data's mean"
    with pytest.raises(UserError, match=message):
        build_datamodule(data, seed=0, scaling=scaling)
    other = {"mean": torch.zeros(3), "std": torch.ones(3)}
    with pytest.raises(UserError, match=r"shape \(2,\), but the model was trained on .* \(3,\)"):
        build_datamodule(data, seed=0, scaling=other)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["data=blobs", "+data.n_sample=40"], "data.n_sample: no such option; did you mean"),
        (["data.batch_size=0"], "data.batch_size: Input should be greater than or equal to 1"),
        (["data=blobs", "data.name=imagenet"], "data.name: 'imagenet' is not one of"),
        (["data=blobs", "data.n_samples=-5"], "data.n_samples"),
        (["data=npy", "data.mmap=sometimes"], "data.mmap"),
        (["data=images", "data.size=[28]"], "data.size"),
        (["data=images", "data.size=0"], "data.size"),
        (["data=images", "data.channels=4"], "data.channels"),
        (["data=csv", "data.drop_columns=[1]"], "data.drop_columns.0: Input should be a valid str"),
    ],
)
def test_bad_data_options_are_one_message(overrides, message):
    with pytest.raises(UserError, match=message):
        validate("train", compose_train(*overrides))


# --- conf/data ---------------------------------------------------------------------------


def test_every_source_has_a_config():
    assert {p.stem for p in CONF_DATA.glob("*.yaml")} == set(SOURCES)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_config_matches_its_reader(name):
    """The schema of conf/data/<name>.yaml offers exactly the reader's parameters."""
    cfg = OmegaConf.to_container(OmegaConf.load(CONF_DATA / f"{name}.yaml"))
    assert cfg["name"] == name
    checked = TypeAdapter(AnyDataOptions).validate_python(cfg)
    parameters = inspect.signature(SOURCES[name]).parameters
    assert set(reader_options(checked)) == set(parameters)


def test_in_memory_samples_move_to_the_training_device_once():
    # "meta" stands in for a GPU: the loader holds the whole tensor there, and every batch is
    # cut from it on that device (no copy per batch).
    data = ArrayData(x=np.zeros((40, 3), np.float32), y=None, name="t", value_range="unit",
                     image_shape=None)  # fmt: skip
    datamodule = ArrayDataModule(data, batch_size=8, seed=0)
    device = torch.device("meta")
    datamodule.trainer = SimpleNamespace(
        strategy=SimpleNamespace(root_device=device), global_rank=0, world_size=1
    )
    loader = datamodule.train_dataloader()
    assert loader.x.device == device and datamodule.x.device.type == "cpu"
    batches = list(loader)
    assert len(batches) == 5 and all(batch.device == device for batch in batches)
