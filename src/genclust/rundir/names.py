"""What a run directory holds: every file and folder name, defined once (and cheap to import).

The conf/*.yaml files that place cluster/ and predict/ folders spell those two out again, since
a config cannot import Python.
"""

import hashlib
import re
import secrets
from pathlib import Path

CONFIG_FILE = Path(".hydra") / "config.yaml"  # the composed config Hydra saved
CHECKPOINT_DIR = "checkpoints"
CHECKPOINT_FILE = Path(CHECKPOINT_DIR) / "last.ckpt"
# The checkpoint last.ckpt replaced: what resume= falls back to when last.ckpt is damaged.
PREVIOUS_CHECKPOINT_FILE = Path(CHECKPOINT_DIR) / "previous.ckpt"
LOCK_FILE = "train.lock"  # held (flock) by the process training the run
METRICS_FILE = "metrics.json"
LATENTS_FILE = "latents.npz"
CLUSTERER_FILE = "clusterer.joblib"  # the fitted estimator, for genclust predict
EMBEDDING_FIGURE = "embedding.png"
CLUSTER_MEMBERS_FIGURE = "clusters.png"  # image data: the members nearest each cluster's centre
CLUSTER_SAMPLES_FIGURE = "cluster_samples.png"  # what VaDE or ClusterGAN generates per cluster
FAILED_FILE = "failed.json"  # written into the dir of a run that failed, with the reason
CLUSTER_DIR = "cluster"  # <run>/cluster/[<sweep>/]<name>/: each `genclust cluster`
PREDICT_DIR = "predict"  # <run>/predict/<name>/: each `genclust predict`


def new_run_id() -> str:
    """A short random id: runs (or sweeps) started in the same second get different dirs."""
    return secrets.token_hex(3)


# Arrays of latents.npz besides z (codes), cluster, y (labels) and the embedding:
MODEL_CLUSTERS_KEY = "model_cluster"  # a cluster-aware model's own assignment

MAX_OVERRIDES_NAME = 120  # characters of a sweep member's dir name its overrides may take
_UNSAFE = re.compile(r"[^A-Za-z0-9._,=+-]")  # a path separator, spaces, quotes, brackets, ...


def member_dir_name(number: int | str, overrides: str | None) -> str:
    """A sweep member's dir name: its number, then its overrides (Hydra's override_dirname).

    The overrides are made safe for any file system and shell (every character but letters,
    digits and ``._,=+-`` becomes ``_``) and cut to MAX_OVERRIDES_NAME characters, the cut
    part replaced by a hash of the whole, so long values still give distinct names. The
    number keeps the sweep's order and keeps names unique.

    >>> member_dir_name(3, "model=gan,seed=0")
    '3_model=gan,seed=0'
    >>> member_dir_name(0, "cluster/manifold=umap,data.path=/tmp/my data.csv")
    '0_cluster_manifold=umap,data.path=_tmp_my_data.csv'
    >>> member_dir_name(1, "")
    '1'
    """
    if not overrides:
        return str(number)
    safe = _UNSAFE.sub("_", overrides)
    if len(safe) > MAX_OVERRIDES_NAME:
        digest = hashlib.sha1(overrides.encode()).hexdigest()[:8]
        safe = f"{safe[: MAX_OVERRIDES_NAME - len(digest) - 1]}_{digest}"
    return f"{number}_{safe}"
