"""Large code sets: the clusterer is fitted on a sample and every other code assigned."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from tests.conftest import compose_train, options

from genclust.analysis.latent_clusterer import ASSIGNED_BY, FITTED_ON
from genclust.analysis.stage import CodeSet, analyse_codes, plan_analysis
from genclust.config.load import validate
from genclust.errors import UserError
from genclust.rundir.names import LATENTS_FILE, METRICS_FILE


@pytest.fixture(scope="module")
def codes():
    z, y = make_blobs(n_samples=3000, n_features=6, centers=4, random_state=0)
    return z.astype(np.float32), y


@pytest.mark.parametrize(
    ("cluster", "manifold", "rule"),
    [
        ("kmeans", {"method": "none"}, "KMeans.predict"),
        ("dbscan", {"method": "none"}, "majority of 5 nearest fitted codes"),
        (
            "kmeans",
            {"method": "tsne", "n_components": 2, "params": {"n_iter": 100}},
            "majority of 5 nearest fitted codes",
        ),
    ],
)
def test_fit_on_a_sample_then_assign_every_code(codes, tmp_path, cluster, manifold, rule):
    z, y = codes
    params = {"eps": 3.0, "min_samples": 5} if cluster == "dbscan" else {}
    plan = plan_analysis(
        options("cluster", cluster, params=params, manifold=manifold, fit_max_points=400),
        options("embed", "tsne", max_points=300, params={}),
        n_classes=4,
        n_samples=len(z),
        seed=0,
    )
    metrics = analyse_codes(CodeSet(z, y), plan, tmp_path)
    assert metrics[FITTED_ON] == 400 and metrics[ASSIGNED_BY] == rule
    assert metrics["n_samples"] == 3000 and metrics["acc"] > 0.95
    with np.load(tmp_path / LATENTS_FILE) as saved:
        assert saved["cluster"].shape == (3000,)
        assert len(saved["embedding_index"]) == 300
    assert json.loads((tmp_path / METRICS_FILE).read_text())[FITTED_ON] == 400


def test_small_code_sets_are_fitted_whole(codes, tmp_path):
    z, y = codes
    plan = plan_analysis(
        options("cluster", "kmeans", "cluster/manifold=none", fit_max_points=5000),
        options("embed", "none"),
        n_classes=4,
        n_samples=len(z),
        seed=0,
    )
    assert FITTED_ON not in analyse_codes(CodeSet(z, y), plan, tmp_path)


def test_fit_max_points_must_be_a_count():
    with pytest.raises(UserError, match="cluster.fit_max_points"):
        validate("train", compose_train("cluster.fit_max_points=1"))
