"""cluster_accuracy and clustering_scores against hand-computed cases and scikit-learn."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from genclust.analysis.metrics import (
    NO_CLASS,
    NOISE_LABEL,
    cluster_accuracy,
    clustering_scores,
    match_clusters,
    matched_classes,
)
from genclust.config.metrics import (
    ACC,
    ARI,
    LABEL_METRICS,
    N_CLUSTERS,
    NMI,
    NOISE_FRACTION,
    SILHOUETTE,
    SILHOUETTE_NOTE,
)


@settings(max_examples=50, deadline=None)
@given(
    labels=st.lists(st.integers(0, 5), min_size=1, max_size=40),
    permutation=st.permutations(range(6)),
)
def test_accuracy_is_one_under_any_relabelling(labels, permutation):
    y_true = np.array(labels)
    assert cluster_accuracy(y_true, np.array(permutation)[y_true]) == 1.0


@settings(max_examples=50, deadline=None)
@given(
    labels=st.lists(st.integers(0, 5), min_size=1, max_size=40),
    permutation=st.permutations(range(6)),
)
def test_matching_undoes_any_relabelling(labels, permutation):
    y_true = np.array(labels)
    clusters = np.array(permutation)[y_true]
    matching = match_clusters(y_true, clusters)
    assert matching == {permutation[label]: label for label in set(labels)}
    assert (matched_classes(clusters, matching) == y_true).all()


def test_matching_leaves_extra_clusters_and_noise_unmatched():
    y_true = np.array([0, 0, 0, 1, 1, 1, 1])
    y_pred = np.array([4, 4, 9, 2, 2, 9, NOISE_LABEL])  # 9 is half 0, half 1: left over
    assert match_clusters(y_true, y_pred) == {4: 0, 2: 1}
    assert matched_classes(y_pred, {4: 0, 2: 1}).tolist() == [0, 0, NO_CLASS, 1, 1, NO_CLASS, -1]
    assert cluster_accuracy(y_true, y_pred) == pytest.approx(4 / 7)


def test_accuracy_hand_computed():
    assert cluster_accuracy([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 1, 1]) == pytest.approx(5 / 6)
    assert cluster_accuracy([0, 0, 0, 1, 1, 1], [7, 7, 3, 3, 3, 3]) == pytest.approx(5 / 6)


def test_accuracy_more_clusters_than_classes_counts_unmatched_as_wrong():
    # classes 0,1; clusters 0,1,2: only two clusters can be matched, cluster 2's points are wrong.
    assert cluster_accuracy([0, 0, 0, 1, 1, 1], [0, 0, 2, 1, 1, 2]) == pytest.approx(4 / 6)


def test_accuracy_fewer_clusters_than_classes():
    assert cluster_accuracy([0, 1, 2, 2], [0, 0, 0, 0]) == pytest.approx(2 / 4)


def test_noise_always_counts_wrong():
    y = [0, 0, 1, 1]
    assert cluster_accuracy(y, [NOISE_LABEL, 0, 1, 1]) == pytest.approx(3 / 4)
    assert cluster_accuracy(y, [NOISE_LABEL] * 4) == 0.0


def test_nmi_ari_match_sklearn_with_noise_as_a_cluster():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, size=200)
    y_pred = np.where(rng.random(200) < 0.7, y_true, rng.integers(-1, 5, size=200))
    scores = clustering_scores(rng.normal(size=(200, 3)), y_pred, y_true)
    assert scores[NMI] == pytest.approx(normalized_mutual_info_score(y_true, y_pred))
    assert scores[ARI] == pytest.approx(adjusted_rand_score(y_true, y_pred))
    assert scores[ACC] == pytest.approx(cluster_accuracy(y_true, y_pred))
    assert scores[N_CLUSTERS] == 5
    assert scores[NOISE_FRACTION] == pytest.approx(np.mean(y_pred == NOISE_LABEL))


def test_label_metrics_only_with_labels():
    z = np.random.default_rng(0).normal(size=(20, 2))
    assert not set(LABEL_METRICS) & set(clustering_scores(z, np.arange(20) % 2))
    assert set(LABEL_METRICS) <= set(clustering_scores(z, np.arange(20) % 2, np.zeros(20)))


@pytest.mark.parametrize(
    ("y_pred", "note"),
    [
        (np.zeros(10, dtype=int), "fewer than 2 clusters"),
        (np.full(10, NOISE_LABEL), "every point is noise"),
        (np.arange(10), "every point is its own cluster"),
    ],
)
def test_silhouette_none_with_a_note(y_pred, note):
    scores = clustering_scores(np.random.default_rng(0).normal(size=(10, 2)), y_pred)
    assert scores[SILHOUETTE] is None
    assert note in scores[SILHOUETTE_NOTE]


def test_silhouette_ignores_noise_and_is_sampled_with_the_seed():
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(0, 0.1, (500, 2)), rng.normal(5, 0.1, (500, 2))])
    y_pred = np.repeat([0, 1], 500)
    y_pred[::10] = NOISE_LABEL
    a = clustering_scores(z, y_pred, silhouette_max_points=50, seed=3)
    b = clustering_scores(z, y_pred, silhouette_max_points=50, seed=3)
    assert a[SILHOUETTE] == b[SILHOUETTE] > 0.9
    assert SILHOUETTE_NOTE not in a


def test_scores_are_json_serialisable_plain_types():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=50)
    scores = clustering_scores(rng.normal(size=(50, 4)).astype(np.float32), y, y)
    assert json.loads(json.dumps(scores)) == scores
    assert all(type(v) in (int, float, str, type(None)) for v in scores.values())


def test_docstring_examples():
    import doctest

    import genclust.analysis.metrics as metrics

    assert doctest.testmod(metrics).failed == 0
