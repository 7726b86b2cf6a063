"""TensorBoard's HPARAMS tab: one session per run, one experiment summary per folder to view.

How the hparams plugin picks its columns (tensorboard/plugins/hparams/backend_context.py):
if any run holds an experiment summary, it takes the first one it finds, as it is; only if
none does, it infers one from every run's session start info — each setting that takes more
than one value is marked ``differs``, and the metric columns are then every scalar tag of the
runs (losses included), sorted by name. The table ticks the first five settings, differing
ones first, and the first five metrics.

So a run writes only its session (its settings, and its status at the end) and its metric
scalars; a folder of runs to compare gets one experiment summary over every session below it,
in its own root (``write_experiment``): as columns, the settings that tell the runs apart
(those whose values differ, and those only some runs have), and HPARAMS_METRICS as the metric
columns, in order. A setting is marked ``differs`` only when runs that chose the same option
of its config group differ in it: ``-m model=ae,gan`` marks model.name, not the learning rate
each model's file sets, so the five default columns go to what was swept. Settings every run
shares are no columns there (a column of one value says nothing); each row still carries them,
and so does each run's .hydra/config.yaml. The hparams plugin shows a number with five
significant digits (seed 0 as ``0.0000``), so integers are written as strings.

Which summary is "first" when a folder holds several (a sweep's inside outputs/) depends on
the data provider: TensorBoard's Python loader (``--load_fast=false``) lists runs in the order
it walked the logdir, top folder first, so the summary in the logdir itself wins; the Rust
data server (the default when installed) keeps runs in a hash map, so its pick is arbitrary.
"""

from __future__ import annotations

import os
import struct
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from google.protobuf import struct_pb2
from google.protobuf.message import DecodeError
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2
from tensorboard.summary.writer.record_writer import RecordWriter

from genclust.config.flat import flatten
from genclust.config.metrics import ACC, ARI, LABEL_FREE_METRICS, N_CLUSTERS, NMI
from genclust.rundir.files import write_atomic

# The metric columns of HPARAMS, in this order: agreement with the labels, then the label-free
# score(s), then the number of clusters. A new score goes in here.
HPARAMS_METRICS = (ACC, NMI, ARI, *LABEL_FREE_METRICS, N_CLUSTERS)
METRIC_TAG_PREFIX = "cluster/"  # scalar tag of each metric: cluster/acc, ...
EVENT_FILE_MARK = "tfevents"  # TensorBoard reads every file whose name holds it
# A folder's experiment summary: one fixed name, replaced whole when the folder's runs change.
EXPERIMENT_FILE = "events.out.tfevents.hparams"
CHOICE_KEYS = ("name", "method")  # what names the chosen option of a config group: model.name


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
    """The experiment summary over ``sessions`` (each a run's settings): as columns, the settings
    whose values differ between sessions or that only some sessions have (all settings if none
    do), those that were chosen to differ marked ``differs`` (``_chosen_to_differ``); and the
    HPARAMS_METRICS found in ``metric_tags`` as metrics, in that order."""
    sessions = list(sessions)
    names = sorted({name for session in sessions for name in session})
    infos, apart = [], []
    for name in names:
        values = [session[name] for session in sessions if name in session]
        info = _hparam_info(name, values, _chosen_to_differ(name, sessions, names))
        infos.append(info)
        if len({_text(value) for value in values}) > 1 or len(values) < len(sessions):
            apart.append(info)
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


def _chosen_to_differ(
    name: str, sessions: Sequence[Mapping[str, struct_pb2.Value]], names: Sequence[str]
) -> bool:
    """Whether setting ``name`` takes several values among sessions that chose the same option
    of its config group: ``model.lr`` differs between model=ae and model=gan only because their
    files set it, so it does not count, unless two runs of one model differ in it too."""
    choice = _choice_key(name, names)
    by_option: dict[str, set[str]] = {}
    for session in sessions:
        if name in session:
            option = _text(session[choice]) if choice in session else ""
            by_option.setdefault(option, set()).add(_text(session[name]))
    return any(len(values) > 1 for values in by_option.values())


def _choice_key(name: str, names: Sequence[str]) -> str | None:
    """The setting that names the option of the config group ``name`` is part of, if any:
    ``cluster.params.n_init`` → ``cluster.name``, ``cluster.manifold.params.perplexity`` →
    ``cluster.manifold.method``, ``cluster.manifold.method`` → ``cluster.name``."""
    parts = name.split(".")
    for end in range(len(parts) - 1, 0, -1):
        section = ".".join(parts[:end])
        for key in CHOICE_KEYS:
            if (candidate := f"{section}.{key}") != name and candidate in names:
                return candidate
    return None


def write_experiment(directory: str | Path) -> int:
    """Write the experiment summary over every session below ``directory`` into it (replacing
    the one written before); return the number of sessions (0: nothing written)."""
    sessions, tags = find_sessions(directory)
    if not sessions:
        return 0
    now = time.time()
    events = [
        event_pb2.Event(wall_time=now, file_version="brain.Event:2"),
        event_pb2.Event(wall_time=now, summary=experiment_summary(sessions, tags)),
    ]
    write_atomic(Path(directory) / EXPERIMENT_FILE, lambda file: _write_events(file, events), True)
    return len(sessions)


def find_sessions(directory: str | Path) -> tuple[list[dict[str, struct_pb2.Value]], set[str]]:
    """The settings of each session written below ``directory`` (one per run folder, in path
    order) and the metric tags (``cluster/...``) those runs hold."""
    sessions, tags = [], set()
    for run_dir in sorted(_event_dirs(Path(directory))):
        session, run_tags = read_session(run_dir)
        if session is not None:
            sessions.append(session)
            tags |= run_tags
    return sessions, tags


def read_session(run_dir: Path) -> tuple[dict[str, struct_pb2.Value] | None, set[str]]:
    """The settings of the session written in ``run_dir`` (None if none) and its metric tags.

    Only the records that can hold either are parsed: a run's event files are mostly images.
    """
    session, tags = None, set()
    wanted = (metadata.SESSION_START_INFO_TAG.encode(), METRIC_TAG_PREFIX.encode())
    for path in sorted(run_dir.glob(f"*{EVENT_FILE_MARK}*")):
        for record in _records(path):
            if not any(mark in record for mark in wanted):
                continue
            try:
                event = event_pb2.Event.FromString(record)
            except DecodeError:  # a damaged record: the others still count
                continue
            for value in event.summary.value:
                if value.tag.startswith(METRIC_TAG_PREFIX):
                    tags.add(value.tag)
                elif value.tag == metadata.SESSION_START_INFO_TAG:
                    content = value.metadata.plugin_data.content
                    session = dict(metadata.parse_session_start_info_plugin_data(content).hparams)
    return session, tags


def _records(path: Path) -> Iterator[bytes]:
    """The records of an event file (TFRecord: length, its checksum, data, the data's checksum)
    without checking the checksums, which in pure Python would take most of the time; a record
    cut short (a run still writing) or damaged ends the file."""
    with open(path, "rb") as file:
        size = os.fstat(file.fileno()).st_size
        while len(header := file.read(12)) == 12:
            (length,) = struct.unpack("<Q", header[:8])
            if length + 4 > size - file.tell():
                return
            data = file.read(length)
            file.seek(4, os.SEEK_CUR)
            yield data


def _event_dirs(directory: Path) -> set[Path]:
    """Every folder at or below ``directory`` that holds an event file: TensorBoard's runs."""
    return {
        Path(folder)
        for folder, _, files in os.walk(directory)
        if any(EVENT_FILE_MARK in name for name in files)
    }


def _write_events(file: IO[bytes], events: Sequence[event_pb2.Event]) -> None:
    records = RecordWriter(file)
    for event in events:
        records.write(event.SerializeToString())


def _hparam_info(
    name: str, values: Sequence[struct_pb2.Value], differs: bool
) -> api_pb2.HParamInfo:
    kinds = {value.WhichOneof("kind") for value in values}
    if kinds == {"number_value"}:
        numbers = [value.number_value for value in values]
        return api_pb2.HParamInfo(
            name=name,
            type=api_pb2.DATA_TYPE_FLOAT64,
            domain_interval=api_pb2.Interval(min_value=min(numbers), max_value=max(numbers)),
            differs=differs,
        )
    if kinds == {"bool_value"}:
        flags = sorted({value.bool_value for value in values})
        domain = [struct_pb2.Value(bool_value=flag) for flag in flags]
        data_type = api_pb2.DATA_TYPE_BOOL
    else:
        texts = sorted({_text(value) for value in values})
        domain = [struct_pb2.Value(string_value=text) for text in texts]
        data_type = api_pb2.DATA_TYPE_STRING
    return api_pb2.HParamInfo(
        name=name,
        type=data_type,
        domain_discrete=struct_pb2.ListValue(values=domain),
        differs=differs,
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
