"""Does genclust train on a GPU, and how fast? One table, row by row, within about 8 minutes.

Rows, each one real ``genclust train`` through the CLI:

1. every model for 2 epochs on digits with ``trainer=gpu``, and again with
   ``trainer.precision=bf16-mixed`` (ClusterGAN also with ``16-mixed``: its gradient penalty
   under a GradScaler);
2. throughput in samples/s on all 70k Fashion-MNIST images, the MLP autoencoder and the conv
   VAE, on the GPU (2 epochs) against the CPU (1 epoch);
3. a resume check: a VAE run killed after its first checkpoint and resumed ends with exactly the
   metrics of an uninterrupted run (its noise comes from the CUDA RNG, kept in the checkpoint);
4. ``trainer=ddp`` with every GPU present (VaDE, and the GAN whose players leave parameters
   unused);
5. N2D's autoencoder (``experiment=fmnist_n2d``) at its paper length, 1000 epochs, with ACC and
   NMI beside the published .672 / .684 (McConville et al. 2020). It trains in a process of its
   own beside checks 1, 3 and 4 (after 2, whose timings it would disturb) for at most the time
   left of the budget (less two minutes for its UMAP and GMM), and its row says how many epochs
   that was.

    python scripts/gpu_check.py [--budget 480] [--data-root DIR] [--workdir DIR]
    python scripts/gpu_check.py --dry-run     # the same table on the CPU, tiny, < 1 min

``--dry-run`` runs every row on the CPU, 1 epoch of 512 blobs instead of digits or
Fashion-MNIST, and says "skipped: no GPU" where a row needs CUDA. Runs go to ``--workdir``
(default: a temporary folder); a failed run's row shows its error and the table goes on.
Fashion-MNIST comes from ``--data-root`` or where ``data=fashion_mnist`` looks by default; the
rows that need it say so when it is missing.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

PUBLISHED_N2D = {"acc": 0.672, "nmi": 0.684}  # McConville et al. 2020, Fashion-MNIST
MODELS = ("raw", "ae", "vae", "vade", "gan", "dec", "clustergan")
QUIET = ("logger=none", "embed=none", "cluster/manifold=none", "trainer.enable_progress_bar=false")
N2D_ANALYSIS_SECONDS = 120  # UMAP and a full GMM on 70k codes, after its training
NO_GPU = "skipped: no GPU"
# The dry run's data: no image grids or galleries to draw, a few steps an epoch.
TINY_DATA = ("data=blobs", "data.n_samples=512")


@dataclass(frozen=True)
class Row:
    check: str
    setting: str
    result: str
    seconds: float | None = None


COLUMNS = ("check", "setting", "result", "s")
WIDTHS = (12, 50, 66, 7)


def format_row(row: Row) -> str:
    seconds = "" if row.seconds is None else f"{row.seconds:.1f}"
    cells = (row.check, row.setting, row.result, seconds)
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, WIDTHS, strict=True)).rstrip()


def table_header() -> str:
    line = "  ".join(name.ljust(width) for name, width in zip(COLUMNS, WIDTHS, strict=True))
    return f"{line.rstrip()}\n{'-' * (sum(WIDTHS) + 2 * (len(WIDTHS) - 1))}"


def scores(metrics: dict) -> str:
    return f"ACC {metrics['acc']:.3f}  NMI {metrics['nmi']:.3f}  {metrics['steps']} steps"


def throughput(metrics: dict, batch_size: int) -> float:
    """Training samples per second: steps × batch over the training's wall time."""
    return metrics["steps"] * batch_size / metrics["seconds"]["train"]


class Check:
    """Runs ``genclust train`` and prints each row as it comes (unbuffered: a rented GPU's hard
    time limit may cut the script short, and every row printed by then stands)."""

    def __init__(self, workdir: Path, dry_run: bool, budget: float, data_root: str | None):
        self.workdir = workdir
        self.dry_run = dry_run
        self.deadline = time.monotonic() + budget
        self.data_root = [f"data.root={data_root}"] if data_root else []
        self.rows: list[Row] = []
        self.device = "trainer=cpu" if dry_run else "trainer=gpu"
        self.epochs = 1 if dry_run else 2
        self.n2d_process: subprocess.Popen | None = None

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(format_row(row), flush=True)

    def train(self, name: str, *overrides: str) -> tuple[dict | None, str, float]:
        """One run in this process: (its metrics or None, its error or "", seconds)."""
        from genclust import cli

        run_dir = self.workdir / name
        started = time.perf_counter()
        stderr = io.StringIO()
        with redirect_stdout(io.StringIO()), redirect_stderr(stderr):
            try:
                cli.main(["train", *overrides, f"hydra.run.dir={run_dir}"])
                code = 0
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
            except Exception as error:  # the row says what failed; the table goes on
                print(f"{type(error).__name__}: {error}", file=stderr)
                code = 1
        seconds = time.perf_counter() - started
        return self._result(run_dir, code, stderr.getvalue(), seconds)

    def train_process(self, name: str, *overrides: str) -> tuple[dict | None, str, float]:
        """One run in a new process: DDP starts its workers with the command line."""
        run_dir = self.workdir / name
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "genclust", "train", *overrides, f"hydra.run.dir={run_dir}"],
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        return self._result(run_dir, done.returncode, done.stderr, seconds)

    @staticmethod
    def _result(run_dir: Path, code, stderr: str, seconds: float):
        metrics_file = run_dir / "metrics.json"
        if code == 0 and metrics_file.is_file():
            return json.loads(metrics_file.read_text()), "", seconds
        lines = [line for line in stderr.strip().splitlines() if line.strip()]
        return None, f"failed ({code}): {lines[-1][-120:] if lines else 'no message'}", seconds

    def models(self) -> None:
        precisions = [("32-true", ()), ("bf16-mixed", ("trainer.precision=bf16-mixed",))]
        for model in MODELS:
            for precision, overrides in precisions:
                self._model_row(model, precision, overrides)
        if not self.dry_run:  # a GradScaler exists on CUDA only
            self._model_row("clustergan", "16-mixed", ("trainer.precision=16-mixed",))

    def _model_row(self, model: str, precision: str, overrides: tuple[str, ...]) -> None:
        # VaDE and DEC pretrain all but the last epoch, then set and train their clusters.
        extra = [f"model.pretrain_epochs={self.epochs - 1}"] if model in ("vade", "dec") else []
        data = TINY_DATA if self.dry_run else ["data=digits"]
        metrics, error, seconds = self.train(
            f"{model}-{precision}",
            f"model={model}",
            *data,
            self.device,
            f"trainer.max_epochs={self.epochs}",
            *overrides,
            *extra,
            *QUIET,
        )
        setting = f"{model}, {self.device}, {precision}"
        self.add(Row("model", setting, error or scores(metrics), seconds))

    def throughput(self) -> None:
        data = TINY_DATA if self.dry_run else ["data=fashion_mnist", *self.data_root]
        batch_size = 256
        # Blobs are no images: the dry run's VAE is an MLP.
        vae = (
            ("VAE", ["model=vae"])
            if self.dry_run
            else ("conv VAE", ["model=vae", "model.architecture=conv"])
        )
        for label, model in (("MLP AE", ["model=ae", "model.architecture=mlp"]), vae):
            for device, epochs in (("trainer=gpu", 2), ("trainer=cpu", 1)):
                setting = f"{label}, {data[0].split('=')[1]}, {device}"
                if self.dry_run and device == "trainer=gpu":
                    self.add(Row("throughput", setting, NO_GPU))
                    continue
                metrics, error, seconds = self.train(
                    f"throughput-{label.replace(' ', '_')}-{device.split('=')[1]}",
                    *data,
                    *model,
                    device,
                    f"trainer.max_epochs={epochs}",
                    f"data.batch_size={batch_size}",
                    "cluster=kmeans",
                    *QUIET,
                )
                result = error or f"{throughput(metrics, batch_size):,.0f} samples/s"
                self.add(Row("throughput", setting, result, seconds))

    def resume(self) -> None:
        """A VAE run SIGKILLed after its first epoch's checkpoint, then resumed, against one
        that ran through: the same metrics, to the last digit."""
        setting = f"vae, {self.device}, killed after epoch 1, resumed"
        n_samples = 1000 if self.dry_run else 40000
        overrides = [
            "model=vae", self.device, "data=blobs", f"data.n_samples={n_samples}",
            "data.batch_size=64", "trainer.max_epochs=3", "trainer.deterministic=true", *QUIET,
        ]  # fmt: skip
        whole, error, _ = self.train("resume-whole", *overrides)
        if whole is None:
            self.add(Row("resume", setting, error))
            return
        started = time.perf_counter()
        run_dir = self.workdir / "resume-killed"
        process = subprocess.Popen(
            [sys.executable, "-m", "genclust", "train", *overrides, f"hydra.run.dir={run_dir}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        checkpoint = run_dir / "checkpoints" / "last.ckpt"
        while not checkpoint.is_file() and process.poll() is None:
            time.sleep(0.02)
        if process.poll() is not None:
            self.add(Row("resume", setting, "inconclusive: the run ended before it was killed"))
            return
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        resumed, error, _ = self.train("resume-killed", f"resume={run_dir}")
        seconds = time.perf_counter() - started
        if resumed is None:
            self.add(Row("resume", setting, error, seconds))
            return
        same = _comparable(resumed) == _comparable(whole)
        verdict = "equal to the uninterrupted run" if same else "DIFFERS from the uninterrupted run"
        self.add(Row("resume", setting, f"{verdict}: {scores(resumed)}", seconds))

    def ddp(self) -> None:
        for model in ("vade", "gan"):
            setting = f"{model}, trainer=ddp, devices=-1 (every GPU)"
            if self.dry_run:
                self.add(Row("ddp", setting, NO_GPU))
                continue
            extra = ["model.pretrain_epochs=1"] if model == "vade" else []
            metrics, error, seconds = self.train_process(
                f"ddp-{model}", f"model={model}", "trainer=ddp", "trainer.devices=-1",
                "trainer.max_epochs=2", *extra, *QUIET,
            )  # fmt: skip
            self.add(Row("ddp", setting, error or scores(metrics), seconds))

    def start_n2d(self) -> None:
        """N2D in a process of its own, beside the checks that follow (a GPU runs the small
        runs alongside; the throughput rows are measured before it starts)."""
        if self.dry_run:
            data = [*TINY_DATA, "trainer.max_epochs=1", "cluster/manifold=none"]
            self.n2d_setting = "N2D recipe on 512 blobs, 1 epoch, trainer=cpu"
        else:
            left = self.deadline - time.monotonic() - N2D_ANALYSIS_SECONDS
            if left < 60:
                self.n2d_setting = "N2D, fashion_mnist, 1000 epochs: skipped, budget spent"
                return
            minutes, seconds = divmod(int(left), 60)
            data = [
                *self.data_root,
                "trainer.max_epochs=1000",
                f"trainer.max_time=00:00:{minutes:02d}:{seconds:02d}",
                "trainer.log_every_n_steps=100",  # fewer waits for the device
            ]
            self.n2d_setting = f"N2D, fashion_mnist, 1000 epochs or {minutes}:{seconds:02d} min"
        overrides = [
            "experiment=fmnist_n2d", self.device, *data, "embed=none", "logger=none",
            "trainer.enable_progress_bar=false", f"hydra.run.dir={self.workdir / 'n2d'}",
        ]  # fmt: skip
        self.n2d_log = self.workdir / "n2d.log"
        with self.n2d_log.open("w") as log:  # a file: a pipe nobody reads could fill and block
            self.n2d_process = subprocess.Popen(
                [sys.executable, "-m", "genclust", "train", *overrides],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        self.n2d_started = time.perf_counter()

    def finish_n2d(self) -> None:
        if self.n2d_process is None:
            self.add(Row("n2d", self.n2d_setting, "skipped: budget spent"))
            return
        code = self.n2d_process.wait()
        seconds = time.perf_counter() - self.n2d_started
        metrics, error, _ = self._result(
            self.workdir / "n2d", code, self.n2d_log.read_text(), seconds
        )
        if metrics is None:
            self.add(Row("n2d", self.n2d_setting, error, seconds))
            return
        published = f"published {PUBLISHED_N2D['acc']:.3f} / {PUBLISHED_N2D['nmi']:.3f}"
        result = f"{scores(metrics)}, {metrics['epochs']} epochs; {published}"
        self.add(Row("n2d", self.n2d_setting, result, seconds))


def _comparable(metrics: dict) -> dict:
    return {key: value for key, value in metrics.items() if key != "seconds"}


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="the table on the CPU, tiny")
    parser.add_argument("--budget", type=float, default=480.0, help="seconds for the whole table")
    parser.add_argument("--data-root", help="folder with Fashion-MNIST's four IDX files")
    parser.add_argument("--workdir", type=Path, help="where the runs go (default: a temp dir)")
    args = parser.parse_args(argv)

    import torch  # after --help

    if not args.dry_run and not torch.cuda.is_available():
        parser.error("no CUDA device here; use --dry-run")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="gpu_check_"))
    check = Check(workdir, args.dry_run, args.budget, args.data_root)
    where = "CPU (dry run)" if args.dry_run else torch.cuda.get_device_name()
    gpus = torch.cuda.device_count()
    print(f"genclust GPU check on {where}, {gpus} GPU(s); runs in {workdir}", flush=True)
    print(table_header(), flush=True)
    started = time.perf_counter()
    # Throughput first, alone on the machine; then N2D trains beside the remaining checks.
    for part in (check.throughput, check.start_n2d, check.models, check.resume, check.ddp):
        part()
    check.finish_n2d()
    print(f"total {time.perf_counter() - started:.0f} s", flush=True)
    return check.rows


if __name__ == "__main__":
    main()
