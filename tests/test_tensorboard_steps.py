"""TensorBoard's one step axis and its image grids, read back from real runs' event files."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.datasets import load_digits
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tests.conftest import run_genclust

from genclust.analysis.hparams import metric_tag
from genclust.commands.image_grids import RECONSTRUCTION_GRID, SAMPLE_GRID
from genclust.config.metrics import LABEL_METRICS
from genclust.models import load_trained_model
from genclust.models.base import EPOCH_SUFFIX, STEP_SUFFIX
from genclust.models.gan import DISCRIMINATOR, GENERATOR
from genclust.models.vae import LOSS
from genclust.rundir.names import CHECKPOINT_FILE, METRICS_FILE

BATCHES_PER_EPOCH = 1797 // 128  # digits, data.batch_size 128, the last partial batch dropped
FAST = ("cluster/manifold=none", "embed=none")
LOG_EVERY = 10  # trainer.log_every_n_steps in conf/trainer/cpu.yaml


def _train(root: Path, *overrides: str) -> tuple[Path, dict, EventAccumulator]:
    run_dir = root / "run"
    result = run_genclust("train", *FAST, *overrides, f"hydra.run.dir={run_dir}", cwd=root)
    assert result.returncode == 0, result.stderr[-3000:]
    events = EventAccumulator(str(run_dir), size_guidance={"images": 0})
    events.Reload()
    return run_dir, json.loads((run_dir / METRICS_FILE).read_text()), events


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
    """The default VAE on digits for two epochs."""
    return _train(tmp_path_factory.mktemp("vae"), "trainer.max_epochs=2")


def _steps(events: list) -> list[int]:
    return [event.step for event in events]


def test_losses_grids_and_cluster_metrics_share_the_batch_axis(vae_run):
    _, metrics, events = vae_run
    final = 2 * BATCHES_PER_EPOCH
    assert metrics["steps"] == final
    epoch_ends = [BATCHES_PER_EPOCH, final]
    assert _steps(events.Scalars(LOSS + EPOCH_SUFFIX)) == epoch_ends
    assert _steps(events.Scalars("epoch")) == epoch_ends
    for grid in (RECONSTRUCTION_GRID, SAMPLE_GRID):
        assert _steps(events.Images(grid)) == epoch_ends
    # A batch's losses at the step it starts from, every log_every_n_steps batches.
    assert _steps(events.Scalars(LOSS + STEP_SUFFIX)) == list(range(0, final, LOG_EVERY))
    for name in LABEL_METRICS:
        (point,) = events.Scalars(metric_tag(name))
        assert point.step == final
        assert point.value == pytest.approx(metrics[name], rel=1e-6)


def _grid_cells(encoded_png: bytes, rows: int, cols: int, side: int, padding: int = 2):
    """The (rows, cols, side, side) cells of an image grid, as values in [0, 255]."""
    grid = np.asarray(Image.open(io.BytesIO(encoded_png)).convert("L"), dtype=np.float64)
    corners = [padding + i * (side + padding) for i in range(max(rows, cols))]
    return np.array(
        [
            [grid[top : top + side, left : left + side] for left in corners[:cols]]
            for top in corners[:rows]
        ]
    )


def test_reconstruction_grid_shows_each_input_above_its_reconstruction(vae_run):
    run_dir, _, events = vae_run
    # 32 inputs, 8 to a row: rows 0, 2, 4, 6 hold inputs and the row below each its
    # reconstructions. The last grid was drawn with the weights of the last checkpoint.
    cells = _grid_cells(events.Images(RECONSTRUCTION_GRID)[-1].encoded_image_string, 8, 8, 8)
    inputs = torch.tensor(load_digits().data[:32] / 16.0, dtype=torch.float32)
    checkpoint = torch.load(run_dir / CHECKPOINT_FILE, weights_only=True)
    model = load_trained_model("vae", checkpoint, run_dir / CHECKPOINT_FILE)
    with torch.no_grad():
        reconstructions = model.reconstruct(inputs.reshape(32, 1, 8, 8))
    expected_inputs = 255 * inputs.numpy().reshape(4, 8, 8, 8)
    expected_reconstructions = 255 * reconstructions.numpy().reshape(4, 8, 8, 8)
    # PNG keeps whole levels: within one level of the exact value.
    np.testing.assert_allclose(cells[0::2], expected_inputs, atol=1.0)
    np.testing.assert_allclose(cells[1::2], expected_reconstructions, atol=1.0)
    assert np.abs(cells[1::2] - cells[0::2]).max() > 10  # the rows really differ


def test_a_gan_step_is_a_batch_though_two_optimizers_step(tmp_path):
    _, metrics, events = _train(tmp_path, "model=gan", "trainer.max_epochs=2")
    final = 2 * BATCHES_PER_EPOCH
    assert metrics["steps"] == final
    for loss in (GENERATOR, DISCRIMINATOR):
        assert _steps(events.Scalars(loss + STEP_SUFFIX)) == list(range(0, final, LOG_EVERY))
        assert _steps(events.Scalars(loss + EPOCH_SUFFIX)) == [BATCHES_PER_EPOCH, final]
    assert _steps(events.Images(SAMPLE_GRID)) == [BATCHES_PER_EPOCH, final]
    assert _steps(events.Scalars(metric_tag("acc"))) == [final]
