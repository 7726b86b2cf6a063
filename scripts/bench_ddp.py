"""Training throughput on Fashion-MNIST: 1 vs 2 CPU processes (DDP, gloo), and a GPU if present.

For each set-up `genclust train` runs twice, for 1 and for 3 epochs, and the per-epoch time is
(T3 - T1) / 2, so process start-up, data loading and checkpoints cancel out. With DDP every
process trains on its own half of each epoch, so samples/s per device is the fair comparison.

    python scripts/bench_ddp.py [--model vae] [--architecture mlp]

Needs Fashion-MNIST (apt-get install dataset-fashion-mnist, or data.root=...).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

from genclust.rundir.names import METRICS_FILE

N_TRAIN = 70000  # data=fashion_mnist uses all 70k images


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="vae")
    parser.add_argument("--architecture", default="mlp", help="mlp | conv")
    args = parser.parse_args()
    setups = {"1 CPU process": ["trainer=cpu"], "2 CPU processes (DDP)": ["trainer=ddp_cpu"]}
    if torch.cuda.is_available():
        setups["1 GPU (bf16-mixed)"] = ["trainer=gpu", "trainer.precision=bf16-mixed"]
    common = [
        f"model={args.model}",
        f"model.architecture={args.architecture}",
        "data=fashion_mnist",
        "cluster/manifold=none",
        "cluster.params.n_init=1",
        "embed=none",
        "logger=none",
    ]
    print(f"{'set-up':<24} {'devices':>7} {'s/epoch':>8} {'samples/s':>10} {'per device':>11}")
    with tempfile.TemporaryDirectory() as scratch:
        for name, overrides in setups.items():
            devices = 2 if "2 CPU" in name else 1
            one, three = (
                _fit_seconds(
                    [*common, *overrides, f"trainer.max_epochs={epochs}"],
                    Path(scratch) / f"{devices}{name[:3]}{epochs}",
                )
                for epochs in (1, 3)
            )
            epoch = (three - one) / 2
            rate = N_TRAIN / epoch
            print(f"{name:<24} {devices:>7} {epoch:>8.2f} {rate:>10.0f} {rate / devices:>11.0f}")


def _fit_seconds(overrides: list[str], run_dir: Path) -> float:
    command = [sys.executable, "-m", "genclust", "train", *overrides, f"hydra.run.dir={run_dir}"]
    subprocess.run(command, check=True, capture_output=True)
    return json.loads((run_dir / METRICS_FILE).read_text())["seconds"]["train"]


if __name__ == "__main__":
    main()
