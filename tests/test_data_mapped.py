"""Data larger than memory: a ``.npy`` read through a memory map (data.mmap), batch by batch."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from tests.conftest import fit_briefly, options, run_genclust_process

from genclust.data import ArrayDataModule, IndexBatchLoader, build_datamodule, scan
from genclust.data.mapped import MappedSamples
from genclust.data.readers import load_npy
from genclust.errors import UserError
from genclust.models import build_model
from genclust.rundir.names import METRICS_FILE


@pytest.fixture
def small_blocks(monkeypatch):
    """Blocks of a few rows, so that every pass over the test data spans many blocks."""
    monkeypatch.setattr(scan, "BLOCK_BYTES", 256)


def saved(folder: Path, array: np.ndarray, name: str = "x.npy") -> str:
    np.save(folder / name, array)
    return str(folder / name)


ARRAYS = {
    "float64 vectors": np.random.default_rng(0).normal(5.0, 3.0, (50, 6)),
    "uint8 channels-last images": np.random.default_rng(1).integers(
        0, 256, (30, 8, 8, 3), np.uint8
    ),
    "float32 grey images": np.random.default_rng(2).random((30, 8, 8), np.float32),
}


@pytest.mark.parametrize("kind", ARRAYS)
def test_mapped_rows_equal_the_loaded_array(tmp_path, small_blocks, kind):
    path = saved(tmp_path, ARRAYS[kind])
    loaded, mapped = load_npy(path, mmap=False), load_npy(path, mmap=True)
    assert isinstance(loaded.x, np.ndarray) and isinstance(mapped.x, MappedSamples)
    np.testing.assert_array_equal(mapped.x[0 : len(loaded.x)], loaded.x)
    assert mapped.x.shape == loaded.x.shape and mapped.image_shape == loaded.image_shape
    assert mapped.value_range == loaded.value_range
    for standardize in (False, True):
        in_memory = ArrayDataModule(loaded, batch_size=8, seed=0, standardize=standardize)
        from_file = ArrayDataModule(mapped, batch_size=8, seed=0, standardize=standardize)
        assert from_file.input_shape == in_memory.input_shape
        assert torch.equal(torch.cat(list(from_file.ordered_batches(7))), in_memory.x)
        assert torch.equal(from_file.x[3:9], in_memory.x[3:9])


def test_statistics_merged_over_blocks_are_accurate(tmp_path, small_blocks):
    """A large mean with a small spread: where a one-pass sum of squares loses every digit."""
    x = (1e6 + np.random.default_rng(0).normal(0, 1e-2, (500, 3))).astype(np.float32)
    summary = load_npy(saved(tmp_path, x), mmap=True).summary
    exact = x.astype(np.float64)
    np.testing.assert_allclose(summary.mean, exact.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(summary.variance, exact.var(axis=0), rtol=1e-6)
    np.testing.assert_array_equal(summary.minimum, exact.min(axis=0))
    np.testing.assert_array_equal(summary.maximum, exact.max(axis=0))


@pytest.mark.parametrize("mmap", [False, True])
def test_nonfinite_values_are_found_across_blocks(tmp_path, small_blocks, mmap):
    x = np.ones((60, 4))
    x[3, 1], x[20, 0], x[20, 2], x[41, 3] = np.nan, np.inf, np.nan, -np.inf
    message = r"4 NaN or infinite values in 3 samples \(0-based rows 3, 20, 41\)"
    with pytest.raises(UserError, match=message):
        load_npy(saved(tmp_path, x), mmap=mmap)


def test_mapped_float64_beyond_float32_is_refused(tmp_path, small_blocks):
    x = np.ones((40, 3))
    x[33, 2] = 1e39
    with pytest.raises(UserError, match=r"x.npy holds values beyond float32's range .* 1e\+39"):
        load_npy(saved(tmp_path, x), mmap=True)


def test_a_column_major_file_cannot_be_mapped(tmp_path):
    path = saved(tmp_path, np.asfortranarray(np.ones((20, 5))))
    with pytest.raises(UserError, match="Fortran order.*data.mmap=false"):
        load_npy(path, mmap=True)
    assert load_npy(path, mmap=False).n_samples == 20


def test_auto_maps_files_above_the_threshold(tmp_path, monkeypatch):
    path = saved(tmp_path, np.ones((20, 5), np.float32))
    size = Path(path).stat().st_size
    monkeypatch.setattr("genclust.data.tables.MAP_ABOVE_BYTES", size - 1)
    assert isinstance(load_npy(path).x, MappedSamples)
    monkeypatch.setattr("genclust.data.tables.MAP_ABOVE_BYTES", size)
    assert isinstance(load_npy(path).x, np.ndarray)


def _resident_file_pages() -> int:
    """Bytes of mapped files resident in this process (Linux)."""
    status = Path("/proc/self/status").read_text()
    (line,) = [line for line in status.splitlines() if line.startswith("RssFile:")]
    return int(line.split()[1]) * 1024


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_reading_every_row_leaves_no_mapped_pages_resident(tmp_path):
    x = np.random.default_rng(0).random((4096, 4096), np.float32)  # 64 MiB
    path = saved(tmp_path, x)
    size = x.nbytes
    del x
    before = _resident_file_pages()
    data = load_npy(path, mmap=True)  # one pass over every row: the checks and statistics
    datamodule = ArrayDataModule(data, batch_size=256, seed=0, standardize=True)
    assert sum(len(batch) for batch in datamodule.ordered_batches(512)) == 4096
    assert _resident_file_pages() - before < size / 8
    # The measure is sensitive: numpy's own memory map keeps every page it read, while it lives.
    numpy_map = np.load(path, mmap_mode="r")
    assert float(numpy_map.sum()) > 0
    assert _resident_file_pages() - before > size / 2


def test_each_rank_reads_only_the_rows_of_its_shard(tmp_path, monkeypatch):
    data = load_npy(saved(tmp_path, np.random.default_rng(0).random((40, 3))), mmap=True)
    datamodule = ArrayDataModule(data, batch_size=4, seed=7, standardize=True)
    read = []
    original = MappedSamples.__getitem__

    def recording(self, index):
        read.append(index)
        return original(self, index)

    monkeypatch.setattr(MappedSamples, "__getitem__", recording)
    device = SimpleNamespace(root_device=torch.device("cpu"))
    datamodule.trainer = SimpleNamespace(global_rank=1, world_size=2, strategy=device)
    assert len(list(datamodule.train_dataloader())) == 5
    assert all(isinstance(index, np.ndarray) for index in read)  # batches only, no sweep
    shard = IndexBatchLoader(
        torch.arange(40), 4, shuffle=True, seed=7, drop_last=True, rank=1, world_size=2
    )
    assert np.concatenate(read).tolist() == torch.cat(list(shard)).tolist()
    assert len(np.concatenate(read)) == 20


def test_a_model_trains_the_same_on_mapped_rows(tmp_path):
    path = saved(tmp_path, np.random.default_rng(0).normal(0, 2, (64, 12)))
    codes = []
    for mmap in (False, True):
        datamodule = build_datamodule(options("data", "npy", path=path, mmap=mmap), seed=0)
        pl.seed_everything(0, verbose=False)
        model = build_model(
            options("model", "ae", latent_dim=3, hidden_dims=[8]),
            datamodule.input_shape,
            datamodule.value_range,
        )
        trainer = fit_briefly(model, datamodule, max_steps=6)
        assert trainer.global_step == 6
        codes.append(torch.cat([model.encode(b) for b in datamodule.ordered_batches(10)]))
    assert torch.equal(codes[0], codes[1])


@pytest.mark.slow
def test_mapped_data_trains_under_ddp_with_two_processes(tmp_path):
    x = np.random.default_rng(0).normal(0, 1, (300, 10)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    result = run_genclust_process(
        "train",
        "trainer=ddp_cpu",
        "trainer.devices=2",
        "trainer.max_epochs=2",
        "data=npy",
        "data.path=x.npy",
        "data.mmap=true",
        "data.batch_size=50",
        "cluster.n_clusters=3",
        "cluster/manifold=none",
        "embed=none",
        f"hydra.run.dir={tmp_path / 'run'}",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((tmp_path / "run" / METRICS_FILE).read_text())
    assert metrics["n_samples"] == 300  # rank 0 encodes every sample
    assert metrics["steps"] == 2 * 3  # each process: 150 rows of its shard / 50 per batch
