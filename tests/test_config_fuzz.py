"""Random override lists through the real config layer: every failure is a clean one.

What ``genclust train`` does before training runs here without training: the command line's
own check (Hydra composes, the schema validates), then what train builds from the data. A
failure must be one UserError line (the CLI prints it and exits 2); any other exception would
reach the user as a traceback.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import member_dir, run_genclust

from genclust.commands.prepare import prepare_run
from genclust.config.load import load
from genclust.config.overrides import config_groups, prepare_overrides
from genclust.errors import UserError

FAST = ("trainer.max_epochs=1", "embed=none", "logger=none", "cluster/manifold=none")
# Data that needs no files; mnist and fashion_mnist would read 70k images per example.
FILE_FREE_DATA = ("digits", "blobs", "csv", "npy", "digts")
KEYS = (
    "model.latent_dim",
    "model.hidden_dims",
    "model.lr",
    "model.beta",
    "model.architecture",
    "model.likelihood",
    "model.encoder_weight",
    "model.latnt_dim",
    "data.batch_size",
    "data.standardize",
    "data.epochs",
    "data.n_samples",
    "data.n_features",
    "data.centers",
    "data.cluster_std",
    "data.seed",
    "data.path",
    "trainer.max_epochs",
    "trainer.precision",
    "trainer.log_every_n_steps",
    "trainer.gradient_clip_val",
    "trainer.deterministic",
    "cluster.n_clusters",
    "cluster.params.eps",
    "cluster.params.n_init",
    "cluster.params.min_samples",
    "cluster.params.bogus",
    "cluster.manifold.n_components",
    "cluster.manifold.params.perplexity",
    "embed.max_points",
    "embed.params.perplexity",
    "embed.params.n_iter",
    "logger.name",
    "seed",
    "encode_batch_size",
    "objective",
    "foo.bar",
    "trainer.accumulate_grad_batches",
    "trainer.max_epoch",
    "trainer.devices",
    "trainer.max_steps",
    "model.pretrain_epochs",
    "model.n_clusters",
    "hydra.job.chdir",
    "hydra.run.dir",
)
INTS = st.integers(min_value=-3, max_value=1000)  # small: a success builds the model
VALUES = st.one_of(
    INTS.map(str),
    st.sampled_from(["0", "1", "2.0", "-1.5", "1e-9", "nan", "inf", "-inf", "3.5", "4294967296"]),
    st.sampled_from(["abc", "x", "''", "true", "false", "null", "auto", "acc", "none"]),
    st.sampled_from(["[]", "[0]", "[16,8]", "[64.0]", "[-3,2]", "{}", "${data.nope}"]),
)


def _group_choices() -> st.SearchStrategy[str]:
    """``group=option`` from the real option lists of conf/, plus typos and non-names."""
    groups = {**config_groups(), "data": list(FILE_FREE_DATA)}
    groups.pop("hparams_search")  # a sweeper setting; it changes nothing a single run checks
    return st.sampled_from(sorted(groups)).flatmap(
        lambda group: st.sampled_from([*groups[group], "vea", "null", "1"]).map(
            lambda option: f"{group}={option}"
        )
    )


def _key_values() -> st.SearchStrategy[str]:
    prefix = st.sampled_from(["", "", "", "+", "++", "~"])
    return st.builds(
        lambda p, k, v: f"~{k}" if p == "~" else f"{p}{k}={v}",
        prefix,
        st.sampled_from(KEYS),
        VALUES,
    )


OVERRIDES = st.lists(st.one_of(_group_choices(), _key_values()), max_size=5).map(
    lambda overrides: ["data=digits", *overrides]  # digits unless the list picks other data
)


def _check(overrides: list[str]) -> None:
    """The property: a config is refused with one line that names the problem, or it passes
    every check train makes before training and gives a usable model."""
    try:
        config = load("train", prepare_overrides("train", overrides))
        prepared = prepare_run(config)
    except UserError as error:
        message = str(error)
        assert message.strip() and "\n" not in message, f"{message!r} for {overrides}"
        assert "To append" not in message and "use +" not in message, message
        return
    codes = prepared.model.encode(prepared.datamodule.x[:4])  # a success gives a usable model
    assert codes.ndim == 2 and len(codes) == min(4, prepared.datamodule.n_samples)
    assert bool(codes.isfinite().all())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overrides=OVERRIDES)
def test_random_overrides_fail_cleanly_or_pass_every_check(overrides):
    _check(overrides)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overrides=OVERRIDES)
def test_random_overrides_fail_cleanly_or_pass_every_check_at_length(overrides):
    _check(overrides)


@pytest.mark.parametrize("override", ["model.latent_dim=2.0", "model.hidden_dims=[64.0]"])
def test_ints_written_as_floats_build_a_model(override):
    prepare_run(load("train", ["data=digits", override]))


@pytest.mark.parametrize(
    "overrides",
    [
        ["model=vea"],
        ["model.latnt_dim=3"],
        ["+model.latent_dim=3"],
        ["model.latent_dim=["],
        ["model=null"],
        ["foo=1"],
        ["trainer.max_epoch=5"],
        ["seed=-1"],
        ["seed=abc"],
        ["data.path=a", "b"],  # an unquoted path with a space
    ],
)
def test_the_cli_rejects_bad_overrides_with_one_line_and_status_2(tmp_path, overrides):
    result = run_genclust("train", *overrides, *FAST, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == "" and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("genclust: error: ")
    assert not (tmp_path / "outputs").exists()  # refused before any run dir was made


def test_a_sweep_of_bad_values_fails_each_run_with_one_line(tmp_path):
    sweep = tmp_path / "sweep"
    result = run_genclust(
        "train", "-m", "model.latent_dim=abc,-3,0", f"hydra.sweep.dir={sweep}", *FAST, cwd=tmp_path
    )
    output = result.stdout + result.stderr
    assert result.returncode == 3 and "Traceback" not in output, output
    for run in range(3):
        failure = json.loads((member_dir(sweep, run) / "failed.json").read_text())
        assert failure["type"] == "UserError" and "model.latent_dim" in failure["error"]
