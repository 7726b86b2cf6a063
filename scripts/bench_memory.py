"""Peak memory of `genclust train` on a `.npy` file larger than it should hold: data.mmap.

Writes a float32 `.npy` of Gaussian clusters (at least --gb GB, with a labels file) into a
temporary folder, trains a small autoencoder on it for --steps steps through the real
`genclust train` (a child process, so that the peak resident memory measured is the run's own),
which then encodes every sample and clusters the codes (k-means fitted on a sample). Prints the
file size, the run's peak RSS and their ratio, then deletes the files.

    python scripts/bench_memory.py [--gb 4] [--mmap auto] [--steps 200]

`--mmap false` loads the file whole instead, for comparison (needs about twice the file size
in free memory). The disk must hold the file: the script checks before writing.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from genclust.rundir.names import METRICS_FILE

FEATURES = 1024  # 4 KiB per float32 row: one memory page
CLASSES = 10
ROWS_PER_WRITE = 16384  # rows generated and written at a time (64 MiB)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gb", type=float, default=4.0, help="file size in GB (10^9 bytes)")
    parser.add_argument("--mmap", default="auto", help="data.mmap: auto | true | false")
    parser.add_argument("--steps", type=int, default=200, help="trainer.max_steps")
    parser.add_argument("--dir", default=None, help="where to write the file (default: a temp dir)")
    args = parser.parse_args()
    rows = int(np.ceil(args.gb * 1e9 / (4 * FEATURES)))
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="genclust_bench_memory_") as scratch:
        folder = Path(scratch)
        _check_disk(folder, rows * FEATURES * 4)
        started = time.perf_counter()
        x_path, y_path = _write_clusters(folder, rows)
        print(f"wrote {rows:,} x {FEATURES} float32 in {time.perf_counter() - started:.0f} s")
        run_dir = folder / "run"
        started = time.perf_counter()
        _train(x_path, y_path, run_dir, args.mmap, args.steps)
        wall = time.perf_counter() - started
        metrics = json.loads((run_dir / METRICS_FILE).read_text())
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # Linux: KiB
        size = x_path.stat().st_size
    print(f"data.mmap={args.mmap}, model=ae, trainer.max_steps={args.steps}")
    print(f"{'file size':<26} {size / 1e9:8.2f} GB")
    print(f"{'peak RSS of the run':<26} {peak / 1e9:8.2f} GB")
    print(f"{'peak RSS / file size':<26} {peak / size:8.2f}")
    seconds = metrics["seconds"]
    print(
        f"{'wall time':<26} {wall:8.0f} s (train {seconds['train']:.0f} s, "
        f"encode {seconds['encode']:.0f} s, {metrics['steps']} steps, "
        f"{metrics['n_samples']:,} samples encoded, ACC {metrics['acc']:.3f})"
    )


def _check_disk(folder: Path, needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if free < needed * 1.2:
        sys.exit(f"{folder} has {free / 1e9:.1f} GB free; the file needs {needed / 1e9:.1f} GB")


def _write_clusters(folder: Path, rows: int) -> tuple[Path, Path]:
    """x.npy: CLASSES Gaussian clusters in FEATURES dimensions, written block by block (this
    process never holds more than one block); y.npy: their labels."""
    rng = np.random.default_rng(0)
    centres = rng.normal(0.0, 1.0, (CLASSES, FEATURES)).astype(np.float32)
    labels = rng.integers(0, CLASSES, rows)
    x_path, y_path = folder / "x.npy", folder / "y.npy"
    with x_path.open("wb") as handle:
        header = {"descr": "<f4", "fortran_order": False, "shape": (rows, FEATURES)}
        np.lib.format.write_array_header_1_0(handle, header)
        for start in range(0, rows, ROWS_PER_WRITE):
            block = labels[start : start + ROWS_PER_WRITE]
            noise = rng.standard_normal((len(block), FEATURES), dtype=np.float32)
            handle.write((centres[block] + 2.0 * noise).tobytes())
    np.save(y_path, labels)
    return x_path, y_path


def _train(x_path: Path, y_path: Path, run_dir: Path, mmap: str, steps: int) -> None:
    command = [
        sys.executable,
        "-m",
        "genclust",
        "train",
        "data=npy",
        f"data.path={x_path}",
        f"data.labels_path={y_path}",
        f"data.mmap={mmap}",
        "model=ae",
        "model.hidden_dims=[64]",
        "model.latent_dim=8",
        f"trainer.max_steps={steps}",
        "trainer.enable_progress_bar=false",
        "cluster/manifold=none",
        "cluster.fit_max_points=5000",
        "cluster.params.n_init=1",
        "embed=none",
        "logger=none",
        f"hydra.run.dir={run_dir}",
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"genclust train failed ({result.returncode}):\n{result.stderr[-3000:]}")


if __name__ == "__main__":
    main()
