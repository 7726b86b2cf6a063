"""The encoder–decoder family every trained model belongs to, in the manner of pythae.

An encoder maps a sample to a vector, a decoder maps a code back to a sample; both follow the
data's shape (models/networks.py) and the options every such model has (``latent_dim``,
``hidden_dims``, ``architecture``, ``lr``). A GAN's generator is its decoder. A model adds only
what is its own: the widths of its code, its loss, and any network of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn

from genclust.config.models import NetworkOptions
from genclust.models.base import DataFacts, GenerativeModel
from genclust.models.networks import build_decoder, build_encoder, pick_architecture


class EncoderDecoder(GenerativeModel):
    adam_betas = (0.9, 0.999)  # torch's default; the GANs use their papers'

    def __init__(self, options: NetworkOptions, data: DataFacts) -> None:
        super().__init__(options, data)
        self.architecture = pick_architecture(options.architecture, self.input_shape)
        self.build_networks()

    @property
    def encoder_width(self) -> int:
        """Size of the encoder's output (a VAE's holds mean and log-variance)."""
        return self.options.latent_dim

    @property
    def decoder_width(self) -> int:
        """Size of the decoder's input."""
        return self.options.latent_dim

    def build_networks(self) -> None:
        """The model's networks, in the order their initial weights are drawn."""
        self.encoder = self.new_encoder(self.encoder_width)
        self.decoder = self.new_decoder(self.decoder_width)

    def new_encoder(
        self, out_dim: int, activation: Callable[[], nn.Module] = nn.ReLU
    ) -> nn.Sequential:
        """A network from a sample to ``out_dim`` values (a critic is one with out_dim 1)."""
        hidden_dims = self.options.hidden_dims
        return build_encoder(self.input_shape, out_dim, hidden_dims, self.architecture, activation)

    def new_decoder(self, in_dim: int) -> nn.Sequential:
        """A network from ``in_dim`` values to an unbounded sample (logits or means)."""
        return build_decoder(in_dim, self.input_shape, self.options.hidden_dims, self.architecture)

    def adam(self, parameters: Iterable[nn.Parameter]) -> torch.optim.Adam:
        return torch.optim.Adam(parameters, lr=self.options.lr, betas=self.adam_betas)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return self.adam(self.parameters())
