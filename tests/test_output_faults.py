"""Where results go: full disks, read-only locations and the umask.

A location that cannot be written ends a command with one ``genclust: error:`` line naming the
file (exit 2), and leaves every file written before as it was. Full and read-only disks are
simulated at the seam every result file goes through (tests/disk_faults.py); a read-only folder
made with chmod is tested too, where the user is not root (root writes through permissions).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
from pathlib import Path

import pytest
import torch
from tests.conftest import run_genclust
from tests.disk_faults import fail_writes, temporary_files

from genclust.rundir.files import CannotWrite, write_json
from genclust.rundir.names import (
    CHECKPOINT_FILE,
    CLUSTERER_FILE,
    EMBEDDING_FIGURE,
    FAILED_FILE,
    LATENTS_FILE,
    METRICS_FILE,
)

QUICK = (
    "data=blobs",
    "data.n_samples=500",
    "trainer.max_epochs=1",
    "cluster/manifold=none",
    "embed=pca",
)
UMASK = 0o027  # group may read, others nothing: result files must come out 0640


def _error_line(result) -> str:
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr[-3000:]
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("genclust:")]
    return line


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    """A real finished run (TensorBoard, figure, checkpoint), made under UMASK."""
    root = tmp_path_factory.mktemp("output")
    previous = os.umask(UMASK)
    try:
        result = run_genclust("train", *QUICK, f"hydra.run.dir={root / 'run'}", cwd=root)
    finally:
        os.umask(previous)
    assert result.returncode == 0, result.stderr[-3000:]
    return root / "run"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_result_files_honour_the_umask(finished_run, tmp_path):
    previous = os.umask(UMASK)
    try:
        predicted = run_genclust("predict", f"run={finished_run}", "data=blobs", cwd=tmp_path)
        reported = run_genclust("report", str(finished_run), "--out", str(tmp_path), cwd=tmp_path)
    finally:
        os.umask(previous)
    assert predicted.returncode == 0 and reported.returncode == 0, predicted.stderr[-2000:]
    files = [
        *(finished_run / name for name in (METRICS_FILE, LATENTS_FILE, CLUSTERER_FILE)),
        finished_run / EMBEDDING_FIGURE,
        finished_run / CHECKPOINT_FILE,
        *finished_run.glob("predict/*/predictions.*"),
        *(tmp_path / name for name in ("report.md", "report.csv", "report.png")),
    ]
    assert {str(path): oct(_mode(path)) for path in files} == {
        str(path): oct(0o666 & ~UMASK) for path in files
    }


def test_a_failed_write_keeps_the_file_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "metrics.json"
    write_json(path, {"acc": 0.5})
    fail_writes(monkeypatch, errno.ENOSPC, lambda _: True)
    with pytest.raises(CannotWrite, match=f"cannot write {path}: No space left on device; free"):
        write_json(path, {"acc": 0.9})
    assert json.loads(path.read_text()) == {"acc": 0.5}
    assert temporary_files(tmp_path) == []


def test_a_full_disk_in_the_analysis_stage_then_resume(tmp_path, monkeypatch):
    run_dir = tmp_path / "run"
    fail_writes(monkeypatch, errno.ENOSPC, lambda path: path.name == LATENTS_FILE)
    result = run_genclust("train", *QUICK, f"hydra.run.dir={run_dir}", cwd=tmp_path)
    line = _error_line(result)
    assert line.startswith(
        f"genclust: error: cannot write {run_dir / LATENTS_FILE}: No space left on device"
    )
    assert torch.load(run_dir / CHECKPOINT_FILE, weights_only=True)["epoch"] == 0  # whole
    assert not (run_dir / METRICS_FILE).exists() and temporary_files(run_dir) == []
    monkeypatch.undo()

    result = run_genclust("train", f"resume={run_dir}", cwd=tmp_path)  # straight to analysis
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads((run_dir / METRICS_FILE).read_text())["epochs"] == 1


@pytest.mark.parametrize("command", ["cluster", "predict"])
def test_a_read_only_filesystem_under_a_finished_run(finished_run, tmp_path, monkeypatch, command):
    before = _snapshot(finished_run)
    fail_writes(monkeypatch, errno.EROFS, lambda _: True)
    extra = ["embed=none", "cluster/manifold=none"] if command == "cluster" else ["data=blobs"]
    result = run_genclust(command, f"run={finished_run}", *extra, cwd=tmp_path)
    line = _error_line(result)
    assert line.startswith(f"genclust: error: cannot write {finished_run / command}/")
    assert line.endswith(": Read-only file system; choose a writable location (hydra.run.dir=...)")
    after = _snapshot(finished_run)
    assert {name: after[name] for name in before} == before
    assert temporary_files(finished_run) == []


def test_hydra_cannot_make_the_run_dir(tmp_path, monkeypatch):
    run_dir = tmp_path / "mounted_read_only" / "run"
    make_dir = Path.mkdir

    def read_only_mkdir(self: Path, *args, **kwargs) -> None:
        if self == run_dir:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        make_dir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only_mkdir)
    result = run_genclust("train", *QUICK, f"hydra.run.dir={run_dir}", cwd=tmp_path)
    assert _error_line(result) == (
        f"genclust: error: cannot write {run_dir}: Read-only file system; "
        "choose a writable location (hydra.run.dir=...)"
    )


def _read_only(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(path.stat().st_mode & ~0o222)


def test_read_only_folders(finished_run, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    run = shutil.copytree(finished_run, locked / "run")
    _read_only(locked)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("this user (root) writes through file permissions; simulated above")
        before = _snapshot(run)
        results = {
            "train": run_genclust("train", *QUICK, f"hydra.run.dir={locked / 'new'}", cwd=tmp_path),
            "cluster": run_genclust(
                "cluster", f"run={run}", "embed=none", "cluster/manifold=none", cwd=tmp_path
            ),
            "predict": run_genclust("predict", f"run={run}", "data=blobs", cwd=tmp_path),
        }
        for command, result in results.items():
            line = _error_line(result)
            where = locked / "new" if command == "train" else run / command
            assert line.startswith(f"genclust: error: cannot write {where}"), line
            assert "Permission denied" in line
        assert _snapshot(run) == before and not (run / FAILED_FILE).exists()
    finally:
        for path in [locked, *locked.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)
