"""What every genclust model shares: the ``encode(x) → z`` contract, loss logging, image grids."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.loggers import TensorBoardLogger

from genclust.errors import UserError
from genclust.models.image_grid import image_grid

RECONSTRUCTION_GRID = "images/reconstruction"  # TensorBoard tags of the per-epoch image grids
SAMPLE_GRID = "images/samples"
_GRID_SIZE = 32
RNG_STATE = "genclust_rng_state"
STEP_SUFFIX = "_step"  # a loss's tag per step is <name>_step, its epoch mean <name>_epoch
EPOCH_SUFFIX = "_epoch"


class NonFiniteLossError(UserError):
    """A loss became NaN or infinite: training stops; what was logged so far stays."""


class GenerativeModel(pl.LightningModule):
    """Base of every model. Subclasses implement ``encode`` and ``training_step``.

    ``input_shape``, ``value_range`` and ``image_shape`` come from the data, not the user's
    config, so a model always fits the data it is trained on.
    """

    main_loss: str  # the loss shown in the progress bar
    # True when a backward pass leaves some parameters without gradient (a GAN's two players
    # take turns), which DistributedDataParallel must be told about.
    leaves_parameters_unused = False
    # True for cluster-aware models (models/cluster_model.py), whose ``cluster_assign`` gives
    # each sample its cluster; cluster=model uses it.
    assigns_clusters = False

    def __init__(
        self,
        input_shape: Sequence[int],
        value_range: str,
        image_shape: Sequence[int] | None = None,
    ) -> None:
        super().__init__()
        self.input_shape = tuple(input_shape)
        self.value_range = value_range
        self.image_shape = tuple(image_shape) if image_shape else None
        self._epoch_batches = 0

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Latent code of each sample (deterministic: the posterior mean for a VAE)."""
        raise NotImplementedError

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor | None:
        """x mapped through the model, as data; None for models that cannot reconstruct."""
        return None

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor | None:
        """n new samples from the model, as data; None for models that cannot generate."""
        return None

    def log_losses(self, losses: Mapping[str, torch.Tensor], batch_idx: int) -> None:
        """Record this step's losses; stop the run when one is not finite.

        Lightning's ``self.log`` costs about 1.8 ms a call on the CPU, a third of a small
        model's whole step. So step values go straight to the logger every
        ``log_every_n_steps`` batches (the progress bar gets the main loss then), and epoch
        means are summed here and handed to ``self.log`` once per epoch.
        """
        values = torch.stack([value.detach() for value in losses.values()])
        finite = torch.isfinite(values)
        if not finite.all():
            name, value = list(losses.items())[int((~finite).nonzero()[0])]
            raise NonFiniteLossError(
                f"{name} became {value.item()} at step {self.global_step} "
                f"(epoch {self.current_epoch}); try a lower model.lr. Logs so far are kept."
            )
        self._loss_names = list(losses)
        self._epoch_loss_sum = values if self._epoch_batches == 0 else self._epoch_loss_sum + values
        self._epoch_batches += 1
        if batch_idx % self.trainer.log_every_n_steps == 0:
            named = self._named(values, STEP_SUFFIX)
            if self.logger is not None:
                self.logger.log_metrics({k: v.item() for k, v in named.items()}, self.global_step)
            main = self.main_loss + STEP_SUFFIX
            self.log(main, named[main], on_step=True, on_epoch=False, prog_bar=True, logger=False)

    def on_train_epoch_start(self) -> None:
        self._epoch_batches = 0

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # Lightning keeps no RNG state; without it a resumed run would draw other noise.
        checkpoint[RNG_STATE] = torch.get_rng_state()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        if RNG_STATE in checkpoint:
            torch.set_rng_state(checkpoint[RNG_STATE])

    def on_train_epoch_end(self) -> None:
        if self._epoch_batches:
            means = self._named(self._epoch_loss_sum / self._epoch_batches, EPOCH_SUFFIX)
            main = self.main_loss + EPOCH_SUFFIX
            self.log(main, means.pop(main), on_step=False, on_epoch=True, prog_bar=True)
            self.log_dict(means, on_step=False, on_epoch=True)
        self._log_image_grids()

    def _named(self, values: torch.Tensor, suffix: str) -> dict[str, torch.Tensor]:
        return {name + suffix: value for name, value in zip(self._loss_names, values, strict=True)}

    def _log_image_grids(self) -> None:
        if self.image_shape is None or not isinstance(self.logger, TensorBoardLogger):
            return
        datamodule = self.trainer.datamodule
        x = datamodule.x[:_GRID_SIZE].to(self.device)
        was_training = self.training
        self.eval()
        with torch.no_grad():
            # The same noise every epoch, from its own generator: the grid shows progress, and
            # drawing it leaves the training RNG alone (so resumed runs match uninterrupted ones).
            noise = torch.Generator().manual_seed(0)
            grids = {
                RECONSTRUCTION_GRID: self.reconstruct(x),
                SAMPLE_GRID: self.sample(_GRID_SIZE, generator=noise),
            }
        self.train(was_training)
        for tag, images in grids.items():
            if images is not None:
                self._add_image_grid(tag, images)

    def _add_image_grid(self, tag: str, images: torch.Tensor) -> None:
        images = images.detach().float().cpu().reshape(-1, *self.image_shape)
        if self.value_range != "unit":  # standardised data: stretch to [0, 1] for display
            images = (images - images.min()) / (images.max() - images.min()).clamp_min(1e-8)
        grid = image_grid(images.clamp(0, 1), nrow=8)
        self.logger.experiment.add_image(tag, grid, self.current_epoch)
