"""Cluster-aware models: a generative model that also assigns each sample to one of K clusters.

VaDE, DEC/IDEC and ClusterGAN share a shape: an optional pretraining phase (an autoencoder's
reconstruction loss for ``pretrain_epochs`` epochs), then the cluster parameters are set once
from the codes of the whole data set (k-means or a GMM), then the clustering objective trains.
This base runs that schedule; a subclass says what each phase optimises and how the clusters
start. ``cluster=model`` uses ``cluster_assign``; any other clusterer still works on ``encode``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from genclust.models.base import GenerativeModel

_INIT_BATCH = 4096  # samples encoded at a time when the clusters are initialised


class ClusterModel(GenerativeModel):
    """Base of models with their own clusters. Subclasses implement ``cluster_probabilities``
    and ``initialise_clusters`` (unless their clusters train from the start)."""

    assigns_clusters = True
    # Pretraining leaves the cluster parameters without gradient, which DDP must be told.
    leaves_parameters_unused = True
    # False for models whose clusters train from the start (ClusterGAN): no initialising pass.
    clusters_start_from_codes = True

    def __init__(
        self,
        input_shape: Sequence[int],
        value_range: str,
        image_shape: Sequence[int] | None,
        n_clusters: int,
        pretrain_epochs: int,
    ) -> None:
        super().__init__(input_shape, value_range, image_shape)
        self.n_clusters = n_clusters
        self.pretrain_epochs = pretrain_epochs
        # A buffer, so a resumed run knows its clusters were already set.
        self.register_buffer("clusters_initialised", torch.tensor(False))

    @property
    def pretraining(self) -> bool:
        return self.current_epoch < self.pretrain_epochs

    def cluster_probabilities(self, x: torch.Tensor) -> torch.Tensor:
        """(n, n_clusters) probabilities of each sample's cluster, rows summing to 1."""
        raise NotImplementedError

    def cluster_assign(self, x: torch.Tensor) -> torch.Tensor:
        """The most probable cluster of each sample (int64)."""
        return self.cluster_probabilities(x).argmax(dim=1)

    def initialise_clusters(self, codes: torch.Tensor) -> None:
        """Set the cluster parameters from the codes of all samples after pretraining
        (models with ``clusters_start_from_codes``)."""
        raise NotImplementedError

    def on_train_epoch_start(self) -> None:
        super().on_train_epoch_start()
        if self.current_epoch >= self.pretrain_epochs:
            # Every process encodes the same data and seeds the same fit, so DDP ranks agree.
            self._initialise_once()

    def on_train_end(self) -> None:
        # Training stopped inside pretraining (max_steps, Ctrl-C): set the clusters from the
        # pretrained codes, so the run still ends with a valid assignment.
        self._initialise_once()

    def _initialise_once(self) -> None:
        if self.clusters_start_from_codes and not self.clusters_initialised:
            self.initialise_clusters(self.encode_training_data())
            self.clusters_initialised.fill_(True)

    def encode_training_data(self) -> torch.Tensor:
        """``encode`` of every training sample, in order, without gradients."""
        x = self.trainer.datamodule.x
        was_training = self.training
        self.eval()
        with torch.no_grad():
            codes = [
                self.encode(x[i : i + _INIT_BATCH].to(self.device))
                for i in range(0, len(x), _INIT_BATCH)
            ]
        self.train(was_training)
        return torch.cat(codes)
