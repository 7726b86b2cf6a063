"""What a run directory holds: every file and folder name, defined once (and cheap to import).

The conf/*.yaml files that place cluster/ and predict/ folders spell those two out again, since
a config cannot import Python.
"""

import secrets
from pathlib import Path

CONFIG_FILE = Path(".hydra") / "config.yaml"  # the composed config Hydra saved
CHECKPOINT_DIR = "checkpoints"
CHECKPOINT_FILE = Path(CHECKPOINT_DIR) / "last.ckpt"
# The checkpoint last.ckpt replaced: what resume= falls back to when last.ckpt is damaged.
PREVIOUS_CHECKPOINT_FILE = Path(CHECKPOINT_DIR) / "previous.ckpt"
LOCK_FILE = "train.lock"  # held (flock) by the process training the run
TENSORBOARD_DIR = "tensorboard"
METRICS_FILE = "metrics.json"
LATENTS_FILE = "latents.npz"
CLUSTERER_FILE = "clusterer.joblib"  # the fitted estimator, for genclust predict
EMBEDDING_FIGURE = "embedding.png"
FAILED_FILE = "failed.json"  # written into the dir of a run that failed, with the reason
CLUSTER_DIR = "cluster"  # <run>/cluster/[<sweep>/]<name>/: each `genclust cluster`
PREDICT_DIR = "predict"  # <run>/predict/<name>/: each `genclust predict`


def new_run_id() -> str:
    """A short random id: runs (or sweeps) started in the same second get different dirs."""
    return secrets.token_hex(3)


# Arrays of latents.npz besides z (codes), cluster, y (labels) and the embedding:
MODEL_CLUSTERS_KEY = "model_cluster"  # a cluster-aware model's own assignment
