"""Does genclust add overhead to training? And how long does the analysis stage take?

Part 1 times one epoch of a VAE on Fashion-MNIST (70k images, batch 256) three ways, with the
same network, loss and in-memory tensor: a hand-written PyTorch loop (shuffled index slices,
Adam); a bare Lightning loop (the same loss in a LightningModule, no logging, no checkpoints, no
progress bar); and genclust's own Trainer set-up from the shipped conf/ (TensorBoard logging,
a checkpoint, progress bar, image grids, NaN guard). It does so for the MLP VAE and for the conv
VAE that image data gets by default, all variants interleaved so that they share the machine's
state, and prints best-of-N wall and CPU seconds with the speed ratios of this run (targets:
genclust >= 0.97 of bare Lightning, >= 0.90 of the hand loop). The spread (slowest / fastest
run - 1) says how noisy the machine was; CPU seconds of a one-thread run (--threads 1) are the
steadier measure on a shared machine.

Part 2 runs the analysis stage on all 70k latent codes: encode, k-means, t-SNE of every point
(target: <= 150 s on 2 cores).

    python scripts/bench_train.py [--repeats 5] [--architectures mlp conv] [--threads N]
                                  [--skip-analysis]

Needs Fashion-MNIST (apt-get install dataset-fashion-mnist, or data.root=<dir with IDX files>).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

import pytorch_lightning as pl
import torch

from genclust.analysis.stage import CodeSet, analyse_codes, plan_analysis
from genclust.commands.training import build_logger, build_trainer
from genclust.config.load import load
from genclust.data import build_datamodule
from genclust.models import build_model
from genclust.models.encode import encode_all
from genclust.models.likelihood import reconstruction_nll
from genclust.models.vae import gaussian_kl

OVERRIDES = [
    "model=vae",
    "data=fashion_mnist",
    "data.batch_size=256",
    "trainer.max_epochs=1",
    "embed=tsne",
    "embed.max_points=null",
]
VARIANTS = ("hand-written loop", "bare Lightning", "genclust")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed epochs per variant")
    parser.add_argument("--architectures", nargs="+", default=["mlp", "conv"])
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    parser.add_argument("--skip-analysis", action="store_true")
    parser.add_argument(
        "--profile", action="store_true", help="then where genclust's epoch spends what it adds"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    configs = {
        a: load("train", [*OVERRIDES, f"model.architecture={a}"]) for a in args.architectures
    }
    cfg = configs[args.architectures[0]]
    datamodule = build_datamodule(cfg.data, seed=0)
    print(
        f"Fashion-MNIST: {datamodule.n_samples} images, batch {cfg.data.batch_size}, torch "
        f"threads {torch.get_num_threads()}, one epoch per timing, best of {args.repeats}, "
        "variants interleaved"
    )

    timings = {(a, v): [] for a in args.architectures for v in VARIANTS}
    models = {}
    with tempfile.TemporaryDirectory() as scratch:
        for repeat in range(args.repeats):
            for architecture, config in configs.items():
                run_dir = Path(scratch) / f"{architecture}{repeat}"
                timings[architecture, VARIANTS[0]].append(_hand_written_epoch(config, datamodule))
                timings[architecture, VARIANTS[1]].append(_bare_lightning_epoch(config, datamodule))
                seconds, models[architecture] = _genclust_epoch(config, datamodule, run_dir)
                timings[architecture, VARIANTS[2]].append(seconds)
        for architecture in args.architectures:
            _print_table(architecture, {v: timings[architecture, v] for v in VARIANTS})
        if args.profile:
            for architecture, config in configs.items():
                _print_profile(architecture, config, datamodule, Path(scratch) / "profiled")

        if not args.skip_analysis:
            model = models[args.architectures[0]]
            _time_analysis(cfg, datamodule, model, Path(scratch) / "analysis")


# What genclust adds around Lightning's loop: its callbacks, its logging and Lightning's own
# callbacks it turns on (checkpoint, progress bar).
ADDED_BY_GENCLUST = ("genclust/commands/", "genclust/models/base.py", "loss_record", "callbacks/")


def _print_profile(architecture: str, cfg, datamodule, run_dir: Path) -> None:
    """cProfile of one more genclust epoch: the cumulative seconds of the hooks genclust adds."""
    profile = cProfile.Profile()
    profile.runcall(_genclust_epoch, cfg, datamodule, run_dir / architecture)
    stats = pstats.Stats(profile).stats
    rows = [
        (cumulative, calls, f"{Path(file).name}:{line}({name})")
        for (file, line, name), (_, calls, _, cumulative, _) in stats.items()
        if any(part in file for part in ADDED_BY_GENCLUST)
        and name.startswith(("on_", "save", "log"))
    ]
    print(f"\n{architecture} VAE, one profiled genclust epoch: hooks genclust adds (cumulative s)")
    for cumulative, calls, where in sorted(rows, reverse=True)[:12]:
        print(f"  {cumulative:7.3f} s  {calls:5d} calls  {where}")
    # Lightning calls every hook of every callback, empty or not: the dispatch is a cost of its own.
    ((_, calls, _, cumulative, _),) = [
        value for (_, _, name), value in stats.items() if name == "_call_callback_hooks"
    ]
    print(
        f"  {cumulative:7.3f} s  {calls:5d} calls  every callback hook, with Lightning's dispatch"
    )


def _timed(epoch) -> tuple[float, float]:
    """Wall and CPU seconds of ``epoch()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    epoch()
    return time.perf_counter() - wall, time.process_time() - cpu


def _print_table(architecture: str, runs: dict[str, list[tuple[float, float]]]) -> None:
    print(f"\n{architecture} VAE      wall s/epoch (best)  CPU s (best)  spread of wall times")
    best = {}
    for name, timings in runs.items():
        walls, cpus = [w for w, _ in timings], [c for _, c in timings]
        best[name] = min(walls), min(cpus)
        spread = max(walls) / min(walls) - 1
        print(f"  {name:<18} {min(walls):10.2f} {min(cpus):17.2f} {spread:16.0%}")
    hand, bare, ours = (best[name] for name in VARIANTS)
    for label, slow, fast, target in (
        ("genclust / bare Lightning", ours, bare, 0.97),
        ("genclust / hand-written  ", ours, hand, 0.90),
        ("bare Lightning / hand    ", bare, hand, None),
    ):
        goal = f"  (target >= {target})" if target else ""
        wall, cpu = fast[0] / slow[0], fast[1] / slow[1]
        print(f"  speed ratio {label}: wall {wall:.3f}, CPU {cpu:.3f}{goal}")


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


def _hand_written_epoch(cfg, datamodule) -> tuple[float, float]:
    """The loop a researcher would write: shuffled index slices, VAE loss, Adam."""
    model = _new_model(cfg, datamodule)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.model.lr)
    beta, batch_size, x_all = cfg.model.beta, cfg.data.batch_size, datamodule.x

    def epoch() -> None:
        order = torch.randperm(len(x_all))
        for index in order.split(batch_size)[: len(x_all) // batch_size]:  # whole batches
            loss = _vae_loss(model, x_all[index], beta)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return _timed(epoch)


class _BareVAE(pl.LightningModule):
    """The hand-written loop's step inside Lightning, with nothing else."""

    def __init__(self, model, beta: float, lr: float) -> None:
        super().__init__()
        self.model, self.beta, self.lr = model, beta, lr

    def training_step(self, x: torch.Tensor, batch_idx: int) -> torch.Tensor:
        return _vae_loss(self.model, x, self.beta)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.lr)


def _bare_lightning_epoch(cfg, datamodule) -> tuple[float, float]:
    module = _BareVAE(_new_model(cfg, datamodule), cfg.model.beta, cfg.model.lr)
    trainer = pl.Trainer(
        max_epochs=1,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    return _timed(lambda: trainer.fit(module, datamodule=datamodule))


def _genclust_epoch(cfg, datamodule, run_dir: Path):
    """genclust's training exactly as `genclust train` sets it up."""
    model = _new_model(cfg, datamodule)
    run_dir.mkdir(parents=True)
    trainer = build_trainer(cfg.trainer, run_dir, build_logger(cfg.logger, run_dir))
    return _timed(lambda: trainer.fit(model, datamodule=datamodule)), model


def _time_analysis(cfg, datamodule, model, out_dir: Path) -> None:
    out_dir.mkdir()
    plan = plan_analysis(cfg.cluster, cfg.embed, datamodule.n_classes, datamodule.n_samples, 0)
    started = time.perf_counter()
    z = encode_all(model, datamodule.ordered_batches(cfg.encode_batch_size))
    encode_seconds = time.perf_counter() - started
    metrics = analyse_codes(CodeSet(z, datamodule.y, datamodule.label_names), plan, out_dir)
    total = time.perf_counter() - started
    stages = "  ".join(f"{k} {v:.1f} s" for k, v in metrics["seconds"].items())
    stages = f"encode {encode_seconds:.1f} s  {stages}"
    print(f"analysis of {metrics['n_samples']} latents (t-SNE of all points): {stages}")
    print(f"analysis total = {total:.1f} s (target <= 150 s)")


if __name__ == "__main__":
    main()
