"""``genclust train`` with a probe in every training process: what each one drew and held.

Run as ``DDP_PROBE_DIR=<dir> python tests/ddp_probe.py train <arguments...>`` (the directory
goes by the environment, which every process inherits; the CLI hands Lightning the command
alone to start the others with). Lightning's DDP starts the other processes by running this
script again (``ddp``) or unpickles the trainer into fresh interpreters that import it
(``ddp_spawn``); either way the patches below are in place in every process, and each process
writes ``<dir>/rank<r>.json`` when training ends:

- ``noise``: per epoch, a digest of the next numbers its torch RNG would draw at the epoch's
  first batch, i.e. the noise it feeds the model next (a GAN's z, a VAE's ε, DEC's shifts);
- ``weights``: per epoch, a digest of every parameter and buffer at that first batch (VaDE's
  and DEC's clusters included, once set);
- ``local_means``: per epoch, its own epoch means of the losses, before any synchronisation;
- ``synced``: the epoch means Lightning holds at the end (``trainer.callback_metrics``).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import pytorch_lightning as pl
import torch

import genclust.commands.train as train_command
from genclust import cli
from genclust.models.loss_record import LossRecord

PROBE_DIR_VARIABLE = "DDP_PROBE_DIR"
LOCAL_MEANS: list[dict[str, float]] = []


def _digest(tensors) -> str:
    sha = hashlib.sha256()
    for tensor in tensors:
        sha.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return sha.hexdigest()[:16]


class Probe(pl.Callback):
    def __init__(self) -> None:
        self.noise: list[str] = []
        self.weights: list[str] = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if batch_idx != 0:
            return
        upcoming = torch.Generator().set_state(torch.get_rng_state())
        self.noise.append(_digest([torch.randn(64, generator=upcoming)]))
        self.weights.append(_digest(pl_module.state_dict().values()))

    def on_train_end(self, trainer, pl_module) -> None:
        record = {
            "noise": self.noise,
            "weights": self.weights,
            "local_means": LOCAL_MEANS,
            "synced": {name: float(value) for name, value in trainer.callback_metrics.items()},
        }
        probe_dir = Path(os.environ[PROBE_DIR_VARIABLE])
        probe_dir.mkdir(parents=True, exist_ok=True)
        (probe_dir / f"rank{trainer.global_rank}.json").write_text(json.dumps(record))


def _recording_epoch_means(original):
    def epoch_means(self, epoch):
        means = original(self, epoch)
        LOCAL_MEANS.append(means)
        return means

    return epoch_means


def _probed_trainer(original):
    def build_trainer(*args, **kwargs):
        trainer = original(*args, **kwargs)
        trainer.callbacks.append(Probe())
        return trainer

    return build_trainer


# Only in the processes of a probed run (ddp_spawn's workers import this module too), never when
# pytest imports it to collect doctests.
if PROBE_DIR_VARIABLE in os.environ:
    LossRecord.epoch_means = _recording_epoch_means(LossRecord.epoch_means)
    train_command.build_trainer = _probed_trainer(train_command.build_trainer)

if __name__ == "__main__":
    cli.main(sys.argv[1:])
