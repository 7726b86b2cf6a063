"""DEC's ``model.init=tsne|umap``: the codes grouped N2D's way, by the analysis' manifold code.

A GMM on a t-SNE or UMAP map of the codes finds the groups. The map's settings are those of
the shipped conf/cluster/manifold/<method>.yaml, so the centroids start from the same map that
``cluster/manifold=<method>`` clusters. The model gets the grouping as a function and so knows
nothing of the analysis.
"""

from __future__ import annotations

from functools import partial
from importlib.resources import files

import numpy as np
from omegaconf import OmegaConf
from sklearn.mixture import GaussianMixture

from genclust.analysis.manifold import check_manifold_options, learn_manifold
from genclust.config.analysis import ManifoldOptions
from genclust.config.overrides import CONF_PACKAGE
from genclust.errors import UserError
from genclust.models.dec import GroupCodes


def manifold_grouping(method: str) -> GroupCodes:
    """(codes, number of groups, seed) → the group of each code, on a ``method`` map."""
    manifold = shipped_manifold(method)
    try:  # before training: e.g. umap-learn missing
        check_manifold_options(manifold.method, manifold.n_components, manifold.params)
    except UserError as error:
        raise UserError(f"model.init={method}: {error}") from None

    # A partial of a module function, not a closure: ddp_spawn pickles the model it belongs to.
    return partial(_group_on_manifold, manifold)


def _group_on_manifold(
    manifold: ManifoldOptions, codes: np.ndarray, n_groups: int, seed: int
) -> np.ndarray:
    mapped = learn_manifold(codes, manifold.method, manifold.n_components, seed, manifold.params)
    return GaussianMixture(n_groups, random_state=seed).fit_predict(mapped)


def shipped_manifold(method: str) -> ManifoldOptions:
    """The options of conf/cluster/manifold/<method>.yaml as shipped."""
    text = files(CONF_PACKAGE).joinpath(f"cluster/manifold/{method}.yaml").read_text()
    return ManifoldOptions.model_validate(OmegaConf.to_container(OmegaConf.create(text)))
