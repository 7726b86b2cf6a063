"""GANs with an inverse encoder, the shape GAN and ClusterGAN share (Mukherjee et al. 2019).

The decoder is the generator; a critic (a GAN's discriminator) judges real against generated
samples; the encoder is trained beside the generator to invert it, E(G(z)) ≈ z, so that it
encodes real data. Lightning 2.x manual optimisation runs two Adam optimizers each batch: the
critic's, then the generator's and encoder's together.
"""

from __future__ import annotations

from functools import partial

import torch
from pytorch_lightning.core.optimizer import LightningOptimizer
from torch import nn

from genclust.models.encoder_decoder import EncoderDecoder


class AdversarialModel(EncoderDecoder):
    leaves_parameters_unused = True  # each player's update leaves the other's weights alone

    def build_networks(self) -> None:
        self.decoder = self.new_decoder(self.decoder_width)  # the generator
        self.critic = self.new_encoder(1, partial(nn.LeakyReLU, 0.2))
        self.encoder = self.new_encoder(self.encoder_width)

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        """The generator's sample for ``code``, as data (in [0, 1] for data in [0, 1])."""
        out = self.decoder(code)
        return torch.sigmoid(out) if self.value_range == "unit" else out

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        generator_and_encoder = [*self.decoder.parameters(), *self.encoder.parameters()]
        return [self.adam(self.critic.parameters()), self.adam(generator_and_encoder)]

    def update_critic(self, optimizer: LightningOptimizer, loss: torch.Tensor) -> None:
        """One critic update from ``loss``; it does not count as a training step."""
        optimizer.zero_grad()
        self.manual_backward(loss)
        # What LightningOptimizer.step does, less the count: global_step (so max_steps and
        # TensorBoard's x-axis) counts batches, however many updates a batch makes.
        self.trainer.strategy.optimizer_step(optimizer.optimizer, closure=_no_closure)

    @staticmethod
    def code_regression(estimate: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """The encoder's loss on generated samples: ‖E(G(z)) − z‖², summed over the code's
        dimensions and averaged over the batch: the β_n term of Mukherjee et al. (2019), whose
        formula is a squared norm (a per-coordinate mean would weigh it 1/latent_dim as much)."""
        return (estimate - code).pow(2).sum(dim=1).mean()

    def update_generator(self, optimizer: LightningOptimizer, loss: torch.Tensor) -> None:
        """The generator's and encoder's update from ``loss``: the batch's one counted step."""
        optimizer.zero_grad()
        self.manual_backward(loss)
        optimizer.step()


def _no_closure() -> None:
    return None
