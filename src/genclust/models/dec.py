"""DEC (Xie et al. 2016) and IDEC (Guo et al. 2017): an autoencoder with a clustering layer.

Pretraining trains the autoencoder alone. Then k-means on the codes places K centroids in the
latent space, and training minimises KL(P ‖ Q): Q holds Student-t soft assignments of codes to
centroids, P sharpens Q (squares it, divides by cluster frequency) so confident assignments
pull their codes closer while large clusters cannot swallow small ones. IDEC keeps the decoder's
reconstruction loss beside the KL term so the codes do not drift from the data; DEC is
``reconstruction_weight=0``.

The target P is computed from each batch's own Q (as pt-dec does) rather than from the whole
data set every T steps as the papers do: it needs no second pass over the data and, with
batches of hundreds of samples, the cluster frequencies it divides by are stable.

Two options go beyond the papers. ``init=tsne|umap`` places the centroids N2D's way: a GMM on a
t-SNE or UMAP map of the codes finds the groups, each centroid is the mean code of its group;
the model then assigns new data itself, which N2D cannot. The model knows nothing of manifolds:
whoever builds it hands it that grouping (``group_codes``; the train command builds it from the
analysis' own manifold settings). ``augment=k`` (images) computes Q on
copies shifted by up to k pixels while P comes from the originals, as DEC-DA (Guo et al. 2018):
the encoder learns that a shifted garment is the same garment.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.cluster import KMeans
from torch import nn

from genclust.config.models import DECOptions
from genclust.errors import UserError
from genclust.models.autoencoder import RECONSTRUCTION, Autoencoder
from genclust.models.base import DataFacts
from genclust.models.cluster_model import PretrainedClusters

LOSS = "loss/total"
CLUSTERING = "loss/clustering"  # KL(P ‖ Q), 0 during pretraining
_KMEANS_RESTARTS = 20  # as DEC's authors
# (codes, number of groups, seed) → the group of each code; for init=tsne|umap
GroupCodes = Callable[[np.ndarray, int, int], np.ndarray]


def soft_assignments(z: torch.Tensor, centroids: torch.Tensor, alpha: float) -> torch.Tensor:
    """Q: q_ij ∝ (1 + ‖z_i − μ_j‖² / α)^(−(α+1)/2), each row summing to 1."""
    squared_distances = torch.cdist(z, centroids).pow(2)
    q = (1.0 + squared_distances / alpha).pow(-(alpha + 1.0) / 2.0)
    return q / q.sum(dim=1, keepdim=True)


def target_distribution(q: torch.Tensor) -> torch.Tensor:
    """P: p_ij = (q_ij² / f_j) / Σ_k (q_ik² / f_k), with f_j = Σ_i q_ij the soft cluster size."""
    weight = q.pow(2) / q.sum(dim=0)
    return weight / weight.sum(dim=1, keepdim=True)


def clustering_loss(q: torch.Tensor) -> torch.Tensor:
    """KL(P ‖ Q) summed over clusters, averaged over samples; P is a fixed target (no gradient)."""
    return kl_divergence(target_distribution(q).detach(), q)


def kl_divergence(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """KL(p ‖ q) of row distributions, summed over clusters, averaged over samples."""
    return (p * (p.clamp_min(1e-12).log() - q.clamp_min(1e-12).log())).sum(dim=1).mean()


def random_shift(images: torch.Tensor, max_pixels: int) -> torch.Tensor:
    """Each image of (n, c, h, w) moved by its own whole-pixel offset in [-max_pixels, max_pixels]
    along each axis; what moves in is zero (background)."""
    n, _, height, width = images.shape
    offsets = torch.randint(-max_pixels, max_pixels + 1, (n, 2), device=images.device)
    # affine_grid works in [-1, 1] coordinates: one pixel is 2 / size.
    theta = torch.zeros(n, 2, 3, device=images.device, dtype=images.dtype)
    theta[:, 0, 0] = theta[:, 1, 1] = 1.0
    theta[:, 0, 2] = -2.0 * offsets[:, 0] / width
    theta[:, 1, 2] = -2.0 * offsets[:, 1] / height
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="nearest", align_corners=False)


class DEC(PretrainedClusters, Autoencoder):
    main_loss = LOSS

    def __init__(
        self, options: DECOptions, data: DataFacts, group_codes: GroupCodes | None = None
    ) -> None:
        if options.augment and data.image_shape is None:
            raise UserError("model.augment shifts images; these data are not images: set it to 0")
        super().__init__(options, data)
        self.group_codes = group_codes
        self.centroids = nn.Parameter(torch.zeros(self.n_clusters, options.latent_dim))
        self._values_per_sample = int(np.prod(self.input_shape))

    def cluster_probabilities(self, x: torch.Tensor) -> torch.Tensor:
        return soft_assignments(self.encode(x), self.centroids, self.options.alpha)

    def initialise_clusters(self, codes: torch.Tensor) -> None:
        seed = int(torch.randint(2**31 - 1, ()))  # from the run's seeded RNG: reproducible
        z = codes.cpu().numpy()
        if self.options.init == "kmeans":
            kmeans = KMeans(self.n_clusters, n_init=_KMEANS_RESTARTS, random_state=seed).fit(z)
            centres = kmeans.cluster_centers_
        else:
            centres = self._group_means(z, seed)
        centres = torch.as_tensor(centres, dtype=self.centroids.dtype)
        self.centroids.data.copy_(centres.to(self.centroids.device))

    def _group_means(self, z: np.ndarray, seed: int) -> np.ndarray:
        """The mean code of each group ``group_codes`` finds (init=tsne|umap)."""
        if self.group_codes is None:
            raise RuntimeError(f"DEC with init={self.options.init} was built without group_codes")
        groups = self.group_codes(z, self.n_clusters, seed)
        # A group left empty keeps a centroid at a random code, so K stay in play.
        fallback = z[np.random.default_rng(seed).integers(len(z), size=self.n_clusters)]
        return np.stack(
            [
                z[groups == k].mean(0) if (groups == k).any() else fallback[k]
                for k in range(self.n_clusters)
            ]
        )

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        z = self.encode(batch)
        # Per value, as IDEC's MSE: the weights then mean the same for any data size.
        reconstruction = self.reconstruction_loss(z, batch) / self._values_per_sample
        if self.pretraining:
            clustering = torch.zeros((), device=self.device)
            loss = reconstruction
        else:
            clustering = self._clustering_loss(batch, z)
            loss = (
                self.options.reconstruction_weight * reconstruction
                + self.options.cluster_weight * clustering
            )
        self.log_losses({LOSS: loss, RECONSTRUCTION: reconstruction, CLUSTERING: clustering})
        return loss

    def _clustering_loss(self, batch: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        alpha = self.options.alpha
        if not self.options.augment:
            return clustering_loss(soft_assignments(z, self.centroids, alpha))
        with torch.no_grad():  # the target comes from the unshifted images
            target = target_distribution(soft_assignments(z, self.centroids, alpha))
        shifted = random_shift(batch.reshape(-1, *self.image_shape), self.options.augment)
        q = soft_assignments(self.encode(shifted.reshape(batch.shape)), self.centroids, alpha)
        return kl_divergence(target, q)
