"""2-D embeddings of latent codes, and the figures and image grids made from them."""

from pathlib import Path

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf

from genclust.analysis.embedding import check_embed_options, embed_2d
from genclust.analysis.metrics import NOISE_LABEL
from genclust.analysis.plots import embedding_figure, save_figure
from genclust.commands.image_grids import image_grid
from genclust.errors import UserError

CONF = Path(__file__).parents[1] / "conf" / "embed"
FAST_TSNE = {"n_iter": 50, "early_exaggeration_iter": 25, "perplexity": 10}


@pytest.fixture(scope="module")
def z():
    return np.random.default_rng(0).normal(size=(120, 5)).astype(np.float32)


@pytest.mark.parametrize(("method", "params"), [("tsne", FAST_TSNE), ("pca", {})])
def test_shapes_and_seeded_subsample(z, method, params):
    index, coords = embed_2d(z, method, max_points=60, seed=1, params=params)
    assert coords.shape == (60, 2) and coords.dtype == np.float32
    assert index.dtype == np.int64 and len(np.unique(index)) == 60 and index.max() < len(z)
    again = embed_2d(z, method, max_points=60, seed=1, params=params)
    assert np.array_equal(index, again[0]) and np.allclose(coords, again[1])
    assert not np.array_equal(index, embed_2d(z, method, 60, seed=2, params=params)[0])


def test_all_points_when_under_max_points(z):
    index, coords = embed_2d(z, "pca", max_points=None, seed=0, params={})
    assert np.array_equal(index, np.arange(len(z))) and coords.shape == (len(z), 2)


def test_pca_of_one_dimensional_codes(z):
    assert embed_2d(z[:, :1], "pca", None, 0, {})[1].shape == (len(z), 2)


def test_none_returns_none(z):
    assert embed_2d(z, "none", None, 0, {}) is None


@pytest.mark.parametrize(
    ("method", "max_points", "params", "expected"),
    [
        ("umap", None, {}, "choose from: tsne, pca, none"),
        ("tsne", 0, {}, "embed.max_points"),
        ("tsne", None, {"perplexty": 5}, "'perplexty'"),
        ("tsne", None, {"perplexity": -1}, "embed.params.perplexity"),
        ("tsne", None, {"n_iter": 1.5}, "embed.params.n_iter"),
        ("pca", None, {"svd_solver": "fast"}, "svd_solver"),
        ("pca", None, {"n_components": 3}, "'n_components'"),
    ],
)
def test_bad_options_are_user_errors(z, method, max_points, params, expected):
    with pytest.raises(UserError, match=expected):
        check_embed_options(method, max_points, params)
    with pytest.raises(UserError, match=expected):
        embed_2d(z, method, max_points, 0, params)


@pytest.mark.parametrize("path", sorted(CONF.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_embed_config_runs(path, z):
    cfg = OmegaConf.to_container(OmegaConf.load(path))
    assert cfg["method"] == path.stem
    params = {**cfg["params"], "n_iter": 20} if cfg["method"] == "tsne" else cfg["params"]
    result = embed_2d(z[:60], cfg["method"], cfg["max_points"], seed=0, params=params)
    assert result is None if cfg["method"] == "none" else result[1].shape == (60, 2)


@pytest.mark.parametrize("with_labels", [True, False])
def test_figure_saves_a_png(tmp_path, with_labels):
    rng = np.random.default_rng(0)
    clusters = rng.integers(-1, 4, size=300)
    labels = rng.integers(0, 25, size=300) if with_labels else None  # > 20 groups: colour bar
    fig = embedding_figure(rng.normal(size=(300, 2)), clusters, labels, title="test")
    assert len(fig.axes) >= (2 if with_labels else 1)
    save_figure(fig, tmp_path / "sub" / "embedding.png")
    data = (tmp_path / "sub" / "embedding.png").read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 1000
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["embedding.png"]


def test_figure_with_label_names(tmp_path):
    coords = np.random.default_rng(0).normal(size=(4, 2))
    fig = embedding_figure(
        coords, np.array([0, 1, NOISE_LABEL, 1]), np.array([0, 1, 1, 0]), ["a", "b"]
    )
    texts = {t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().texts}
    assert {"a", "b", "noise", "0", "1"} <= texts
    save_figure(fig, tmp_path / "f.png")


@pytest.mark.parametrize(("n", "nrow", "rows", "cols"), [(10, 4, 3, 4), (3, 8, 1, 3), (8, 8, 1, 8)])
def test_image_grid_shape(n, nrow, rows, cols):
    images = torch.rand(n, 3, 5, 7)
    grid = image_grid(images, nrow=nrow)
    assert grid.shape == (3, rows * 7 + 2, cols * 9 + 2)
    assert torch.equal(grid[:, 2:7, 2:9], images[0])
    assert grid.min() >= 0 and grid.max() <= 1
