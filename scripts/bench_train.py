"""Does genclust add overhead to training? And how long does the analysis stage take?

Part 1 times one epoch of an MLP VAE on Fashion-MNIST (70k images, batch 256) three ways, with
the same network, loss and in-memory tensor: a hand-written PyTorch loop (shuffled index slices,
Adam); a bare Lightning loop (the same loss in a LightningModule, no logging, no checkpoints, no
progress bar); and genclust's own Trainer set-up from the shipped conf/ (TensorBoard logging,
checkpoints, progress bar, image grids, NaN guard). It prints the speed ratios (target: genclust
>= 0.95 of the hand loop).

Part 2 runs the analysis stage on all 70k latent codes: encode, k-means, t-SNE of every point
(target: <= 150 s on 2 cores).

    python scripts/bench_train.py [--repeats 2] [--skip-analysis]

Needs Fashion-MNIST (apt-get install dataset-fashion-mnist, or data.root=<dir with IDX files>).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pytorch_lightning as pl
import torch

from genclust.analysis.stage import analyse_codes, plan_analysis
from genclust.commands.training import build_logger, build_trainer
from genclust.config.load import load
from genclust.data import build_datamodule
from genclust.models import build_model
from genclust.models.encode import encode_all
from genclust.models.likelihood import reconstruction_nll
from genclust.models.vae import gaussian_kl

OVERRIDES = [
    "model=vae",
    "model.architecture=mlp",
    "data=fashion_mnist",
    "data.batch_size=256",
    "trainer.max_epochs=1",
    "embed=tsne",
    "embed.max_points=null",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed epochs per side (best kept)")
    parser.add_argument("--skip-analysis", action="store_true")
    args = parser.parse_args()

    cfg = load("train", OVERRIDES)
    datamodule = build_datamodule(cfg.data, seed=0)
    n = datamodule.n_samples
    print(
        f"Fashion-MNIST: {n} images, batch {cfg.data.batch_size}, torch threads "
        f"{torch.get_num_threads()}, one epoch per timing, best of {args.repeats}"
    )

    hand, bare, ours, model = [], [], [], None
    with tempfile.TemporaryDirectory() as scratch:
        for repeat in range(args.repeats):  # interleaved, so all see the same machine state
            hand.append(_hand_written_epoch(cfg, datamodule))
            bare.append(_bare_lightning_epoch(cfg, datamodule))
            seconds, model = _genclust_epoch(cfg, datamodule, Path(scratch) / f"run{repeat}")
            ours.append(seconds)
        for name, seconds in (
            ("hand-written loop", hand),
            ("bare Lightning", bare),
            ("genclust", ours),
        ):
            runs = " ".join(f"{s:.2f}" for s in seconds)
            print(
                f"{name:<17}: best {min(seconds):5.2f} s/epoch  {n / min(seconds):7.0f} "
                f"samples/s  (all runs: {runs})"
            )
        print(f"speed ratio genclust / hand-written = {min(hand) / min(ours):.3f} (target >= 0.95)")
        print(f"speed ratio bare Lightning / hand-written = {min(hand) / min(bare):.3f}")
        print(f"speed ratio genclust / bare Lightning = {min(bare) / min(ours):.3f}")

        if not args.skip_analysis:
            _time_analysis(cfg, datamodule, model, Path(scratch) / "analysis")


def _new_model(cfg, datamodule):
    torch.manual_seed(0)
    return build_model(
        cfg.model, datamodule.input_shape, datamodule.value_range, datamodule.image_shape
    )


def _vae_loss(model, x: torch.Tensor, beta: float) -> torch.Tensor:
    mean, log_var = model.posterior(x)
    z = mean + torch.randn_like(mean) * (0.5 * log_var).exp()
    return reconstruction_nll(model.decoder(z), x, model.likelihood) + beta * gaussian_kl(
        mean, log_var
    )


def _hand_written_epoch(cfg, datamodule) -> float:
    """The loop a researcher would write: shuffled index slices, VAE loss, Adam."""
    model = _new_model(cfg, datamodule)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.model.lr)
    beta, batch_size, x_all = cfg.model.beta, cfg.data.batch_size, datamodule.x
    started = time.perf_counter()
    order = torch.randperm(len(x_all))
    for index in order.split(batch_size)[: len(x_all) // batch_size]:  # drop the partial batch
        loss = _vae_loss(model, x_all[index], beta)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return time.perf_counter() - started


class _BareVAE(pl.LightningModule):
    """The hand-written loop's step inside Lightning, with nothing else."""

    def __init__(self, model, beta: float, lr: float) -> None:
        super().__init__()
        self.model, self.beta, self.lr = model, beta, lr

    def training_step(self, x: torch.Tensor, batch_idx: int) -> torch.Tensor:
        return _vae_loss(self.model, x, self.beta)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.lr)


def _bare_lightning_epoch(cfg, datamodule) -> float:
    module = _BareVAE(_new_model(cfg, datamodule), cfg.model.beta, cfg.model.lr)
    trainer = pl.Trainer(
        max_epochs=1,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    started = time.perf_counter()
    trainer.fit(module, datamodule=datamodule)
    return time.perf_counter() - started


def _genclust_epoch(cfg, datamodule, run_dir: Path):
    """genclust's training exactly as `genclust train` sets it up."""
    model = _new_model(cfg, datamodule)
    run_dir.mkdir(parents=True)
    trainer = build_trainer(cfg.trainer, run_dir, build_logger(cfg.logger, run_dir))
    started = time.perf_counter()
    trainer.fit(model, datamodule=datamodule)
    return time.perf_counter() - started, model


def _time_analysis(cfg, datamodule, model, out_dir: Path) -> None:
    out_dir.mkdir()
    plan = plan_analysis(cfg.cluster, cfg.embed, datamodule.n_classes, datamodule.n_samples, 0)
    started = time.perf_counter()
    z = encode_all(model, datamodule.ordered_batches(cfg.encode_batch_size))
    encode_seconds = time.perf_counter() - started
    metrics = analyse_codes(z, datamodule.y, datamodule.label_names, plan, out_dir)
    total = time.perf_counter() - started
    stages = "  ".join(f"{k} {v:.1f} s" for k, v in metrics["seconds"].items())
    stages = f"encode {encode_seconds:.1f} s  {stages}"
    print(f"analysis of {metrics['n_samples']} latents (t-SNE of all points): {stages}")
    print(f"analysis total = {total:.1f} s (target <= 150 s)")


if __name__ == "__main__":
    main()
