"""Hostile input through the real CLI: one clear message and a non-zero exit, or a clean success.

Each CLI start costs ~7 s (torch and Lightning imports), so cases that share a command run as
one Hydra sweep (-m): every member fails or succeeds on its own, leaves failed.json (the message
and the exception type) or metrics.json in its numbered dir, and the sweep's exit status counts
the failures. A UserError in a sweep is the same message a single run prints as its one line.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from tests.conftest import member_dir, run_genclust

from genclust.rundir.names import CHECKPOINT_FILE, FAILED_FILE, LATENTS_FILE, METRICS_FILE

TINY = ("trainer.max_epochs=1", "embed=none", "logger=none")
FAST = (*TINY, "cluster/manifold=none")


def _rows(n: int, row) -> str:
    return "".join(row(i) + "\n" for i in range(n))


_RNG = np.random.default_rng(0)


def _normal(scale: float = 1.0) -> str:
    return f"{_RNG.normal() * scale:.6g}"


# name → (CSV text, words the message must hold); every file has a label column y.
FAILING_CSV = {
    "text_in_numbers": ("a,b,y\n1,2,p\n3,oops,q\n5,6,p\n", ["column 'b' is not numeric", "line 3"]),
    "missing": ("a,b,y\n1,,p\n3,4,q\n5,6,p\n", ["column 'b' has 1 missing value", "line 2"]),
    "single_row": ("a,b,y\n1,2,p\n", ["1 data row", "at least 2"]),
    "beyond_float32": ("a,b,y\n1,2,p\n1e39,4,q\n5,6,p\n", ["column 'a'", "float32's range"]),
    "huge_unstandardised": (
        "a,b,y\n" + _rows(30, lambda i: f"{_normal(1e30)},{_normal()},{i % 3}"),
        ["column 'a' reaches", "data.standardize=true"],
    ),
    # Trainable in float32, but a network's first step on raw values near 1e5 is already NaN.
    "near_1e5_unstandardised": (
        "a,b,y\n" + _rows(60, lambda i: f"{100000 + (i * 7919) % 1000},{i % 7 / 7},{i % 3}"),
        ["at step 0", "column 'a' reaches 1.01e+05", "data.standardize=true", "does not help"],
    ),
}
# name → (array, words the message must hold)
FAILING_NPY = {
    "one_dimensional": (np.arange(10.0), ["shape (10,)", "expected (n, d)"]),
    "strings": (np.array([["a", "b"]] * 10), ["<U1", "numeric array"]),
    "objects": (np.array([[{}]] * 10, dtype=object), ["cannot read", "numeric array"]),
    "beyond_float32": (np.full((10, 3), 1e39), ["beyond float32's range", "rescale"]),
}
# Training works on these; name → CSV text.
WORKING_CSV = {
    "single_class": "a,b,y\n" + _rows(30, lambda i: f"{_normal()},{_normal()},only"),
    "constant_column": "a,c,y\n" + _rows(30, lambda i: f"{_normal()},7,{i % 3}"),
    "huge_standardised": "a,b,y\n" + _rows(30, lambda i: f"{_normal(1e30)},{_normal()},{i % 3}"),
    # 5 classes but only 3 distinct rows: k-means is asked for 5 clusters of 3 points.
    "fewer_distinct_points_than_clusters": "a,b,y\n" + _rows(20, lambda i: f"{i % 3},0,{i % 5}"),
}


def _sweep(tmp_path: Path, name: str, *arguments: str) -> tuple[Path, str, int]:
    sweep = tmp_path / f"{name}_sweep"
    result = run_genclust("train", "-m", *arguments, f"hydra.sweep.dir={sweep}", cwd=tmp_path)
    return sweep, result.stdout + result.stderr, result.returncode


def _paths(folder: Path, files: dict[str, str | np.ndarray]) -> str:
    """Write each file; return their paths as one sweep value list."""
    folder.mkdir()
    for name, content in files.items():
        if isinstance(content, np.ndarray):
            np.save(folder / f"{name}.npy", content, allow_pickle=True)
        else:
            (folder / f"{name}.csv").write_text(content)
    suffix = {True: ".npy", False: ".csv"}
    return ",".join(
        str(folder / f"{name}{suffix[isinstance(c, np.ndarray)]}") for name, c in files.items()
    )


@pytest.fixture(scope="module")
def failing_files(tmp_path_factory) -> dict[str, dict]:
    """One sweep over every failing CSV, one over every failing .npy: name → failed.json."""
    tmp = tmp_path_factory.mktemp("failing")
    csv = _paths(tmp / "csv", {k: text for k, (text, _) in FAILING_CSV.items()})
    npy = _paths(tmp / "npy", {k: array for k, (array, _) in FAILING_NPY.items()})
    failures, outputs = {}, []
    for kind, paths, names, extra in [
        ("csv", csv, FAILING_CSV, ["data.label_column=y", "data.standardize=false"]),
        ("npy", npy, FAILING_NPY, []),
    ]:
        sweep, output, status = _sweep(
            tmp, kind, f"data={kind}", f"data.path={paths}", *extra, *FAST
        )
        outputs.append(output)
        assert status == len(names), output
        for number, name in enumerate(names):
            failures[name if kind == "csv" else f"npy_{name}"] = json.loads(
                (member_dir(sweep, number) / FAILED_FILE).read_text()
            )
            assert not (member_dir(sweep, number) / METRICS_FILE).exists()
    assert "Traceback" not in "".join(outputs)
    return failures


@pytest.mark.parametrize(
    ("name", "words"),
    [(k, w) for k, (_, w) in FAILING_CSV.items()]
    + [(f"npy_{k}", w) for k, (_, w) in FAILING_NPY.items()],
)
def test_bad_data_file_is_one_clear_message(failing_files, name, words):
    failure = failing_files[name]
    assert failure["type"] == "UserError"
    assert "\n" not in failure["error"]
    for word in words:
        assert word in failure["error"]


@pytest.fixture(scope="module")
def working_files(tmp_path_factory) -> dict[str, dict]:
    """One sweep over the CSVs that must train (the default batch size 256 exceeds each)."""
    tmp = tmp_path_factory.mktemp("working")
    paths = _paths(tmp / "csv", WORKING_CSV)
    sweep, output, status = _sweep(
        tmp, "sweep", "data=csv", f"data.path={paths}", "data.label_column=y", *FAST
    )
    assert status == 0 and "Traceback" not in output, output
    return {
        name: {
            **json.loads((member_dir(sweep, number) / METRICS_FILE).read_text()),
            "run_dir": member_dir(sweep, number),
        }
        for number, name in enumerate(WORKING_CSV)
    }


def test_a_single_class_trains_and_scores_one_cluster(working_files):
    metrics = working_files["single_class"]
    assert metrics["n_clusters"] == 1 and metrics["acc"] == 1.0  # n_clusters: the 1 class
    assert metrics["silhouette"] is None and "fewer than 2 clusters" in metrics["silhouette_note"]


def test_a_constant_column_trains(working_files):
    assert working_files["constant_column"]["n_samples"] == 30
    assert working_files["constant_column"]["train"]  # finite losses were logged


def test_values_of_1e30_train_when_standardised(working_files):
    metrics = working_files["huge_standardised"]
    assert all(np.isfinite(v) for v in metrics["train"].values())


def test_more_clusters_than_distinct_points_reports_those_found(working_files):
    metrics = working_files["fewer_distinct_points_than_clusters"]
    assert metrics["n_clusters"] == 3 and metrics["silhouette"] is not None


def test_identical_rows_stay_one_cluster_through_a_tsne_map(genclust, tmp_path):
    """t-SNE spreads identical codes apart; k-means must not then find 3 clusters in them."""
    (tmp_path / "same.csv").write_text("a,b,y\n" + _rows(60, lambda i: f"1.5,2.5,{i % 3}"))
    run = tmp_path / "run"
    result = genclust(
        "train",
        "data=csv",
        "data.path=same.csv",
        "data.label_column=y",
        f"hydra.run.dir={run}",
        "+cluster.manifold.params.early_exaggeration_iter=10",  # a short t-SNE does the same
        "cluster.manifold.params.n_iter=10",
        *TINY,
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    metrics = json.loads((run / METRICS_FILE).read_text())
    assert metrics["clustered"] == "tsne" and metrics["n_clusters"] == 1
    assert metrics["silhouette"] is None
    assert "the 60 codes hold only 1 distinct points" in (run / "train.log").read_text()


def test_batch_larger_than_data_and_dbscan_all_noise(genclust, tmp_path):
    run = tmp_path / "run"
    result = genclust(
        "train",
        "data.batch_size=100000",
        "cluster=dbscan",
        "cluster.params.eps=1e-9",
        f"hydra.run.dir={run}",
        *TINY,
    )
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    metrics = json.loads((run / METRICS_FILE).read_text())
    assert metrics["steps"] == 2  # the data set in two halves (data.min_batches)
    assert metrics["noise_fraction"] == 1.0 and metrics["n_clusters"] == 0
    assert metrics["silhouette"] is None and metrics["silhouette_note"] == "every point is noise"


@pytest.fixture(scope="module")
def finished_run(working_files) -> Path:
    """A real finished run (a member of the working sweep) to damage copies of."""
    return working_files["constant_column"]["run_dir"]


def _damaged(finished_run: Path, folder: Path, damage: str) -> Path:
    run = folder / damage
    shutil.copytree(finished_run, run)
    checkpoint = run / CHECKPOINT_FILE
    if damage == "truncated":
        checkpoint.write_bytes(checkpoint.read_bytes()[:3000])
    else:
        checkpoint.write_text("a,b\n1,2\n")  # a foreign file under the checkpoint's name
    return run


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def cluster_failures(finished_run, tmp_path_factory) -> dict[str, tuple[dict, bool]]:
    """One `genclust cluster -m` over two damaged runs and a folder that is not a run:
    name → (failed.json, whether the folder's files were left as they were)."""
    tmp = tmp_path_factory.mktemp("cluster")
    runs = {damage: _damaged(finished_run, tmp, damage) for damage in ("truncated", "foreign")}
    for run in runs.values():
        (run / LATENTS_FILE).unlink()  # so the checkpoint must be read
    runs["not_a_run"] = tmp / "holiday_photos"
    runs["not_a_run"].mkdir()
    (runs["not_a_run"] / "beach.jpg").write_bytes(b"\xff\xd8")
    before = {name: _snapshot(run) for name, run in runs.items()}
    sweep = tmp / "sweep"
    result = run_genclust(
        "cluster",
        "-m",
        f"run={','.join(str(run) for run in runs.values())}",
        f"hydra.sweep.dir={sweep}",
        "embed=none",
        "logger=none",
        cwd=tmp,
    )
    assert result.returncode == len(runs), result.stderr
    failures = {}
    for number, (name, run) in enumerate(runs.items()):
        after = _snapshot(run)
        untouched = {key: after[key] for key in before[name]} == before[name]
        failure = json.loads((member_dir(sweep, number) / FAILED_FILE).read_text())
        failures[name] = failure, untouched
    return failures


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("truncated", "is truncated or not a checkpoint"),
        ("foreign", "is truncated or not a checkpoint"),
        ("not_a_run", "is not a genclust run"),
    ],
)
def test_cluster_on_a_damaged_run_or_a_stranger(cluster_failures, name, message):
    failure, untouched = cluster_failures[name]
    assert failure["type"] == "UserError" and message in failure["error"], failure["error"]
    assert "\n" not in failure["error"] and untouched


@pytest.mark.parametrize("damage", ["truncated", "foreign"])
def test_predict_with_a_damaged_checkpoint(finished_run, tmp_path, damage):
    run = _damaged(finished_run, tmp_path, damage)
    before = _snapshot(run)
    result = run_genclust("predict", f"run={run}", "data=blobs", cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 2 and "Traceback" not in output, output
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("genclust: error:")]
    assert "last.ckpt is truncated or not a checkpoint" in line
    after = _snapshot(run)
    assert {key: after[key] for key in before} == before  # nothing written over
