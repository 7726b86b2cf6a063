"""User files: a CSV table or NumPy ``.npy`` arrays, checked cell by cell for what breaks training.

Each problem a user's file can have (missing file, wrong column name, text in a number column,
empty cells, mismatched labels) ends in one UserError that names the file and the fix.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np

from genclust.data.arrays import ArrayData, encode_labels
from genclust.data.mapped import MAP_ABOVE_BYTES, MappedSamples
from genclust.errors import UserError

_SHOWN_LINES = 5  # how many offending lines an error message names
_TAB_SPELLINGS = ("\\t", "tab")  # what users type on a command line for a tab
_COMMON_DELIMITERS = (",", ";", "\t", "|")  # tried when data.delimiter leaves the header whole
_FLOAT32_MAX = float(np.finfo(np.float32).max)  # samples are float32 from here on


def load_csv(
    path: str | None = None,
    label_column: str | None = None,
    delimiter: str = ",",
    drop_columns: list[str] | None = None,
) -> ArrayData:
    """One sample per row of a CSV file with a header row; every column but the label (and the
    ``drop_columns``, e.g. an id) is numeric.

    Labels may be text or whole numbers (``2``, ``10``, ``1.0``); sorted distinct values become
    classes 0..k-1, numbers in numeric order.
    """
    if path is None:
        raise UserError("data=csv needs data.path=<file.csv>")
    delimiter = "\t" if delimiter in _TAB_SPELLINGS else delimiter
    if len(delimiter) != 1:
        raise UserError(f"data.delimiter must be one character (got {delimiter!r})")
    file = _existing_file(path, "data.path")
    header, rows, lines = _read_rows(file, delimiter)
    dropped = _columns(file, header, "data.drop_columns", drop_columns or [])
    if label_column is not None:
        _columns(file, header, "data.label_column", [label_column])
        if label_column in dropped:
            raise UserError(
                f"data.drop_columns drops {label_column!r}, the data.label_column; "
                "keep the label column out of the dropped ones"
            )
    feature_names = [name for name in header if name != label_column and name not in dropped]
    if not feature_names:
        raise UserError(
            f"{file} has no feature columns besides the label column {label_column!r} "
            f"and the dropped columns {dropped}"
        )
    columns = dict(zip(header, zip(*rows, strict=True), strict=True))
    x = np.stack([_numeric_column(file, n, columns[n], lines) for n in feature_names], axis=1)
    y, label_names = None, None
    if label_column is not None:
        y, label_names = _label_column(file, label_column, columns[label_column], lines)
    return ArrayData(
        x=x,
        y=y,
        name=file.stem,
        value_range=None,
        image_shape=None,
        label_names=label_names,
        feature_names=feature_names,
    )


def load_npy(
    path: str | None = None, labels_path: str | None = None, mmap: bool | str = "auto"
) -> ArrayData:
    """Samples from a ``.npy`` array: (n, d) vectors, (n, H, W) or (n, C, H, W) images.

    Channels-last images (n, H, W, C) with C in 1, 3, 4 are moved to channels-first; uint8 arrays
    are taken as pixels and scaled to [0, 1]. Labels: a 1-D ``.npy`` of integers, whole numbers
    or strings. ``mmap``: read rows from the file as they are needed instead of loading it whole
    (data larger than memory); ``"auto"`` maps files larger than 1 GiB.
    """
    if path is None:
        raise UserError("data=npy needs data.path=<file.npy>")
    file = _existing_file(path, "data.path")
    mapped = file.stat().st_size > MAP_ABOVE_BYTES if mmap == "auto" else bool(mmap)
    array = _load_array(file, mapped)
    if array.dtype.kind not in "biuf":
        raise UserError(
            f"{file} holds {array.dtype} values; data.path needs a numeric array "
            "(save it with np.save(path, x.astype('float32')))"
        )
    if array.ndim not in (2, 3, 4) or len(array) == 0:
        raise UserError(
            f"{file} has shape {array.shape}; expected (n, d) vectors, (n, H, W) or "
            "(n, C, H, W) images with n > 0"
        )
    convert = _npy_samples(file)
    if mapped:
        if not array.flags.c_contiguous:
            raise UserError(
                f"{file} is stored column by column (Fortran order), so its rows cannot be "
                "read one by one from the file: save it with np.save(path, "
                "np.ascontiguousarray(x)), or set data.mmap=false to load it whole"
            )
        x = MappedSamples(file, array, convert)
    else:
        x = convert(array)
    y, label_names = (None, None) if labels_path is None else _npy_labels(labels_path, len(x))
    return ArrayData(
        x=x,
        y=y,
        name=file.stem,
        value_range=None,
        image_shape=tuple(x.shape[1:]) if x.ndim == 4 else None,
        label_names=label_names,
    )


def _npy_samples(file: Path) -> Callable[[np.ndarray], np.ndarray]:
    """Raw rows of ``file`` (any block of them) → float32 samples, channels first, uint8 pixels
    scaled to [0, 1]; values float32 cannot hold are refused, not turned into inf."""

    def convert(raw: np.ndarray) -> np.ndarray:
        if raw.ndim == 3:
            raw = raw[:, None]
        elif raw.ndim == 4 and raw.shape[-1] in (1, 3, 4) and raw.shape[1] not in (1, 3, 4):
            raw = raw.transpose(0, 3, 1, 2)
        _reject_beyond_float32(file, raw)
        x = np.ascontiguousarray(raw, dtype=np.float32)
        if raw.dtype == np.uint8:
            x /= 255.0
        return x

    return convert


def _existing_file(path: str, key: str) -> Path:
    file = Path(path).expanduser()
    if not file.is_file():
        raise UserError(f"{key}: no such file {path!r} (looked for {file.absolute()})")
    return file


def _read_rows(file: Path, delimiter: str) -> tuple[list[str], list[list[str]], np.ndarray]:
    """Header, data rows (blank lines skipped) and each row's line number in the file."""
    with file.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        numbered = [(reader.line_num, row) for row in reader if row]
    if not numbered:
        raise UserError(f"{file} is empty; a CSV needs a header row and at least 2 data rows")
    header = [name.strip() for name in numbered[0][1]]
    _refuse_wrong_delimiter(file, delimiter, header)
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise UserError(
            f"{file}: the header repeats column names {', '.join(duplicates)}; "
            "give every column its own name"
        )
    rows = [row for _, row in numbered[1:]]
    if len(rows) < 2:
        raise UserError(
            f"{file} has {len(rows)} data row{'' if len(rows) == 1 else 's'}; at least 2 are needed"
        )
    for number, row in numbered[1:]:
        if len(row) != len(header):
            raise UserError(
                f"{file} line {number} has {len(row)} fields but the header has "
                f"{len(header)}; is data.delimiter={delimiter!r} right?"
            )
    return header, rows, np.array([number for number, _ in numbered[1:]])


def _refuse_wrong_delimiter(file: Path, delimiter: str, header: list[str]) -> None:
    """A header left whole by ``delimiter`` that another common delimiter splits, as it splits
    the first data row, into the same number of fields: the file uses that other one."""
    if len(header) != 1:
        return
    with file.open(newline="", encoding="utf-8-sig") as handle:
        lines = [line for line in itertools.islice(handle, 100) if line.strip()][:2]
    for candidate in _COMMON_DELIMITERS:
        fields = [len(row) for row in csv.reader(lines, delimiter=candidate)]
        if candidate != delimiter and len(fields) == 2 and fields[0] == fields[1] > 1:
            spelled = "tab" if candidate == "\t" else f"'{candidate}'"
            raise UserError(
                f"{file}: split at {delimiter!r}, the header is one column {header[0]!r}, but "
                f"{candidate!r} splits it and the first row into {fields[0]} fields: set "
                f'"data.delimiter={spelled}"'
            )


def _columns(file: Path, header: list[str], key: str, names: list[str]) -> list[str]:
    """``names`` (the value of option ``key``), each a column of the header; else UserError."""
    for name in names:
        if name not in header:
            raise UserError(
                f"{key}: no column {name!r} in {file}; available columns: {', '.join(header)}"
            )
    return names


def _numeric_column(file: Path, name: str, cells: tuple[str, ...], lines: np.ndarray) -> np.ndarray:
    """Parse a column to float32; empty cells and NaN count as missing values."""
    stripped = np.char.strip(np.asarray(cells, dtype=str))
    stripped = np.where(stripped == "", "nan", stripped)
    try:
        values = stripped.astype(np.float64)
    except ValueError:  # find the culprit cell by cell, only on this slow path
        values = np.array(
            [
                _parse_float(file, name, c, n)
                for c, n in zip(stripped.tolist(), lines.tolist(), strict=True)
            ]
        )
    _reject_missing(file, name, np.isnan(values), lines)
    _reject_lines(
        file, name, np.isinf(values), lines, "{n} infinite value{s}", "replace or drop those rows"
    )
    beyond = f"{{n}} value{{s}} beyond float32's range (±{_FLOAT32_MAX:.2g})"
    _reject_lines(file, name, np.abs(values) > _FLOAT32_MAX, lines, beyond, "rescale the column")
    return values.astype(np.float32)


def _parse_float(file: Path, name: str, cell: str, line: int) -> float:
    try:
        return float(cell)
    except ValueError:
        raise UserError(
            f"{file}: column {name!r} is not numeric: line {line} holds {cell!r}; "
            "make it a number, or name it with data.label_column if it holds "
            "classes"
        ) from None


def _label_column(
    file: Path, name: str, cells: tuple[str, ...], lines: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    labels = np.char.strip(np.asarray(cells, dtype=str))
    _reject_missing(file, name, labels == "", lines)
    numbers = _whole_numbers(labels.tolist())
    return encode_labels(labels if numbers is None else numbers)


def _reject_missing(file: Path, name: str, missing: np.ndarray, lines: np.ndarray) -> None:
    _reject_lines(file, name, missing, lines, "{n} missing value{s}", fix="fill or drop those rows")


def _reject_lines(
    file: Path,
    name: str,
    bad: np.ndarray,
    lines: np.ndarray,
    what: str,
    fix: str,
) -> None:
    """One UserError naming the column, the count of bad cells (``what``) and their lines."""
    if bad.any():
        lines = lines[bad]
        s = "s" if len(lines) > 1 else ""
        shown = ", ".join(str(line) for line in lines[:_SHOWN_LINES])
        more = ", ..." if len(lines) > _SHOWN_LINES else ""
        raise UserError(
            f"{file}: column {name!r} has {what.format(n=len(lines), s=s)} "
            f"(line{s} {shown}{more}); {fix}"
        )


def _reject_beyond_float32(file: Path, raw: np.ndarray) -> None:
    """Finite values too large for float32 would silently become inf when converted."""
    if raw.dtype.kind != "f" or raw.dtype.itemsize <= 4:
        return
    with np.errstate(invalid="ignore"):
        magnitude = np.abs(raw)
    too_large = np.isfinite(magnitude) & (magnitude > _FLOAT32_MAX)
    if too_large.any():
        raise UserError(
            f"{file} holds values beyond float32's range (±{_FLOAT32_MAX:.2g}), such as "
            f"{float(magnitude[too_large].max()):.3g}; rescale the array"
        )


def _whole_numbers(labels: list[str]) -> np.ndarray | None:
    """Labels that all name whole numbers (``2``, ``10``, ``1.0``) as int64, so that they sort
    numerically and ``1.0`` is the class ``1``; None if any does not."""
    numbers = []
    for label in labels:
        try:
            numbers.append(int(label))
        except ValueError:
            try:
                value = float(label)
            except ValueError:
                return None
            if not value.is_integer():  # also false for inf and nan
                return None
            numbers.append(int(value))
    return np.array(numbers, dtype=np.int64)


def _load_array(file: Path, mapped: bool = False) -> np.ndarray:
    """The array in ``file``; with ``mapped``, only its header is read (a read-only memmap)."""
    try:
        array = np.load(file, mmap_mode="r" if mapped else None, allow_pickle=False)
    except ValueError as error:  # object arrays, pickles, not a NumPy file
        raise UserError(
            f"cannot read {file} as a NumPy array ({error}); save a numeric array with np.save"
        ) from None
    if not isinstance(array, np.ndarray):
        raise UserError(f"{file} is a .npz archive; save one array per file with np.save")
    return array


def _npy_labels(path: str, n_samples: int) -> tuple[np.ndarray, list[str]]:
    file = _existing_file(path, "data.labels_path")
    labels = _load_array(file)
    if labels.ndim != 1 or len(labels) != n_samples:
        raise UserError(
            f"{file} has shape {labels.shape}; data.labels_path needs one label per "
            f"sample, shape ({n_samples},)"
        )
    if labels.dtype.kind == "f":
        whole = np.isfinite(labels) & (labels == np.round(labels))
        if not whole.all():
            index = int(np.flatnonzero(~whole)[0])
            raise UserError(
                f"{file} holds {labels.dtype} labels that are not whole numbers (index {index} "
                f"holds {labels[index]}); data.labels_path needs integers, whole numbers or "
                "strings"
            )
        labels = labels.astype(np.int64)
    if labels.dtype.kind not in "biuUS":
        raise UserError(
            f"{file} holds {labels.dtype} labels; data.labels_path needs integers, whole "
            "numbers or strings"
        )
    return encode_labels(labels)
