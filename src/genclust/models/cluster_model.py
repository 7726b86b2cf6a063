"""Cluster-aware models: a generative model that also assigns each sample to one of K clusters.

``cluster=model`` uses ``cluster_assign``; any other clusterer still works on ``encode``.
VaDE and DEC/IDEC share a schedule (``PretrainedClusters``): an autoencoder's reconstruction
loss for ``pretrain_epochs`` epochs, then the cluster parameters are set once from the codes of
the whole data set, then the clustering objective trains. ClusterGAN's clusters train from the
start.
"""

from __future__ import annotations

import pytorch_lightning as pl
import torch

from genclust.config.models import ClusterModelOptions
from genclust.errors import UserError
from genclust.models.base import DataFacts
from genclust.models.encode import encode_all
from genclust.models.encoder_decoder import EncoderDecoder

_INIT_BATCH = 4096  # samples encoded at a time when the clusters are initialised


class ClusterModel(EncoderDecoder):
    """Base of models with their own clusters. Subclasses implement ``cluster_probabilities``."""

    def __init__(self, options: ClusterModelOptions, data: DataFacts) -> None:
        if options.n_clusters is None and data.n_classes is None:
            raise UserError(
                f"model={options.name} needs a number of clusters: set model.n_clusters"
            )
        super().__init__(options, data)

    @property
    def n_clusters(self) -> int:
        """``model.n_clusters``, or the data's number of classes where that is null."""
        return self.options.n_clusters or self.facts.n_classes

    def cluster_probabilities(self, x: torch.Tensor) -> torch.Tensor:
        """(n, n_clusters) probabilities of each sample's cluster, rows summing to 1."""
        raise NotImplementedError

    def cluster_assign(self, x: torch.Tensor) -> torch.Tensor:
        """The most probable cluster of each sample (int64)."""
        return self.cluster_probabilities(x).argmax(dim=1)


class PretrainedClusters(ClusterModel):
    """Clusters set from the pretrained codes. Subclasses implement ``initialise_clusters``."""

    # Pretraining leaves the cluster parameters without gradient, which DDP must be told.
    leaves_parameters_unused = True

    def __init__(self, options: ClusterModelOptions, data: DataFacts) -> None:
        super().__init__(options, data)
        # A buffer, so a resumed run knows its clusters were already set.
        self.register_buffer("clusters_initialised", torch.tensor(False))

    @property
    def pretraining(self) -> bool:
        return self.current_epoch < self.options.pretrain_epochs

    def initialise_clusters(self, codes: torch.Tensor) -> None:
        """Set the cluster parameters from the codes of all samples after pretraining."""
        raise NotImplementedError

    def on_train_epoch_start(self) -> None:
        super().on_train_epoch_start()
        if not self.pretraining:
            self._initialise_once()

    def on_train_epoch_end(self) -> None:
        super().on_train_epoch_end()
        # The epoch's checkpoint is written right after this hook. A run that stops with it
        # inside pretraining (max_steps, max_time) sets its clusters from the pretrained codes
        # now, so that the checkpoint (predict, re-encoding) holds them too.
        if _training_stops(self.trainer):
            self._initialise_once()

    def _initialise_once(self) -> None:
        """Set the clusters on rank 0 and give every DDP process rank 0's: each process draws
        its own random numbers (and a GPU's encoding need not be bit-equal on another GPU), so
        fits of their own could differ, and DDP keeps only gradients in step, not parameters."""
        if self.clusters_initialised:
            return
        if self.global_rank == 0:
            batches = self.trainer.datamodule.ordered_batches(_INIT_BATCH)
            self.initialise_clusters(torch.from_numpy(encode_all(self, batches)))
        self.clusters_initialised.fill_(True)
        if self.trainer.world_size > 1:
            with torch.no_grad():
                for tensor in (*self.parameters(), *self.buffers()):
                    torch.distributed.broadcast(tensor, src=0)


def _training_stops(trainer: pl.Trainer) -> bool:
    """Whether fitting ends with the epoch now ending, as Lightning's fit loop decides right
    after the epoch's checkpoint (max_time and early stopping set ``should_stop``)."""
    epochs_done = trainer.current_epoch + 1  # the ending epoch counts already
    return (
        trainer.should_stop
        or 0 <= trainer.max_steps <= trainer.global_step
        or (trainer.max_epochs not in (None, -1) and epochs_done >= trainer.max_epochs)
    )
