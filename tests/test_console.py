"""What a user sees and reads: the console and the run's log of real commands, the end of a sweep,
and TensorBoard's HPARAMS over all of outputs/."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest
from tests.conftest import member_dir, run_genclust
from tests.tensorboard_api import hparams_experiment, hparams_session_groups, tensorboard_client

from genclust.analysis.hparams import EXPERIMENT_FILE
from genclust.report.names import REPORT_MARKDOWN
from genclust.rundir.hydra_callbacks import IGNORED_WARNINGS, QuietLibraries
from genclust.rundir.names import METRICS_FILE

QUICK = (
    "data=blobs",
    "data.n_samples=120",
    "trainer.max_epochs=1",
    "cluster/manifold=none",
    "embed=pca",
)
# What the libraries would print on every run, and must not.
NOISE = ("💡", "litlogger", "GPU available: False", "TPU available", "LeafSpec", "Precomputed")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """A single run, then a sweep `-m model=ae,vae`, in their default folders below outputs/,
    with every warning recorded (as a console would show it)."""
    root = tmp_path_factory.mktemp("console")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        single = run_genclust("train", "model=ae", "seed=1", *QUICK, cwd=root)
        sweep = run_genclust("train", "-m", "model=ae,vae", *QUICK, cwd=root)
    assert single.returncode == 0, single.stderr[-3000:]
    assert sweep.returncode == 0, sweep.stderr[-3000:]
    return root / "outputs", single, sweep, [str(warning.message) for warning in caught]


def _sweep_dir(outputs: Path) -> Path:
    (sweep,) = (outputs / "multirun").glob("*/*")
    return sweep


def _single_run(outputs: Path) -> Path:
    (run,) = (path.parent for path in outputs.glob("2*/*/" + METRICS_FILE))
    return run


def test_a_sweep_ends_with_its_dir_and_its_report(outputs):
    outputs, _, sweep, _ = outputs
    sweep_dir = _sweep_dir(outputs)
    tail = sweep.stdout[sweep.stdout.index(f"sweep dir: {sweep_dir}") :]
    report = (sweep_dir / REPORT_MARKDOWN).read_text()
    assert report in tail  # the report's table, as `genclust report <sweep dir>` prints it
    assert "| model.name=ae |" in report and "| model.name=vae |" in report


def test_no_advertising_hardware_lines_or_deprecation_noise(outputs):
    _, single, sweep, caught = outputs
    for result in (single, sweep):
        shown = result.stdout + result.stderr
        assert not [noise for noise in NOISE if noise in shown], shown[-3000:]
    assert not [message for message in caught if "LeafSpec" in message]


def test_the_run_log_holds_the_metrics_table_and_the_analysis_times(outputs):
    outputs, single, _, _ = outputs
    run = _single_run(outputs)
    log = (run / "train.log").read_text()
    start = single.stdout.index(f"run dir: {run}\n")
    shown = single.stdout[start : single.stdout.index("\n[", start)]  # up to the next log line
    assert "\nacc " in shown and "\nseconds.embed " in shown
    assert shown in log
    assert "map: PCA of 120 codes to 2-D in" in log


def test_hparams_over_outputs_compare_every_run(outputs):
    outputs, _, _, _ = outputs
    sweep_dir = _sweep_dir(outputs)
    assert (outputs / EXPERIMENT_FILE).is_file() and (sweep_dir / EXPERIMENT_FILE).is_file()
    client = tensorboard_client(outputs)
    infos = hparams_experiment(client)["hparamInfos"]
    assert [info["name"] for info in infos if info["differs"]] == ["model.name", "seed"]
    assert "model.beta" in {info["name"] for info in infos}  # the VAE's only
    sessions = {group["sessions"][0]["name"] for group in hparams_session_groups(client)}
    assert sessions == {
        str(_single_run(outputs).relative_to(outputs)),
        str(member_dir(sweep_dir, 0).relative_to(outputs)),
        str(member_dir(sweep_dir, 1).relative_to(outputs)),
    }
    sweep_infos = hparams_experiment(tensorboard_client(sweep_dir))["hparamInfos"]
    assert [info["name"] for info in sweep_infos if info["differs"]] == ["model.name"]


@pytest.mark.parametrize(
    ("name", "message", "shown"),
    [
        ("pytorch_lightning.utilities.rank_zero", "💡 Tip: For seamless cloud logging", False),
        ("pytorch_lightning.utilities.rank_zero", "GPU available: False, used: False", False),
        ("pytorch_lightning.utilities.rank_zero", "TPU available: False, using: 0 TPU", False),
        ("pytorch_lightning.utilities.rank_zero", "GPU available: True (cuda), used: True", True),
        ("pytorch_lightning.utilities.rank_zero", "`Trainer.fit` stopped: `max_epochs=1`", True),
        ("openTSNE.tsne", "Automatically determined negative gradient method `bh`", False),
        ("openTSNE.tsne", "Optimization was interrupted with callback.", True),
    ],
)
def test_library_lines_are_dropped_by_what_they_say(caplog, name, message, shown):
    QuietLibraries().on_job_start(config=None)
    with caplog.at_level(logging.INFO):
        logging.getLogger(name).info(message)
    assert caplog.messages == ([message] if shown else [])


# A warning of each kind IGNORED_WARNINGS names, as the library raises it.
WARNINGS = [
    (
        "`isinstance(treespec, LeafSpec)` is deprecated, use `isinstance(treespec, TreeSpec) "
        "and treespec.is_leaf()` instead.",
        FutureWarning,
        "pytorch_lightning.utilities._pytree",
    ),
    (
        "n_jobs value -1 overridden to 1 by setting random_state. Use no seed for parallelism.",
        UserWarning,
        "umap.umap_",
    ),
]


def test_ignored_warnings_are_those_named_and_only_from_where_they_are_named():
    assert len(WARNINGS) == len(IGNORED_WARNINGS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        QuietLibraries().on_job_start(config=None)
        for message, category, module in WARNINGS:
            warnings.warn_explicit(message, category, "library.py", 1, module=module)
            warnings.warn_explicit(message, category, "mine.py", 1, module="my_package")
    assert [str(warning.message) for warning in caught] == [message for message, *_ in WARNINGS]
