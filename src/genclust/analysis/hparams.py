"""TensorBoard's HPARAMS tab: one session per run, one experiment summary per sweep.

How the hparams plugin picks its columns (tensorboard/plugins/hparams/backend_context.py):
if any run holds an experiment summary, it takes the first one it finds, as it is; only if
none does, it infers one from every run's session start info — each setting that takes more
than one value is marked ``differs``, and the metric columns are then every scalar tag of the
runs (losses included), sorted by name. The table ticks the first five settings, differing
ones first, and the first five metrics.

So a run writes only its session (its settings, and its status at the end) and its metric
scalars; a folder of runs is then read by inference, which is right for any folder. A sweep,
once finished, writes one experiment summary over its members: as columns, the settings that
tell them apart (those whose values differ, marked ``differs``, and those only some members
have), and HPARAMS_METRICS as the metric columns, in order. Settings every member shares are
no columns there (a column of one value says nothing, and would take one of the five default
columns); each row still carries them, and so does each run's .hydra/config.yaml.
The hparams plugin shows a number with five significant digits (seed 0 as ``0.0000``), so
integers are written as strings.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from google.protobuf import struct_pb2
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from genclust.config.flat import flatten
from genclust.config.metrics import ACC, ARI, N_CLUSTERS, NMI, SILHOUETTE

# The metric columns of HPARAMS, in this order: agreement with the labels, then the label-free
# score(s), then the number of clusters. A new score goes in here.
HPARAMS_METRICS = (ACC, NMI, ARI, SILHOUETTE, N_CLUSTERS)
METRIC_TAG_PREFIX = "cluster/"  # scalar tag of each metric: cluster/acc, ...
EVENT_FILES = "*tfevents*"


def metric_tag(name: str) -> str:
    return METRIC_TAG_PREFIX + name


def hparam_values(config: Mapping[str, Any]) -> dict[str, struct_pb2.Value]:
    """Every setting of ``config`` under its dotted name (``model.latent_dim``), as TensorBoard
    values: booleans and floats as such, integers as strings (so they print as integers),
    null as ``"null"``, lists as their text."""
    values = {}
    for name, value in flatten(config).items():
        if isinstance(value, bool):
            values[name] = struct_pb2.Value(bool_value=value)
        elif isinstance(value, float):
            values[name] = struct_pb2.Value(number_value=value)
        else:
            text = "null" if value is None else str(value)
            values[name] = struct_pb2.Value(string_value=text)
    return values


def write_session(
    writer: Any, config: Mapping[str, Any], scores: Mapping[str, Any], step: int = 0
) -> None:
    """One run's session for HPARAMS: its settings, each numeric score as the scalar
    ``cluster/<name>`` at ``step``, and a successful end.

    ``writer``: a ``torch.utils.tensorboard.SummaryWriter`` (a Lightning logger's
    ``experiment``), whose file writer takes raw summaries as Lightning's own hparams code does.
    """
    now = time.time()
    start = plugin_data_pb2.SessionStartInfo(start_time_secs=now)
    for name, value in hparam_values(config).items():
        start.hparams[name].CopyFrom(value)
    file_writer = writer._get_file_writer()
    file_writer.add_summary(_summary(metadata.SESSION_START_INFO_TAG, session_start_info=start))
    for name, value in scores.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            writer.add_scalar(metric_tag(name), value, step)
    end = plugin_data_pb2.SessionEndInfo(status=api_pb2.STATUS_SUCCESS, end_time_secs=now)
    file_writer.add_summary(_summary(metadata.SESSION_END_INFO_TAG, session_end_info=end))
    writer.flush()


def experiment_summary(
    sessions: Iterable[Mapping[str, struct_pb2.Value]], metric_tags: Iterable[str]
) -> summary_pb2.Summary:
    """The experiment summary over ``sessions`` (each a run's settings): the settings that
    differ between sessions (``differs``) or that only some sessions have (all settings if
    none do), and the HPARAMS_METRICS found in ``metric_tags`` as metrics, in that order."""
    sessions = list(sessions)
    by_name: dict[str, list[struct_pb2.Value]] = {}
    for session in sessions:
        for name, value in session.items():
            by_name.setdefault(name, []).append(value)
    infos = [_hparam_info(name, by_name[name]) for name in sorted(by_name)]
    apart = [i for i in infos if i.differs or len(by_name[i.name]) < len(sessions)]
    found = set(metric_tags)
    experiment = api_pb2.Experiment(
        hparam_infos=apart or infos,
        metric_infos=[
            api_pb2.MetricInfo(name=api_pb2.MetricName(tag=metric_tag(name)), display_name=name)
            for name in HPARAMS_METRICS
            if metric_tag(name) in found
        ],
        time_created_secs=time.time(),
    )
    return _summary(metadata.EXPERIMENT_TAG, experiment=experiment)


def write_sweep_experiment(sweep_dir: str | Path) -> int:
    """Write the experiment summary of the sweep in ``sweep_dir`` (one event file there), over
    the members (its subdirs) that wrote a session; return their number (0: nothing written)."""
    sessions, tags = [], set()
    for member in sorted(path for path in Path(sweep_dir).iterdir() if path.is_dir()):
        session, member_tags = read_session(member)
        if session is not None:
            sessions.append(session)
            tags |= member_tags
    if not sessions:
        return 0
    writer = EventFileWriter(str(sweep_dir), filename_suffix=".sweep")
    writer.add_event(
        event_pb2.Event(wall_time=time.time(), summary=experiment_summary(sessions, tags))
    )
    writer.close()
    return len(sessions)


def read_session(run_dir: Path) -> tuple[dict[str, struct_pb2.Value] | None, set[str]]:
    """The settings of the session written in ``run_dir`` (None if none) and its summary tags."""
    session, tags = None, set()
    for path in sorted(run_dir.glob(EVENT_FILES)):
        for event in EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                tags.add(value.tag)
                if value.tag == metadata.SESSION_START_INFO_TAG:
                    content = value.metadata.plugin_data.content
                    session = dict(metadata.parse_session_start_info_plugin_data(content).hparams)
    return session, tags


def _hparam_info(name: str, values: Sequence[struct_pb2.Value]) -> api_pb2.HParamInfo:
    kinds = {value.WhichOneof("kind") for value in values}
    if kinds == {"number_value"}:
        numbers = [value.number_value for value in values]
        return api_pb2.HParamInfo(
            name=name,
            type=api_pb2.DATA_TYPE_FLOAT64,
            domain_interval=api_pb2.Interval(min_value=min(numbers), max_value=max(numbers)),
            differs=len(set(numbers)) > 1,
        )
    if kinds == {"bool_value"}:
        flags = sorted({value.bool_value for value in values})
        return api_pb2.HParamInfo(
            name=name,
            type=api_pb2.DATA_TYPE_BOOL,
            domain_discrete=struct_pb2.ListValue(
                values=[struct_pb2.Value(bool_value=flag) for flag in flags]
            ),
            differs=len(flags) > 1,
        )
    texts = sorted({_text(value) for value in values})
    return api_pb2.HParamInfo(
        name=name,
        type=api_pb2.DATA_TYPE_STRING,
        domain_discrete=struct_pb2.ListValue(
            values=[struct_pb2.Value(string_value=text) for text in texts]
        ),
        differs=len(texts) > 1,
    )


def _text(value: struct_pb2.Value) -> str:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return str(value.bool_value).lower()
    return repr(value.number_value)


def _summary(tag: str, **plugin_data: Any) -> summary_pb2.Summary:
    content = plugin_data_pb2.HParamsPluginData(**plugin_data)
    return summary_pb2.Summary(
        value=[
            summary_pb2.Summary.Value(
                tag=tag,
                metadata=metadata.create_summary_metadata(content),
                tensor=metadata.NULL_TENSOR,
            )
        ]
    )
