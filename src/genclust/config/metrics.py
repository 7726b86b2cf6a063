"""Metric names, defined once: the analysis writes them, the report ranks by them, a sweep
optimises one of them (``objective``), and each says which way is better.

No heavy imports here: the command line validates ``objective`` before loading torch.
"""

ACC = "acc"
NMI = "nmi"
ARI = "ari"
SILHOUETTE = "silhouette"
SILHOUETTE_NOTE = "silhouette_note"
# Label-free and comparable across models: measured on the data (genclust.analysis.label_free),
# not in each run's own latent space. Both are higher-is-better.
KNN_MODULARITY = "knn_modularity"  # of the clusters in the data's k-nearest-neighbour graph
SILHOUETTE_DATA = "silhouette_data"  # silhouette of the clusters in the standardised data
N_CLUSTERS = "n_clusters"
NOISE_FRACTION = "noise_fraction"
TRAIN_SECONDS = "seconds.train"  # wall times, as dotted keys of metrics.json's "seconds"
TOTAL_SECONDS = "seconds.total"  # the report's sum of every stage's time
LABEL_METRICS = (ACC, NMI, ARI)
LABEL_FREE_METRICS = (KNN_MODULARITY, SILHOUETTE_DATA)
# What ranks runs when there are no labels: of the label-free scores, the one that ranked
# runs most as ACC does (scripts/bench_objectives.py; the README has its figures).
DEFAULT_LABEL_FREE = KNN_MODULARITY
LOWER_IS_BETTER = frozenset({NOISE_FRACTION, N_CLUSTERS, TRAIN_SECONDS, TOTAL_SECONDS})


def direction(metric: str) -> str:
    """``minimize`` or ``maximize``: how a sweeper should treat ``metric``.

    >>> direction("acc"), direction("noise_fraction")
    ('maximize', 'minimize')
    """
    return "minimize" if metric in LOWER_IS_BETTER else "maximize"


# What a run can return to a sweeper (``objective=``): every number metrics.json always has,
# or has whenever the data have labels.
OBJECTIVES = (ACC, NMI, ARI, *LABEL_FREE_METRICS, SILHOUETTE, N_CLUSTERS, NOISE_FRACTION)
