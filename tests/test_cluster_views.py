"""The figures that show what the clusters are: the map coloured by matched class, the galleries,
and everything the analysis stage writes for them (files and TensorBoard events)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from matplotlib.colors import to_rgba
from PIL import Image
from sklearn.datasets import load_digits, make_blobs
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tests.conftest import options, run_genclust

from genclust.analysis.gallery import (
    MAX_ROWS,
    MEMBERS_TAG,
    SAMPLES_TAG,
    gallery_figure,
    members_nearest_centre,
    row_label,
)
from genclust.analysis.hparams import metric_tag
from genclust.analysis.metrics import NOISE_LABEL, match_clusters
from genclust.analysis.plots import NOISE_COLOUR, PALETTE, UNMATCHED_COLOURS, embedding_figure
from genclust.analysis.projector import CONFIG_FILE, PROJECTOR_DIR
from genclust.analysis.stage import EMBEDDING_TAG, CodeSet, analyse_codes, plan_analysis
from genclust.cli import main
from genclust.commands.training import RunDirLogger
from genclust.rundir.names import (
    CLUSTER_DIR,
    CLUSTER_MEMBERS_FIGURE,
    CLUSTER_SAMPLES_FIGURE,
    EMBEDDING_FIGURE,
)


def _colours(ax) -> dict[str, tuple]:
    """Legend entry → colour of the points drawn under it, for one panel."""
    return {
        collection.get_label(): tuple(collection.get_facecolor()[0])
        for collection in ax.collections
        if not collection.get_label().startswith("_") and len(collection.get_offsets())
    }


def test_clusters_take_the_colour_of_their_matched_class():
    labels = np.array([0] * 5 + [1] * 5 + [2] * 5)
    clusters = np.array([8] * 5 + [3] * 5 + [5, 5, 5, 7, NOISE_LABEL])  # 8→0, 3→1, 5→2; 7 left
    matching = match_clusters(labels, clusters)
    assert matching == {8: 0, 3: 1, 5: 2}
    coords = np.random.default_rng(0).normal(size=(15, 2))
    fig = embedding_figure(coords, clusters, labels, ["zero", "one", "two"], "t", matching)
    cluster_panel, class_panel = fig.axes[:2]
    by_cluster, by_class = _colours(cluster_panel), _colours(class_panel)
    assert by_cluster["8 → zero"] == by_class["zero"] == to_rgba(PALETTE[0])
    assert by_cluster["5 → two"] == by_class["two"] == to_rgba(PALETTE[2])
    assert by_cluster["1 unmatched"] == to_rgba(UNMATCHED_COLOURS[0])
    assert by_cluster["noise"] == to_rgba(NOISE_COLOUR)
    # Legend in class order, and titled.
    legend = cluster_panel.get_legend()
    assert legend.get_title().get_text() == "cluster → class"
    assert [t.get_text() for t in legend.texts] == [
        "noise",
        "8 → zero",
        "3 → one",
        "5 → two",
        "1 unmatched",
    ]
    assert class_panel.get_legend().get_title().get_text() == "class"
    assert fig._suptitle.get_text() == "t"


def test_without_labels_clusters_get_the_palette_in_turn():
    clusters = np.array([4, 4, 9, 9])
    fig = embedding_figure(np.zeros((4, 2)), clusters)
    assert _colours(fig.axes[0]) == {"4": to_rgba(PALETTE[0]), "9": to_rgba(PALETTE[1])}
    assert fig.axes[0].get_legend().get_title().get_text() == "cluster"


def test_members_nearest_centre_skip_noise_and_keep_the_largest_clusters():
    rng = np.random.default_rng(0)
    n_clusters = MAX_ROWS + 5
    sizes = np.arange(n_clusters) + 3  # cluster k has k + 3 members
    clusters = np.concatenate([np.full(size, k) for k, size in enumerate(sizes)] + [[-1] * 4])
    features = rng.normal(size=(len(clusters), 3)) + clusters[:, None] * 10
    nearest = members_nearest_centre(features, clusters, per_cluster=2)
    assert sorted(nearest) == list(range(5, n_clusters))  # the 5 smallest are left out
    for cluster, rows in nearest.items():
        members = np.flatnonzero(clusters == cluster)
        distances = np.linalg.norm(features[members] - features[members].mean(0), axis=1)
        assert list(rows) == list(members[np.argsort(distances)[:2]])


def test_gallery_rows_are_labelled_with_their_matched_class():
    matching = {3: 1, 0: 0}
    assert row_label(3, matching, ["T-shirt", "Trouser"]) == "cluster 3 → Trouser"
    assert row_label(5, matching, None) == "cluster 5 → none"
    assert row_label(5, None, None) == "cluster 5"
    images = [np.random.default_rng(0).random((4, 1, 6, 6)), np.zeros((2, 3, 6, 6))]
    fig = gallery_figure(images, ["a", "b"], title="title")
    axes = np.array(fig.axes).reshape(2, 4)
    assert [row[0].get_ylabel() for row in axes] == ["a", "b"]
    assert len(axes[0, 3].images) == 1 and len(axes[1, 2].images) == 0  # row b has 2 images
    with pytest.raises(ValueError, match="2 rows of images but 1 labels"):
        gallery_figure(images, ["a"])


def test_analysis_writes_the_galleries_projector_and_session(tmp_path):
    z, y = make_blobs(n_samples=120, n_features=4, centers=3, random_state=0)
    images = np.random.default_rng(0).random((120, 1, 4, 4)).astype(np.float32)
    plan = plan_analysis(
        options("cluster", "kmeans", "cluster/manifold=none"),
        options("embed", "pca", max_points=50),
        n_classes=3,
        n_samples=120,
        seed=0,
    )
    config = {"model": {"name": "ae"}, "data": {"name": "blobs"}, "cluster": {"name": "kmeans"}}
    metrics = analyse_codes(
        CodeSet(z.astype(np.float32), y, ["a", "b", "c"], images=images),
        plan,
        tmp_path,
        RunDirLogger(tmp_path),
        hparams=config,
    )
    assert metrics["acc"] == 1.0
    for name in (EMBEDDING_FIGURE, CLUSTER_MEMBERS_FIGURE, CONFIG_FILE):
        assert (tmp_path / name).is_file(), name
    metadata = (tmp_path / PROJECTOR_DIR / "metadata.tsv").read_text().splitlines()
    assert len(metadata) == 1 + 50  # the same 50 points as the figure
    shown = np.load(tmp_path / "latents.npz")["embedding_index"]
    assert [int(line.split("\t")[2]) for line in metadata[1:]] == shown.tolist()
    events = EventAccumulator(str(tmp_path), size_guidance={"images": 0})
    events.Reload()
    assert {EMBEDDING_TAG, MEMBERS_TAG} <= set(events.Tags()["images"])
    assert metric_tag("acc") in events.Tags()["scalars"]
    assert "_hparams_/session_start_info" in events.PluginTagToContent("hparams")
    assert not list(tmp_path.glob("hparams.yaml"))  # the config is in .hydra/ only


@pytest.mark.slow  # trains VaDE on digits through the CLI
def test_vade_run_draws_what_it_generates_from_each_cluster(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.argv", ["genclust"])  # the CLI replaces it for Hydra
    run = tmp_path / "run"
    main(
        [
            "train",
            "model=vade",
            "model.pretrain_epochs=1",
            "trainer.max_epochs=2",
            "cluster=model",
            "embed=none",
            f"hydra.run.dir={run}",
        ]
    )
    for name in (CLUSTER_SAMPLES_FIGURE, CLUSTER_MEMBERS_FIGURE):
        assert (run / name).is_file(), name
    events = EventAccumulator(str(run), size_guidance={"images": 0})
    events.Reload()
    assert {SAMPLES_TAG, MEMBERS_TAG} <= set(events.Tags()["images"])


def test_a_reanalysis_of_image_data_draws_the_members_and_the_projector_s_thumbnails(tmp_path):
    """`genclust cluster` reads the run's images again through its saved data config; when they
    are gone, it says so and finishes without the pictures and the label-free scores."""
    digits = load_digits()
    images, labels = tmp_path / "x.npy", tmp_path / "y.npy"
    np.save(images, digits.images[:300, None] / 16)  # (300, 1, 8, 8)
    np.save(labels, digits.target[:300])
    run = tmp_path / "run"
    quick = ("cluster/manifold=none", "embed=pca")
    data = ("data=npy", f"data.path={images}", f"data.labels_path={labels}")
    trained = run_genclust("train", *data, "trainer.max_epochs=1", *quick,
                           f"hydra.run.dir={run}", cwd=tmp_path)  # fmt: skip
    assert trained.returncode == 0, trained.stderr[-2000:]

    first = run_genclust("cluster", f"run={run}", *quick, cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    (analysis,) = (run / CLUSTER_DIR).iterdir()
    assert (analysis / CLUSTER_MEMBERS_FIGURE).is_file()
    measured = json.loads((analysis / "metrics.json").read_text())
    assert (
        measured["knn_modularity"]
        == json.loads((run / "metrics.json").read_text())["knn_modularity"]
    )  # the same clusterer and seed on the same data: the training's own score
    with Image.open(analysis / PROJECTOR_DIR / "sprite.png") as sprite:
        assert sprite.size == (18 * 8, 18 * 8)  # 300 thumbnails of 8 × 8 pixels, 18 a row

    images.unlink()
    second = run_genclust("cluster", f"run={run}", *quick, cwd=tmp_path)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "no label-free scores or pictures: the run's data cannot be read" in second.stdout
    (later,) = set((run / CLUSTER_DIR).iterdir()) - {analysis}
    assert not (later / CLUSTER_MEMBERS_FIGURE).exists()
    without_data = json.loads((later / "metrics.json").read_text())
    assert without_data["knn_modularity"] is None and without_data["acc"] == measured["acc"]
