"""The front door: help, --version and every configuration error answer at once, in one line,
with exit status 2 for errors, before torch or Lightning is loaded."""

from __future__ import annotations

import subprocess
import sys

import pytest
from tests.conftest import run_genclust

QUICK_ANSWERS = [
    ["--help"],
    ["--version"],
    ["train", "--help"],
    ["cluster", "--help"],
    ["predict", "--help"],
    ["report", "--help"],
    ["train", "model=vea"],
    ["train", "trainer.max_epoch=5"],
    ["train", "model.latent_dim=0"],
    ["train", "seed=abc"],
    ["cluster", "run=/nonexistent"],
]


def test_quick_answers_load_no_heavy_library():
    """A fresh process: which modules a help page or a config error pulls in."""
    program = (
        "import sys\n"
        "from genclust import cli\n"
        f"for arguments in {QUICK_ANSWERS!r}:\n"
        "    try:\n"
        "        cli.main(arguments)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = ('torch', 'pytorch_lightning', 'sklearn', 'matplotlib', 'openTSNE')\n"
        "print('loaded:', sorted(name for name in heavy if name in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert result.stdout.splitlines()[-1] == "loaded: []", result.stderr[-2000:]


def test_train_help_lists_groups_options_and_examples(tmp_path):
    result = run_genclust("train", "--help", cwd=tmp_path)
    assert result.returncode == 0
    page = result.stdout
    assert page.startswith("genclust train: train a generative model")
    for line in ("  model", "   *vae", "  cluster/manifold", "  experiment", "Examples:"):
        assert line in page, line
    assert "Variational autoencoder" in page  # each option's line comes from its config file
    assert "seed=0" in page  # top-level keys with their defaults


def test_cluster_and_predict_help_list_only_what_they_use(tmp_path):
    cluster = run_genclust("cluster", "--help", cwd=tmp_path).stdout
    assert "  cluster\n" in cluster and "  embed\n" in cluster and "  model\n" not in cluster
    predict = run_genclust("predict", "--help", cwd=tmp_path).stdout
    assert "  data\n" in predict and "  cluster\n" not in predict


def test_version(tmp_path):
    result = run_genclust("--version", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("genclust ")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["train", "model=vea"], "model=vea: no such option of model; did you mean vae?"),
        (["train", "trainer.max_epoch=5"], "trainer.max_epoch: no such option; did you mean"),
        (["train", "foo=1"], "foo: no such option (valid: cluster, data"),
        (["train", "cluster/manifold=umapp"], "cluster/manifold=umapp: no such option"),
        (["train", "+model.latent_dim=3"], "model.latent_dim is an option already"),
        (["train", "++model.latnt_dim=3"], "model.latnt_dim: no such option; did you mean"),
        (["train", "trainer.max_epochs=0"], "trainer.max_epochs: must be at least 1, or -1"),
        (["train", "seed=4294967296"], "seed: Input should be less than or equal to"),
        (["train", "objective=accuracy"], "objective: must be null or one of acc"),
        (["train", "trainer.max_epochs=${nope}"], "cannot resolve the config"),
        (["cluster", "run=/nonexistent"], "is not a genclust run"),
        (["predict", "run=/nonexistent", "data.epochs=3"], "data.epochs=3: genclust predict"),
        (["trian"], "unknown command 'trian'"),
    ],
)
def test_every_configuration_error_is_one_line_and_status_2(tmp_path, arguments, message):
    result = run_genclust(*arguments, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    first, *_ = result.stderr.splitlines()
    assert first.startswith("genclust: error: ") and message in first, first
    assert not (tmp_path / "outputs").exists()  # nothing written
