"""The cluster command: re-run the analysis stage of a finished run with other settings.

It reads the run's saved codes (or re-encodes its data with the run's checkpoint when the
analysis never finished) and its own saved config, so nothing is recomposed by hand and
nothing is retrained; results go to a new folder under ``<run>/analysis/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from genclust.analysis.encode import encode_and_assign
from genclust.analysis.stage import analyse_codes, format_metrics_table, plan_analysis
from genclust.data import build_datamodule
from genclust.errors import UserError
from genclust.layout import CHECKPOINT_DIR
from genclust.runs import DATAMODULE_STATE, Codes, FinishedRun
from genclust.train import build_logger


def reanalyse(cfg: DictConfig) -> dict[str, Any]:
    """Cluster, score and map the codes of the run ``cfg.run``; return the new metrics."""
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    options = OmegaConf.to_container(cfg, resolve=True)
    run = FinishedRun.open(options["run"])
    seed = options["seed"] if options["seed"] is not None else run.config["seed"]
    codes = _saved_or_recomputed_codes(run)
    n_classes = None if codes.y is None else len(np.unique(codes.y))
    plan = plan_analysis(options["cluster"], options["embed"], n_classes, len(codes.z), seed)
    hparams = {**run.config, "cluster": options["cluster"], "embed": options["embed"], "seed": seed}
    metrics = analyse_codes(
        codes.z,
        codes.y,
        codes.label_names,
        plan,
        out_dir,
        build_logger(options["logger"]["name"], out_dir),
        hparams=hparams,
        extra={"run": str(run.path)},
        model_clusters=codes.model_clusters,
    )
    print(f"\nanalysis dir: {out_dir}\n{format_metrics_table(metrics)}")
    return metrics


def _saved_or_recomputed_codes(run: FinishedRun) -> Codes:
    try:
        return run.codes()
    except UserError:
        if not (run.path / CHECKPOINT_DIR).is_dir():
            raise
    checkpoint = run.checkpoint()  # the run died in its analysis stage: encode again
    scaling = checkpoint.get(DATAMODULE_STATE, {}).get("scaling")
    datamodule = build_datamodule(run.config["data"], run.config["seed"], scaling=scaling)
    z, model_clusters = encode_and_assign(
        run.model(checkpoint), datamodule, run.config["encode_batch_size"]
    )
    return Codes(z, datamodule.y, datamodule.label_names, model_clusters)
