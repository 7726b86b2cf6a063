"""Network builders shared by every model: an MLP for vectors, a small conv net for images.

Encoders map a sample to a flat vector (latent code, posterior parameters or a critic score);
decoders map a latent code back to a sample. Which family is used follows the data's shape.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from torch import nn

from genclust.errors import UserError

ARCHITECTURES = ("auto", "mlp", "conv")
_CONV_CHANNELS = (32, 64)  # two stride-2 convolutions: H, W shrink by 4


def pick_architecture(requested: str, input_shape: Sequence[int]) -> str:
    """Resolve ``auto``: conv for images whose sides the two stride-2 layers divide, else mlp."""
    if requested not in ARCHITECTURES:
        raise UserError(f"model.architecture must be one of {ARCHITECTURES} (got {requested!r})")
    is_image = len(input_shape) == 3
    if requested == "conv" and not (is_image and _conv_fits(input_shape)):
        raise UserError(
            f"model.architecture=conv needs images with sides divisible by 4 "
            f"(data samples have shape {tuple(input_shape)}); use model.architecture=mlp"
        )
    if requested == "auto":
        return "conv" if is_image and _conv_fits(input_shape) and input_shape[1] >= 16 else "mlp"
    return requested


def _conv_fits(shape: Sequence[int]) -> bool:
    return shape[1] % 4 == 0 and shape[2] % 4 == 0


def build_encoder(
    input_shape: Sequence[int],
    out_dim: int,
    hidden_dims: Sequence[int],
    architecture: str,
    activation: Callable[[], nn.Module] = nn.ReLU,
) -> nn.Sequential:
    """Sample of ``input_shape`` → vector of ``out_dim``."""
    if architecture == "conv":
        channels, height, width = input_shape
        c1, c2 = _CONV_CHANNELS
        return nn.Sequential(
            nn.Conv2d(channels, c1, 4, stride=2, padding=1),
            activation(),
            nn.Conv2d(c1, c2, 4, stride=2, padding=1),
            activation(),
            nn.Flatten(),
            *_mlp([c2 * (height // 4) * (width // 4), *hidden_dims, out_dim], activation),
        )
    return nn.Sequential(
        nn.Flatten(), *_mlp([math.prod(input_shape), *hidden_dims, out_dim], activation)
    )


def build_decoder(
    latent_dim: int,
    output_shape: Sequence[int],
    hidden_dims: Sequence[int],
    architecture: str,
    activation: Callable[[], nn.Module] = nn.ReLU,
) -> nn.Sequential:
    """Latent code → unbounded sample of ``output_shape`` (logits or means; the loss decides)."""
    reversed_hidden = list(reversed(hidden_dims))
    if architecture == "conv":
        channels, height, width = output_shape
        c1, c2 = _CONV_CHANNELS
        grid = (c2, height // 4, width // 4)
        return nn.Sequential(
            *_mlp([latent_dim, *reversed_hidden, math.prod(grid)], activation),
            activation(),
            nn.Unflatten(1, grid),
            nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1),
            activation(),
            nn.ConvTranspose2d(c1, channels, 4, stride=2, padding=1),
        )
    return nn.Sequential(
        *_mlp([latent_dim, *reversed_hidden, math.prod(output_shape)], activation),
        nn.Unflatten(1, tuple(output_shape)),
    )


def _mlp(sizes: Sequence[int], activation: type[nn.Module]) -> list[nn.Module]:
    """Linear layers with ``activation`` between them (none after the last)."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    return layers
