"""``genclust <command> --help``: what the command does, its config groups with a line on each
option (taken from the comments of the shipped conf/), its top-level keys, and examples."""

from __future__ import annotations

import re
from importlib.resources import files

import yaml

from genclust.config.overrides import CONF_PACKAGE, config_groups

EXAMPLES = {
    "train": [
        ("genclust train", "VAE on digits, k-means on a t-SNE map"),
        (
            "genclust train model=vae data=fashion_mnist cluster=gmm",
            "another model, data, clusterer",
        ),
        ("genclust train -m model=ae,vae seed=0,1,2", "a sweep: one run dir per combination"),
        ("genclust train experiment=fmnist_n2d", "a published set-up as one recipe"),
        ("genclust train resume=<run dir>", "go on after a crash, kill or Ctrl-C"),
        ("genclust train --cfg job", "print the composed config without running"),
    ],
    "cluster": [
        ("genclust cluster run=<run dir> cluster=hdbscan", "cluster a finished run's codes again"),
        ("genclust cluster -m run=<run dir> cluster=kmeans,gmm", "several clusterers at once"),
    ],
    "predict": [
        ("genclust predict run=<run dir> data=csv data.path=new.csv", "clusters for new data"),
        ("genclust predict run=<run dir> clustering=<folder>", "use a `genclust cluster` result"),
    ],
}
_WIDTH = 96
_COMMENT = re.compile(r"#\s?(.*)")
_TOP_LEVEL_KEY = re.compile(r"^(\w+):\s*(.*?)\s*#\s*(.*)$")


def command_help(command: str) -> str:
    """The help page of ``genclust <command>`` (train, cluster or predict)."""
    text = _read(f"{command}.yaml")
    lines = [f"genclust {command}: {_description(text).removeprefix(f'genclust {command}: ')}"]
    lines += ["", f"usage: genclust {command} [group=option ...] [key=value ...] [-m] [--cfg job]"]
    lines += ["", "Config groups (group=option; * marks the default):"]
    for group, default in _groups_of(text):
        lines.append(f"  {group}")
        for option in config_groups()[group]:
            mark = "*" if option == default else " "
            about = _description(_read(f"{group}/{option}.yaml"))
            lines.append(_fit(f"   {mark}{option:<18} {about}"))
    lines += ["", "Top-level options (key=value):"]
    for key, value, about in _top_level_keys(text):
        lines.append(_fit(f"    {key}={value:<14} {about}"))
    lines += [
        "",
        "Any option inside a group: group.key=value (model.latent_dim=16); every option",
        "with its value: genclust " + command + " --cfg job.",
        "",
        "Examples:",
    ]
    lines += [f"  {example:<58} {about}" for example, about in EXAMPLES[command]]
    return "\n".join(lines) + "\n"


def _read(relative: str) -> str:
    return files(CONF_PACKAGE).joinpath(relative).read_text()


def _description(text: str) -> str:
    """The first sentence of a config file's leading comment."""
    comment = []
    for line in text.splitlines():
        match = _COMMENT.match(line.strip())
        if match is None:
            if comment:
                break
            continue
        if not match.group(1).startswith("@package"):
            comment.append(match.group(1))
    sentence = re.split(r"(?<=[.;])\s", " ".join(comment), maxsplit=1)[0]
    return sentence.rstrip(".;")


def _groups_of(text: str) -> list[tuple[str, str | None]]:
    """(group, default option) for each group of a command's defaults list, nested ones too."""
    defaults = yaml.safe_load(text).get("defaults", [])
    groups = []
    for entry in defaults:
        if not isinstance(entry, dict):
            continue
        ((key, default),) = entry.items()
        group = key.removeprefix("optional ").removeprefix("override ")
        groups.append((group, default))
        for nested in sorted(config_groups()):
            if nested.startswith(f"{group}/"):
                groups.append((nested, None))
    return groups


def _top_level_keys(text: str) -> list[tuple[str, str, str]]:
    keys = []
    for line in text.splitlines():
        match = _TOP_LEVEL_KEY.match(line)
        if match and match.group(1) not in ("defaults", "hydra"):
            keys.append(match.groups())
    return keys


def _fit(line: str) -> str:
    return line if len(line) <= _WIDTH else line[: _WIDTH - 1] + "…"
