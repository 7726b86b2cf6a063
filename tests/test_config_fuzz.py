"""Random override lists through the real config layer: every failure is a clean one.

What ``genclust train`` does before training is composed here without training: Hydra's compose
API, then genclust.preflight. A failure must be Hydra's own (it prints one message) or a
UserError (genclust prints one line); any other exception would reach the user as a traceback.
"""

from __future__ import annotations

import json

import pytest
from hydra import compose, initialize_config_module
from hydra.errors import HydraException
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from omegaconf.errors import OmegaConfBaseException
from tests.conftest import member_dir, run_genclust

from genclust.errors import UserError
from genclust.preflight import (
    _config_groups,
    check_overrides,
    check_train_config,
    resolve_config,
)
from genclust.run_dir import register_resolvers

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
)
INTS = st.integers(min_value=-3, max_value=1000)  # small: a success builds the model
VALUES = st.one_of(
    INTS.map(str),
    st.sampled_from(["0", "1", "2.0", "-1.5", "1e-9", "nan", "inf", "-inf", "3.5"]),
    st.sampled_from(["abc", "x", "''", "true", "false", "null", "auto", "acc", "none"]),
    st.sampled_from(["[]", "[0]", "[16,8]", "[64.0]", "[-3,2]", "{}", "${data.nope}"]),
)


def _group_choices() -> st.SearchStrategy[str]:
    """``group=option`` from the real option lists of conf/, plus typos and non-names."""
    groups = {**_config_groups(), "data": list(FILE_FREE_DATA)}
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


@pytest.fixture(scope="module")
def composer():
    register_resolvers()
    with initialize_config_module("genclust.conf", version_base="1.3"):
        yield lambda overrides: compose("train", overrides=overrides)


def _check(composer, overrides: list[str]) -> None:
    """The property: Hydra's clean errors or UserError; a success passed every check."""
    try:
        check_overrides(overrides)
        cfg = composer(overrides)
    except (HydraException, OmegaConfBaseException, UserError) as error:
        assert str(error).strip(), f"{type(error).__name__} without a message for {overrides}"
        return
    try:
        options = resolve_config(cfg)
        checked = check_train_config(options)
    except UserError as error:
        assert str(error).strip()
        return
    codes = checked.model.encode(checked.datamodule.x[:4])  # a success gives a usable model
    assert codes.ndim == 2 and len(codes) == min(4, checked.datamodule.n_samples)
    assert bool(codes.isfinite().all())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overrides=OVERRIDES)
def test_random_overrides_fail_cleanly_or_pass_every_check(composer, overrides):
    _check(composer, overrides)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(overrides=OVERRIDES)
def test_random_overrides_fail_cleanly_or_pass_every_check_at_length(composer, overrides):
    _check(composer, overrides)


@pytest.mark.parametrize("override", ["model.latent_dim=2.0", "model.hidden_dims=[64.0]"])
def test_ints_written_as_floats_build_a_model(composer, override):
    check_train_config(resolve_config(composer(["data=digits", override])))


@pytest.mark.parametrize(
    "overrides",
    [
        ["model=vea"],
        ["model.latnt_dim=3"],
        ["+model.latent_dim=3"],
        ["model.latent_dim=["],
        ["model=null"],
    ],
)
def test_the_cli_rejects_bad_overrides_without_a_traceback(tmp_path, overrides):
    result = run_genclust("train", *overrides, *FAST, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode in (1, 2), output
    assert "Traceback" not in output
    assert not list(tmp_path.glob("outputs/**/metrics.json"))


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
