"""What a run directory holds: every file and folder name, defined once (and cheap to import).

The conf/*.yaml files that place analysis/ and predictions/ folders spell those two out again,
since a config cannot import Python.
"""

from pathlib import Path

CONFIG_FILE = Path(".hydra") / "config.yaml"  # the composed config Hydra saved
CHECKPOINT_DIR = "checkpoints"
CHECKPOINT_FILE = Path(CHECKPOINT_DIR) / "last.ckpt"
METRICS_FILE = "metrics.json"
LATENTS_FILE = "latents.npz"
CLUSTERER_FILE = "clusterer.joblib"  # the fitted estimator, for genclust predict
EMBEDDING_FIGURE = "embedding.png"
CLUSTER_MEMBERS_FIGURE = "clusters.png"  # image data: the members nearest each cluster's centre
CLUSTER_SAMPLES_FIGURE = "cluster_samples.png"  # what VaDE or ClusterGAN generates per cluster
FAILED_FILE = "failed.json"  # written into the dir of a run that failed, with the reason
ANALYSIS_DIR = "analysis"  # <run>/analysis/[<sweep>/]<name>/: re-analyses (genclust cluster)
