"""Every user mistake ends with one clear message and a non-zero exit, before training."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import FAST_TRAINING


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["model=vea"], "model=vea: no such option of model; did you mean vae?"),
        (["model.latnt_dim=4"], "model.latnt_dim: no such option; did you mean latent_dim?"),
        (["model.latent_dim=0"], "model.latent_dim"),
        (["model.latent_dim=abc"], "model.latent_dim"),
        (["data.batch_size=0"], "data.batch_size"),
        (["cluster.n_clusters=5000"], "5000"),
        (["+cluster.params.bogus=1"], "bogus"),
        (["cluster=dbscan", "cluster.params.eps=-1"], "eps"),
        (["embed=tsne", "embed.params.perplexity=-5"], "perplexity"),
        (["trainer=gpu"], "trainer"),
        (["data=csv"], "data.path"),
    ],
)
def test_bad_option_is_one_clear_message(genclust, tmp_path, overrides, message):
    result = genclust("train", *overrides, *FAST_TRAINING)
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("genclust: error: ") and message in line
    assert "Epoch 0" not in result.stdout  # stopped before any training
    assert not list(tmp_path.glob("outputs/*/*/metrics.json"))


def test_missing_mnist_files_name_where_we_looked(genclust, tmp_path):
    result = genclust("train", "data=mnist", f"data.root={tmp_path / 'nowhere'}", *FAST_TRAINING)
    assert result.returncode != 0
    assert "nowhere" in result.stderr and "train-images-idx3-ubyte" in result.stderr
    assert "Traceback" not in result.stderr


def test_csv_label_column_that_does_not_exist(genclust, tmp_path):
    csv = _write(tmp_path / "d.csv", "a,b,kind\n1,2,x\n3,4,y\n5,6,x\n")
    result = genclust(
        "train", "data=csv", f"data.path={csv}", "data.label_column=species", *FAST_TRAINING
    )
    assert result.returncode != 0
    assert "species" in result.stderr and "kind" in result.stderr
    assert "Traceback" not in result.stderr


def test_csv_with_nan(genclust, tmp_path):
    csv = _write(tmp_path / "d.csv", "a,b\n1,2\nnan,4\n5,6\n")
    result = genclust("train", "data=csv", f"data.path={csv}", *FAST_TRAINING)
    assert result.returncode != 0
    assert "NaN" in result.stderr or "missing" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_existing_run_dir_is_never_overwritten(genclust, tmp_path):
    run_dir = tmp_path / "earlier"
    run_dir.mkdir()
    (run_dir / "metrics.json").write_text('{"acc": 0.9}')
    result = genclust("train", f"hydra.run.dir={run_dir}", *FAST_TRAINING)
    assert result.returncode != 0
    assert "already holds files" in result.stderr + result.stdout
    assert (run_dir / "metrics.json").read_text() == '{"acc": 0.9}'
    assert not (run_dir / ".hydra").exists()


def test_unknown_command(genclust):
    result = genclust("trian")
    assert result.returncode == 2 and "unknown command 'trian'" in result.stderr
