"""What TensorBoard shows of genclust runs, read back through TensorBoard's own HTTP API:
HPARAMS of a sweep, of a folder of runs and of outputs/ as a whole, run names, the Projector."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tests.tensorboard_api import hparams_experiment, hparams_session_groups, tensorboard_client
from torch.utils.tensorboard import SummaryWriter

from genclust.analysis.hparams import (
    EXPERIMENT_FILE,
    HPARAMS_METRICS,
    hparam_values,
    read_session,
    write_experiment,
    write_session,
)
from genclust.analysis.projector import CONFIG_FILE, TENSOR_NAME, write_projector
from genclust.cli import main
from genclust.rundir.names import MAX_OVERRIDES_NAME, member_dir_name

METRIC_TAGS = [f"cluster/{name}" for name in HPARAMS_METRICS]


def _config(model: str, seed: int, data: str = "digits") -> dict:
    """A run's config as genclust saves it; only the VAE has a beta."""
    model_cfg = {"name": model, "latent_dim": 10, "hidden_dims": [256, 128], "lr": 0.001}
    if model == "vae":
        model_cfg["beta"] = 1.0
    return {
        "model": model_cfg,
        "data": {"name": data, "batch_size": 128},
        "trainer": {"max_epochs": 3, "deterministic": False},
        "cluster": {"name": "kmeans", "n_clusters": None},
        "seed": seed,
    }


def _scores(seed: int) -> dict:
    return {
        "acc": 0.8 + seed / 100,
        "nmi": 0.7,
        "ari": 0.6,
        "knn_modularity": 0.4,
        "silhouette_data": 0.2,
        "silhouette": 0.3,  # in the run's own latent space: not a column
        "n_clusters": 10,
        "noise_fraction": 0.0,
        "silhouette_note": "a text: not a scalar",
    }


def _write_run(run_dir: Path, config: dict, scores: dict) -> None:
    """The event files of one run: a training loss, then its session, as genclust writes them."""
    writer = SummaryWriter(str(run_dir))
    writer.add_scalar("loss/total_epoch", 1.0, 0)
    write_session(writer, config, scores)
    writer.close()


@pytest.fixture
def sweep(tmp_path) -> Path:
    """A finished sweep `-m model=ae,vae seed=0,1`, its experiment summary written."""
    sweep = tmp_path / "outputs" / "multirun" / "2026-11-28" / "17-41-38_f5ede9"
    members = [(model, seed) for model in ("ae", "vae") for seed in (0, 1)]
    for number, (model, seed) in enumerate(members):
        name = member_dir_name(number, f"model={model},seed={seed}")
        _write_run(sweep / name, _config(model, seed), _scores(seed))
    assert write_experiment(sweep) == 4
    return sweep


def test_sweep_hparams_mark_swept_settings_and_order_metrics(sweep):
    experiment = hparams_experiment(tensorboard_client(sweep))
    infos = experiment["hparamInfos"]
    differing = [info["name"] for info in infos if info.get("differs")]
    assert differing == ["model.name", "seed"]
    # Differing settings come first: the dashboard ticks the first five as its columns.
    assert [info["name"] for info in infos[:2]] == differing
    # Settings only some runs have are columns too; those all runs share are not.
    assert [info["name"] for info in infos] == ["model.name", "seed", "model.beta"]
    assert [metric["name"]["tag"] for metric in experiment["metricInfos"]] == METRIC_TAGS
    assert [metric["displayName"] for metric in experiment["metricInfos"]] == list(HPARAMS_METRICS)
    seed = next(info for info in infos if info["name"] == "seed")
    assert seed["type"] == "DATA_TYPE_STRING" and seed["domainDiscrete"] == ["0", "1"]


def test_sweep_rows_hold_every_run_its_settings_and_scores(sweep):
    groups = hparams_session_groups(tensorboard_client(sweep))
    rows = {(g["hparams"]["model.name"], g["hparams"]["seed"]): g for g in groups}
    assert set(rows) == {("ae", "0"), ("ae", "1"), ("vae", "0"), ("vae", "1")}
    vae = rows["vae", "1"]
    assert vae["hparams"]["model.latent_dim"] == "10"  # an integer, shown as one
    assert vae["hparams"]["model.beta"] == 1.0 and "model.beta" not in rows["ae", "1"]["hparams"]
    assert vae["hparams"]["cluster.n_clusters"] == "null"  # rows keep the shared settings
    assert vae["hparams"]["trainer.deterministic"] is False
    assert vae["sessions"][0]["name"].endswith("3_model=vae,seed=1")
    values = {m["name"]["tag"]: m["value"] for m in vae["metricValues"]}
    assert values == pytest.approx(
        {
            "cluster/acc": 0.81,
            "cluster/nmi": 0.7,
            "cluster/ari": 0.6,
            "cluster/knn_modularity": 0.4,
            "cluster/silhouette_data": 0.2,
            "cluster/n_clusters": 10,
        }
    )


def test_runs_without_a_sweep_summary_are_read_by_inference(tmp_path):
    """Single runs (or a sweep still running): TensorBoard infers the columns from the
    sessions, so any folder of them has the right settings marked differing."""
    outputs = tmp_path / "outputs"
    _write_run(outputs / "2026-11-27" / "a", _config("ae", 0), _scores(0))
    _write_run(outputs / "2026-11-28" / "b", _config("vae", 0), _scores(0))
    _write_run(outputs / "2026-11-28" / "c", _config("vae", 1, data="mnist"), _scores(1))
    client = tensorboard_client(outputs)
    infos = hparams_experiment(client)["hparamInfos"]
    assert {i["name"] for i in infos if i.get("differs")} == {"model.name", "seed", "data.name"}
    assert "model.beta" in {info["name"] for info in infos}
    assert len(hparams_session_groups(client)) == 3


def _differing(client) -> list[str]:
    return [info["name"] for info in hparams_experiment(client)["hparamInfos"] if info["differs"]]


def test_outputs_as_a_whole_get_their_own_columns_and_each_sweep_keeps_its_own(tmp_path):
    """Two sweeps, each with its summary, and single runs: the summary over all of outputs/,
    in its root, is the one TensorBoard's Python loader finds first; without it, TensorBoard
    shows the columns of whichever sweep it met first."""
    outputs = tmp_path / "outputs"
    by_model = outputs / "multirun" / "2026-11-28" / "17-41-38_f5ede9"  # -m model=ae,vae
    for number, model in enumerate(("ae", "vae")):
        name = member_dir_name(number, f"model={model}")
        _write_run(by_model / name, _config(model, 0), _scores(0))
    by_data = outputs / "multirun" / "2026-11-29" / "09-12-00_0a1b2c"  # -m data=mnist,blobs
    for number, data in enumerate(("mnist", "blobs")):
        name = member_dir_name(number, f"data={data}")
        _write_run(by_data / name, _config("ae", 1, data), _scores(1))
    _write_run(outputs / "2026-11-27" / "08-00-00_aaaaaa", _config("ae", 2), _scores(2))
    _write_run(outputs / "2026-11-30" / "10-00-00_bbbbbb", _config("vae", 3), _scores(3))
    assert write_experiment(by_model) == 2 and write_experiment(by_data) == 2

    assert len(_differing(tensorboard_client(outputs))) == 1  # one sweep's columns
    assert write_experiment(outputs) == 6
    client = tensorboard_client(outputs)
    experiment = hparams_experiment(client)
    infos = experiment["hparamInfos"]
    assert _differing(client) == ["data.name", "model.name", "seed"]  # the default columns
    assert [info["name"] for info in infos] == ["data.name", "model.name", "seed", "model.beta"]
    assert [metric["name"]["tag"] for metric in experiment["metricInfos"]] == METRIC_TAGS
    seed = next(info for info in infos if info["name"] == "seed")
    assert seed["domainDiscrete"] == ["0", "1", "2", "3"]
    assert len(hparams_session_groups(client)) == 6

    # Each sweep dir, opened on its own, still shows its own columns.
    assert _differing(tensorboard_client(by_model)) == ["model.name"]
    assert _differing(tensorboard_client(by_data)) == ["data.name"]


def test_settings_that_follow_from_a_group_choice_are_columns_but_not_marked_differing(tmp_path):
    """`-m model=ae,gan` then a run of the GAN with another lr: the GAN's file sets another lr
    than the AE's, which does not make lr a swept setting; two GANs that differ in it do."""
    for number, model in enumerate(("ae", "gan")):
        config = _config(model, 0)
        config["model"]["lr"] = 0.0002 if model == "gan" else 0.001
        config["cluster"]["manifold"] = {"method": "tsne", "params": {"perplexity": 30}}
        _write_run(tmp_path / "sweep" / str(number), config, _scores(0))
    write_experiment(tmp_path / "sweep")
    infos = hparams_experiment(tensorboard_client(tmp_path / "sweep"))["hparamInfos"]
    assert [info["name"] for info in infos if info["differs"]] == ["model.name"]
    assert "model.lr" in {info["name"] for info in infos}  # a column all the same

    config = _config("gan", 0)
    config["model"]["lr"] = 0.001
    config["cluster"]["manifold"] = {"method": "tsne", "params": {"perplexity": 50}}
    _write_run(tmp_path / "single", config, _scores(0))
    write_experiment(tmp_path)
    differing = _differing(tensorboard_client(tmp_path))
    assert differing == ["cluster.manifold.params.perplexity", "model.lr", "model.name"]


def test_a_new_summary_replaces_the_folder_s_earlier_one(tmp_path):
    _write_run(tmp_path / "a", _config("ae", 0), _scores(0))
    write_experiment(tmp_path)
    _write_run(tmp_path / "b", _config("vae", 0), _scores(0))
    assert write_experiment(tmp_path) == 2
    assert [path.name for path in tmp_path.glob("*tfevents*")] == [EXPERIMENT_FILE]
    assert _differing(tensorboard_client(tmp_path)) == ["model.name"]


def test_a_run_still_writing_or_damaged_is_read_as_far_as_it_goes(tmp_path):
    run = tmp_path / "run"
    _write_run(run, _config("vae", 4), _scores(4))
    (events,) = run.glob("*tfevents*")
    with events.open("ab") as file:
        file.write(b"\x40\x00\x00\x00\x00\x00\x00\x00" + b"\x00" * 20)  # a record cut short
    (run / "events.out.tfevents.2.damaged").write_bytes(b"\x08" * 12 + b"cluster/acc")
    session, tags = read_session(run)
    assert session["seed"].string_value == "4" and session["model.name"].string_value == "vae"
    assert tags == set(METRIC_TAGS) | {"cluster/noise_fraction", "cluster/silhouette"}


def test_a_sweep_whose_members_agree_keeps_every_setting_as_a_column(tmp_path):
    for number in range(2):
        _write_run(tmp_path / str(number), _config("ae", 0), _scores(0))
    assert write_experiment(tmp_path) == 2
    infos = hparams_experiment(tensorboard_client(tmp_path))["hparamInfos"]
    assert len(infos) == len(hparam_values(_config("ae", 0))) and not any(
        info.get("differs") for info in infos
    )


def test_a_sweep_with_no_finished_member_writes_no_summary(tmp_path):
    (tmp_path / "0_model=ae").mkdir()
    assert write_experiment(tmp_path) == 0
    assert not list(tmp_path.glob("*tfevents*"))


def test_hparam_values_keep_integers_apart_from_floats():
    config = {"a": {"b": 3, "c": 0.5, "d": True, "e": None, "f": [1, 2], "g": "gmm", "h": {}}}
    values = {name: value.WhichOneof("kind") for name, value in hparam_values(config).items()}
    assert values == {
        "a.b": "string_value",
        "a.c": "number_value",
        "a.d": "bool_value",
        "a.e": "string_value",
        "a.f": "string_value",
        "a.g": "string_value",
        "a.h": "string_value",
    }
    assert hparam_values(config)["a.b"].string_value == "3"


def test_member_dir_names_are_safe_bounded_and_distinct():
    long_a = "data.path=/data/" + "x" * 200 + "/a.csv,model=vae"
    long_b = "data.path=/data/" + "x" * 200 + "/b.csv,model=vae"
    name_a, name_b = member_dir_name(7, long_a), member_dir_name(7, long_b)
    assert name_a != name_b and len(name_a) == len("7_") + MAX_OVERRIDES_NAME
    assert "/" not in name_a and " " not in member_dir_name(0, "data.path=my file.csv")
    assert member_dir_name(3, "model=gan,seed=0") == "3_model=gan,seed=0"


def test_projector_files_are_read_back_by_tensorboard(tmp_path):
    rng = np.random.default_rng(0)
    run = tmp_path / "run"
    writer = SummaryWriter(str(run))  # the Projector lists runs that hold event files
    writer.add_scalar("loss", 1.0, 0)
    writer.close()
    codes = rng.normal(size=(30, 4)).astype(np.float32)
    clusters = np.arange(30) % 3
    clusters[0] = -1  # noise
    labels = np.arange(30) % 2
    images = rng.random(size=(30, 1, 6, 6)).astype(np.float32)
    rows = np.arange(30) * 2
    write_projector(run, rows, codes, clusters, labels, ["even", "odd"], images)

    client = tensorboard_client(tmp_path)
    assert json.loads(client.get("/data/plugin/projector/runs").get_data()) == ["run"]
    info = json.loads(client.get("/data/plugin/projector/info?run=run").get_data())
    (embedding,) = info["embeddings"]
    assert embedding["tensorName"] == TENSOR_NAME and embedding["tensorShape"] == [30, 4]
    assert embedding["sprite"]["singleImageDim"] == [6, 6]
    query = f"run=run&name={TENSOR_NAME}"
    tensor = np.frombuffer(client.get(f"/data/plugin/projector/tensor?{query}").get_data(), "<f4")
    np.testing.assert_allclose(tensor.reshape(30, 4), codes, rtol=1e-5)
    metadata = client.get(f"/data/plugin/projector/metadata?{query}").get_data(as_text=True)
    lines = metadata.splitlines()
    assert lines[0] == "label\tcluster\trow" and len(lines) == 31
    assert lines[1] == "even\tnoise\t0" and lines[2] == "odd\t1\t2"
    sprite = client.get(f"/data/plugin/projector/sprite_image?{query}")
    assert sprite.status_code == 200
    (run / "sprite.png").write_bytes(sprite.get_data())
    picture = np.asarray(Image.open(run / "sprite.png"), dtype=np.float32) / 255
    assert picture.shape == (36, 36)  # 6 × 6 thumbnails of 6 × 6 pixels
    np.testing.assert_allclose(picture[6:12, 0:6], images[6, 0], atol=1 / 255)  # row 1, col 0
    assert (run / CONFIG_FILE).is_file()


def test_a_real_sweep_is_named_by_its_overrides_and_compared_in_hparams(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.argv", ["genclust"])  # the CLI replaces it for Hydra
    sweep = tmp_path / "sweep"
    quick = ["data=blobs", "data.n_samples=100", "trainer.max_epochs=1", "embed=none"]
    quick.append("cluster/manifold=none")
    main(["train", "-m", "model=ae,vae", *quick, f"hydra.sweep.dir={sweep}"])
    names = sorted(path.name for path in sweep.iterdir() if path.is_dir())
    assert names == ["0_model=ae", "1_model=vae"]  # the swept key only: what tells them apart
    client = tensorboard_client(sweep)
    experiment = hparams_experiment(client)
    infos = experiment["hparamInfos"]
    assert [info["name"] for info in infos if info.get("differs")] == ["model.name"]
    assert "model.beta" in {info["name"] for info in infos}
    assert [m["name"]["tag"] for m in experiment["metricInfos"]] == METRIC_TAGS
    groups = hparams_session_groups(client)
    assert sorted(g["sessions"][0]["name"] for g in groups) == names
    for group in groups:  # each row's scores are its run's metrics.json
        run = json.loads((sweep / group["sessions"][0]["name"] / "metrics.json").read_text())
        values = {m["name"]["tag"]: m["value"] for m in group["metricValues"]}
        assert values["cluster/acc"] == pytest.approx(run["acc"])
        assert values["cluster/n_clusters"] == run["n_clusters"]
