"""What every genclust model shares: its options and data facts, the ``encode(x) → z`` contract,
loss logging with a NaN guard, and its random streams: one per DDP process, saved in its
checkpoints."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch

from genclust.config.models import ModelOptions
from genclust.models.loss_record import LossRecord

RNG_STATE = "genclust_rng_state"
STEP_SUFFIX = "_step"  # a loss's tag per step is <name>_step, its epoch mean <name>_epoch
EPOCH_SUFFIX = "_epoch"
OPTIONS, DATA = "options", "data"  # a checkpoint's hyper_parameters: {"options": ..., "data": ...}


@dataclass(frozen=True)
class DataFacts:
    """What a model learns from its data, never from the user's config.

    ``value_range`` is "unit" when every value lies in [0, 1], else "real"; ``image_shape`` is
    (C, H, W) when samples can be drawn as images; ``n_classes`` is None without labels.
    """

    input_shape: tuple[int, ...]
    value_range: str
    image_shape: tuple[int, ...] | None = None
    n_classes: int | None = None

    def __post_init__(self) -> None:  # lists (from a checkpoint or a caller) become tuples
        object.__setattr__(self, "input_shape", tuple(self.input_shape))
        if self.image_shape is not None:
            object.__setattr__(self, "image_shape", tuple(self.image_shape))


class GenerativeModel(pl.LightningModule):
    """Base of every model: ``Model(options, data)``. Subclasses implement ``encode`` and
    ``training_step``, and may offer ``reconstruct`` and ``sample``.

    Every TensorBoard point sits at the number of training batches done when it was measured
    (``global_step``, which counts batches for every model): a batch's losses at the step it
    starts from, epoch means at the step the epoch ends on.
    """

    main_loss: str  # the loss shown in the progress bar
    # True when a backward pass leaves some parameters without gradient (a GAN's two players
    # take turns), which DistributedDataParallel must be told about.
    leaves_parameters_unused = False

    def __init__(self, options: ModelOptions, data: DataFacts) -> None:
        super().__init__()
        self.options = options
        self.facts = data
        # Plain values only, so checkpoints load with torch.load(weights_only=True).
        self.save_hyperparameters(
            {OPTIONS: options.model_dump(mode="json"), DATA: asdict(data)}, logger=False
        )
        self.automatic_optimization = not options.steps_own_optimizers
        self._losses = LossRecord()
        self._batch_step = 0
        self.progress_losses: dict[str, float] = {}  # the last logged step's main loss

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.facts.input_shape

    @property
    def value_range(self) -> str:
        return self.facts.value_range

    @property
    def image_shape(self) -> tuple[int, ...] | None:
        return self.facts.image_shape

    @property
    def assigns_clusters(self) -> bool:
        """True for cluster-aware models (models/cluster_model.py); cluster=model uses them."""
        return self.options.assigns_clusters

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Latent code of each sample (deterministic: the posterior mean for a VAE)."""
        raise NotImplementedError

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor | None:
        """x mapped through the model, as data; None for models that cannot reconstruct."""
        return None

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor | None:
        """n new samples from the model, as data; None for models that cannot generate."""
        return None

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        # A model stepping its own optimizers has counted this batch by the time it logs.
        self._batch_step = self.global_step

    def log_losses(self, losses: Mapping[str, torch.Tensor]) -> None:
        """Record this step's losses; the run stops when one is not finite (see LossRecord).

        Lightning's ``self.log`` does much work a call (checks, device moves, its result
        collection), which a small model's step would pay at every step. So
        every ``log_every_n_steps`` steps the step's values go straight to the logger and to
        ``progress_losses`` (which the progress bar shows), and the epoch means reach
        ``self.log`` once per epoch.
        """
        self._losses.add(self._batch_step, losses)
        if self._batch_step % self.trainer.log_every_n_steps == 0:
            latest = self._losses.settle(self.current_epoch)
            self.progress_losses = {self.main_loss + STEP_SUFFIX: latest[self.main_loss]}
            if self.logger is not None:
                named = {name + STEP_SUFFIX: value for name, value in latest.items()}
                self.logger.log_metrics(named, self._batch_step)

    def on_train_epoch_start(self) -> None:
        self._losses = LossRecord()

    def on_train_epoch_end(self) -> None:
        means = self._losses.epoch_means(self.current_epoch)
        if not means:
            return
        if self.trainer.world_size > 1:  # every process took as many steps: the mean of means
            local = torch.tensor(list(means.values()), device=self.device)
            synced = self.trainer.strategy.reduce(local, reduce_op="mean")
            means = dict(zip(means, synced.tolist(), strict=True))
        named = {name + EPOCH_SUFFIX: value for name, value in means.items()}
        if self.logger is not None:  # at the step the epoch ends on, as its image grids
            self.logger.log_metrics({**named, "epoch": self.current_epoch}, self.global_step)
        # For the progress bar and trainer.callback_metrics (the run's final losses); already
        # the same on every process, which sync_dist (a no-op on equal values) tells Lightning.
        main = self.main_loss + EPOCH_SUFFIX
        once = {"on_step": False, "on_epoch": True, "logger": False, "sync_dist": True}
        self.log(main, named.pop(main), prog_bar=True, **once)
        self.log_dict(named, **once)

    def setup(self, stage: str) -> None:
        # Every DDP process was seeded alike, so each built the same weights. From here on each
        # draws its own noise (a GAN's z, a VAE's reparameterisation, DEC's shifts): with one
        # stream, every process would feed the same noise to its own shard of the data.
        if self.trainer.world_size > 1:
            torch.manual_seed(process_seed(torch.initial_seed(), self.global_rank))

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # Lightning keeps no RNG state; without it a resumed run would draw other noise. Only
        # rank 0 writes the file, so it gathers every process's state (saving is collective).
        state = {"cpu": torch.get_rng_state()}
        device = self.trainer.strategy.root_device
        if device.type == "cuda":
            state["cuda"] = torch.cuda.get_rng_state(device)
        states = [state]
        if self.trainer.world_size > 1:
            states = [None] * self.trainer.world_size
            torch.distributed.all_gather_object(states, state)
        checkpoint[RNG_STATE] = states

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        states = checkpoint.get(RNG_STATE)
        if isinstance(states, torch.Tensor):  # written before states were kept per process
            states = [{"cpu": states}]
        if not states or self.global_rank >= len(states):
            return  # a process the run did not have keeps the stream setup() gave it
        state = states[self.global_rank]
        torch.set_rng_state(state["cpu"])
        device = self.trainer.strategy.root_device
        if "cuda" in state and device.type == "cuda":
            torch.cuda.set_rng_state(state["cuda"], device)


def process_seed(seed: int, rank: int) -> int:
    """Process ``rank``'s seed under DDP: (seed, rank) mixed, so nearby pairs give unrelated
    streams (torch.manual_seed takes 64 bits)."""
    state = np.random.SeedSequence([seed % 2**64, rank]).generate_state(1, np.uint64)
    return int(state[0])
