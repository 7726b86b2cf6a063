"""Every model trains real Lightning steps and honours the encode contract."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from tests.conftest import compose_train, fit_briefly, options

from genclust.config.load import validate
from genclust.data.arrays import ArrayData
from genclust.data.datamodule import ArrayDataModule
from genclust.errors import UserError
from genclust.models import MODELS, build_model, load_trained_model
from genclust.models.adversarial import AdversarialModel
from genclust.models.base import RNG_STATE
from genclust.models.loss_record import LossRecord, NonFiniteLossError
from genclust.models.vae import gaussian_kl

TRAINABLE = sorted(set(MODELS) - {"raw"})  # raw has no parameters: tested on its own below


def _data(shape: tuple[int, ...], value_range: str = "unit", n: int = 64) -> ArrayData:
    rng = np.random.default_rng(0)
    x = rng.random((n, *shape), dtype=np.float32)
    if value_range == "real":
        x = (x - 0.5) * 4
    y = rng.integers(0, 3, n)
    image_shape = shape if len(shape) == 3 else None
    return ArrayData(x=x, y=y, name="toy", value_range=value_range, image_shape=image_shape)


@pytest.mark.parametrize("name", TRAINABLE)
@pytest.mark.parametrize(
    ("shape", "value_range", "architecture"),
    [((12,), "real", "mlp"), ((1, 16, 16), "unit", "conv")],
)
def test_model_trains_and_encodes(name, shape, value_range, architecture, tmp_path):
    datamodule = ArrayDataModule(_data(shape, value_range), batch_size=16, seed=0)
    changes = {"latent_dim": 3, "hidden_dims": [16], "architecture": architecture}
    if name in ("vade", "dec"):
        changes["pretrain_epochs"] = 0  # skip pretraining: the cluster parameters must train too
    model = build_model(
        options("model", name, **changes),
        datamodule.input_shape,
        datamodule.value_range,
        datamodule.image_shape,
        datamodule.n_classes,
    )
    before = [p.detach().clone() for p in model.parameters()]
    trainer = fit_briefly(model, datamodule, max_steps=4)

    assert trainer.global_step > 0
    changed = [not torch.equal(b, p) for b, p in zip(before, model.parameters(), strict=True)]
    assert all(changed), f"{name}: some parameters never received an update"
    z = model.encode(datamodule.x[:10])
    assert z.ndim == 2 and len(z) == 10
    assert torch.isfinite(z).all()
    assert all(np.isfinite(float(v)) for v in trainer.callback_metrics.values())
    if model.assigns_clusters:
        clusters = model.cluster_assign(datamodule.x[:10])
        assert clusters.shape == (10,) and clusters.dtype == torch.int64
        assert clusters.min() >= 0 and clusters.max() < datamodule.n_classes

    # Its checkpoint holds only plain values besides tensors, and restores the same model.
    trainer.save_checkpoint(tmp_path / "model.ckpt")
    checkpoint = torch.load(tmp_path / "model.ckpt", weights_only=True)
    restored = load_trained_model(name, checkpoint, tmp_path / "model.ckpt")
    assert type(restored) is type(model) and restored.options == model.options
    model.eval()
    torch.testing.assert_close(restored.encode(datamodule.x), model.encode(datamodule.x))
    if model.assigns_clusters:
        x = datamodule.x
        assert torch.equal(restored.cluster_assign(x), model.cluster_assign(x))


def test_a_checkpoint_of_another_model_is_refused(tmp_path):
    datamodule = ArrayDataModule(_data((6,), "real"), batch_size=16, seed=0)
    model = build_model(options("model", "ae", latent_dim=2), datamodule.input_shape, "real")
    trainer = fit_briefly(model, datamodule, max_steps=1)
    trainer.save_checkpoint(tmp_path / "ae.ckpt")
    checkpoint = torch.load(tmp_path / "ae.ckpt", weights_only=True)
    with pytest.raises(UserError, match="holds a model=ae, not model=vae"):
        load_trained_model("vae", checkpoint, tmp_path / "ae.ckpt")
    checkpoint["hyper_parameters"] = {"latent_dim": 2}  # not a genclust model's
    with pytest.raises(UserError, match="was not written by this version's model=ae"):
        load_trained_model("ae", checkpoint, tmp_path / "ae.ckpt")


@pytest.mark.parametrize("name", TRAINABLE)
def test_generated_and_reconstructed_images_are_data_shaped(name):
    datamodule = ArrayDataModule(_data((1, 8, 8)), batch_size=16, seed=0)
    model = build_model(
        options("model", name, latent_dim=2, hidden_dims=[8]),
        datamodule.input_shape,
        datamodule.value_range,
        datamodule.image_shape,
        datamodule.n_classes,
    )
    reconstruction = model.reconstruct(datamodule.x[:5])
    assert reconstruction is None or reconstruction.shape == (5, 1, 8, 8)
    samples = model.sample(4)
    assert samples is None or samples.shape == (4, 1, 8, 8)
    for images in (reconstruction, samples):
        if images is not None:  # Bernoulli / sigmoid outputs are probabilities
            assert images.min() >= 0 and images.max() <= 1


def test_vae_kl_matches_torch_distributions():
    torch.manual_seed(0)
    mean, log_var = torch.randn(5, 4), torch.randn(5, 4)
    posterior = torch.distributions.Normal(mean, (0.5 * log_var).exp())
    prior = torch.distributions.Normal(torch.zeros(4), torch.ones(4))
    expected = torch.distributions.kl_divergence(posterior, prior).sum(1).mean()
    torch.testing.assert_close(gaussian_kl(mean, log_var), expected)


def test_vae_kl_is_zero_at_the_prior():
    assert gaussian_kl(torch.zeros(3, 2), torch.zeros(3, 2)).item() == 0.0


def test_non_finite_loss_stops_training_and_names_the_step():
    data = _data((6,), "real")
    huge = ArrayData(x=data.x * 1e20, y=data.y, name="huge", value_range="real", image_shape=None)
    datamodule = ArrayDataModule(huge, batch_size=16, seed=0)
    model = build_model(options("model", "ae", latent_dim=2), datamodule.input_shape, "real")
    with pytest.raises(NonFiniteLossError, match=r"loss/reconstruction became inf at step 0"):
        fit_briefly(model, datamodule, max_steps=4)


def test_losses_are_checked_together_and_the_first_bad_step_is_named():
    record = LossRecord()
    for step in range(5):
        bad = step in (2, 4)
        record.add(step, {"a": torch.tensor(1.0), "b": torch.tensor(math.nan if bad else 2.0)})
    with pytest.raises(NonFiniteLossError, match=r"^b became nan at step 2 \(epoch 7\)"):
        record.settle(epoch=7)


def test_epoch_means_cover_every_step_between_settles():
    record = LossRecord()
    for step, value in enumerate([1.0, 2.0, 3.0, 6.0]):
        record.add(step, {"loss": torch.tensor(value), "twice": torch.tensor(2 * value)})
        if step == 1:
            assert record.settle(epoch=0) == {"loss": 2.0, "twice": 4.0}  # the last step's
    assert record.epoch_means(epoch=0) == {"loss": 3.0, "twice": 6.0}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["model=vae", "model.latent_dim=0"], "model.latent_dim"),
        (["model=vae", "model.latent_dim=ten"], "model.latent_dim"),
        (["model=vae", "model.beta=-1"], "model.beta"),
        (["model=ae", "+model.latnt_dim=4"], "model.latnt_dim: no such option; did you mean"),
        (["model=gan", "model.architecture=transformer"], "model.architecture"),
        (["model=vae", "model.name=vea"], "model.name: 'vea' is not one of"),
    ],
)
def test_bad_model_options_are_user_errors(overrides, message):
    with pytest.raises(UserError, match=message):
        validate("train", compose_train(*overrides))


def test_conv_needs_images():
    with pytest.raises(UserError, match="model.architecture=conv needs images"):
        build_model(options("model", "vae", architecture="conv"), (12,), "real")


def test_raw_codes_are_the_flattened_samples_and_nothing_trains():
    datamodule = ArrayDataModule(_data((1, 4, 4)), batch_size=16, seed=0)
    model = build_model(options("model", "raw"), datamodule.input_shape, "unit", (1, 4, 4))
    assert not list(model.parameters())
    fit_briefly(model, datamodule, max_steps=4)
    torch.testing.assert_close(model.encode(datamodule.x), datamodule.x.flatten(1))


def test_the_encoders_code_loss_is_the_squared_norm_summed_over_the_code():
    # ‖E(G(z)) − z‖² per sample, as ClusterGAN's β_n term, then the batch mean: (5 + 25) / 2.
    estimate, code = torch.zeros(2, 2), torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    torch.testing.assert_close(AdversarialModel.code_regression(estimate, code), torch.tensor(15.0))


def test_the_checkpoint_keeps_the_rng_state_and_gives_it_back(tmp_path):
    datamodule = ArrayDataModule(_data((12,), "real"), batch_size=16, seed=0)
    model = build_model(options("model", "vae", latent_dim=2, hidden_dims=[8]), (12,), "real")
    trainer = fit_briefly(model, datamodule, max_steps=1)
    trainer.save_checkpoint(tmp_path / "model.ckpt")
    saved = torch.get_rng_state()
    checkpoint = torch.load(tmp_path / "model.ckpt", weights_only=True)
    (state,) = checkpoint[RNG_STATE]  # one process: one state (CUDA's too, on a GPU)
    assert set(state) == {"cpu"} and torch.equal(state["cpu"], saved)

    torch.rand(5)  # the stream moves on; loading the checkpoint puts it back
    model.on_load_checkpoint(checkpoint)
    assert torch.equal(torch.get_rng_state(), saved)
    torch.rand(5)
    model.on_load_checkpoint({RNG_STATE: saved})  # as checkpoints stored it before: one tensor
    assert torch.equal(torch.get_rng_state(), saved)
