"""Does genclust add overhead to training? And how long does the analysis stage take?

Part 1 times one epoch of an MLP VAE on Fashion-MNIST (70k images, batch 256) twice: through
genclust's own Trainer set-up (the shipped conf/, TensorBoard logger, checkpoints, image grids)
and through a hand-written PyTorch loop over the same in-memory tensor with the same network
and loss. It prints the speed ratio (target: genclust >= 0.95 of the hand loop).

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

import torch
from hydra import compose, initialize_config_module
from omegaconf import OmegaConf

from genclust.analysis.stage import plan_analysis, run_analysis
from genclust.data import build_datamodule
from genclust.models import build_model
from genclust.models.likelihood import reconstruction_nll
from genclust.models.vae import gaussian_kl
from genclust.run_dir import register_resolvers
from genclust.train import build_logger, build_trainer

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
    parser.add_argument("--repeats", type=int, default=2, help="timed epochs per side (best kept)")
    parser.add_argument("--skip-analysis", action="store_true")
    args = parser.parse_args()

    register_resolvers()
    with initialize_config_module("genclust.conf", version_base="1.3"):
        cfg = OmegaConf.to_container(compose("train", overrides=OVERRIDES), resolve=True)
    datamodule = build_datamodule(cfg["data"], seed=0)
    n = datamodule.n_samples
    print(f"Fashion-MNIST: {n} images, batch {cfg['data']['batch_size']}, torch threads "
          f"{torch.get_num_threads()}, one epoch per timing, best of {args.repeats}")

    hand, ours, model = [], [], None
    with tempfile.TemporaryDirectory() as scratch:
        for repeat in range(args.repeats):  # alternate so both sides see the same machine state
            hand.append(_hand_written_epoch(cfg, datamodule))
            seconds, model = _genclust_epoch(cfg, datamodule, Path(scratch) / f"run{repeat}")
            ours.append(seconds)
        hand_rate, our_rate = n / min(hand), n / min(ours)
        print(f"hand-written loop : {min(hand):6.2f} s/epoch  {hand_rate:8.0f} samples/s")
        print(f"genclust (Lightning): {min(ours):6.2f} s/epoch  {our_rate:8.0f} samples/s")
        print(f"speed ratio genclust / hand-written = {our_rate / hand_rate:.3f} (target >= 0.95)")

        if not args.skip_analysis:
            _time_analysis(cfg, datamodule, model, Path(scratch) / "analysis")


def _new_model(cfg, datamodule):
    torch.manual_seed(0)
    return build_model(
        cfg["model"], datamodule.input_shape, datamodule.value_range, datamodule.image_shape
    )


def _hand_written_epoch(cfg, datamodule) -> float:
    """The loop a researcher would write: shuffled index slices, VAE loss, Adam."""
    model = _new_model(cfg, datamodule)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg["model"]["lr"])
    beta, batch_size, x_all = cfg["model"]["beta"], cfg["data"]["batch_size"], datamodule.x
    started = time.perf_counter()
    order = torch.randperm(len(x_all))
    for index in order.split(batch_size)[: len(x_all) // batch_size]:  # drop the partial batch
        x = x_all[index]
        mean, log_var = model.posterior(x)
        z = mean + torch.randn_like(mean) * (0.5 * log_var).exp()
        loss = reconstruction_nll(model.decoder(z), x, model.likelihood) + beta * gaussian_kl(
            mean, log_var
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return time.perf_counter() - started


def _genclust_epoch(cfg, datamodule, run_dir: Path):
    """genclust's training exactly as `genclust train` sets it up."""
    model = _new_model(cfg, datamodule)
    run_dir.mkdir(parents=True)
    trainer = build_trainer(cfg["trainer"], run_dir, build_logger(cfg["logger"]["name"], run_dir))
    started = time.perf_counter()
    trainer.fit(model, datamodule=datamodule)
    return time.perf_counter() - started, model


def _time_analysis(cfg, datamodule, model, out_dir: Path) -> None:
    out_dir.mkdir()
    plan = plan_analysis(cfg["cluster"], cfg["embed"], datamodule.n_classes,
                         datamodule.n_samples, seed=0, encode_batch_size=cfg["encode_batch_size"])
    started = time.perf_counter()
    metrics = run_analysis(model, datamodule, plan, out_dir)
    total = time.perf_counter() - started
    stages = "  ".join(f"{k} {v:.1f} s" for k, v in metrics["seconds"].items())
    print(f"analysis of {metrics['n_samples']} latents (t-SNE of all points): {stages}")
    print(f"analysis total = {total:.1f} s (target <= 150 s)")


if __name__ == "__main__":
    main()
