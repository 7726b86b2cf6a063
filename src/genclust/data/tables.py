"""User files: a CSV table or NumPy ``.npy`` arrays, checked cell by cell for what breaks training.

Each problem a user's file can have (missing file, wrong column name, text in a number column,
empty cells, mismatched labels) ends in one UserError that names the file and the fix.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from genclust.data.arrays import ArrayData, encode_labels
from genclust.errors import UserError

_SHOWN_LINES = 5  # how many offending lines an error message names
_TAB_SPELLINGS = ("\\t", "tab")  # what users type on a command line for a tab
_FLOAT32_MAX = float(np.finfo(np.float32).max)  # samples are float32 from here on


def load_csv(
    path: str | None = None, label_column: str | None = None, delimiter: str = ","
) -> ArrayData:
    """One sample per row of a CSV file with a header row; every column but the label is numeric.

    Labels may be text or integers; sorted distinct values become classes 0..k-1.
    """
    if path is None:
        raise UserError("data=csv needs data.path=<file.csv>")
    delimiter = "\t" if delimiter in _TAB_SPELLINGS else delimiter
    if len(delimiter) != 1:
        raise UserError(f"data.delimiter must be one character (got {delimiter!r})")
    file = _existing_file(path, "data.path")
    header, rows, lines = _read_rows(file, delimiter)
    if label_column is not None and label_column not in header:
        raise UserError(
            f"data.label_column: no column {label_column!r} in {file}; available "
            f"columns: {', '.join(header)}"
        )
    feature_names = [name for name in header if name != label_column]
    if not feature_names:
        raise UserError(f"{file} has no feature columns besides the label column {label_column!r}")
    columns = dict(zip(header, zip(*rows, strict=True), strict=True))
    x = np.stack([_numeric_column(file, n, columns[n], lines) for n in feature_names], axis=1)
    y, label_names = None, None
    if label_column is not None:
        y, label_names = _label_column(file, label_column, columns[label_column], lines)
    return ArrayData(
        x=x,
        y=y,
        name=file.stem,
        value_range=_value_range(x),
        image_shape=None,
        label_names=label_names,
        feature_names=feature_names,
    )


def load_npy(path: str | None = None, labels_path: str | None = None) -> ArrayData:
    """Samples from a ``.npy`` array: (n, d) vectors, (n, H, W) or (n, C, H, W) images.

    Channels-last images (n, H, W, C) with C in 1, 3, 4 are moved to channels-first; uint8 arrays
    are taken as pixels and scaled to [0, 1]. Labels: a 1-D ``.npy`` of integers or strings.
    """
    if path is None:
        raise UserError("data=npy needs data.path=<file.npy>")
    file = _existing_file(path, "data.path")
    array = _load_array(file)
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
    _reject_beyond_float32(file, array)
    if array.ndim == 3:
        array = array[:, None]
    elif array.ndim == 4 and array.shape[-1] in (1, 3, 4) and array.shape[1] not in (1, 3, 4):
        array = array.transpose(0, 3, 1, 2)
    x = np.ascontiguousarray(array, dtype=np.float32)
    if array.dtype == np.uint8:
        x /= 255.0
    y, label_names = (None, None) if labels_path is None else _npy_labels(labels_path, len(x))
    return ArrayData(
        x=x,
        y=y,
        name=file.stem,
        value_range=_value_range(x),
        image_shape=tuple(x.shape[1:]) if x.ndim == 4 else None,
        label_names=label_names,
    )


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
    if all(_is_integer(label) for label in labels):  # sort 2 before 10
        return encode_labels(labels.astype(np.int64))
    return encode_labels(labels)


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


def _reject_beyond_float32(file: Path, array: np.ndarray) -> None:
    """Finite values too large for float32 would silently become inf when converted."""
    if array.dtype.kind != "f" or array.dtype.itemsize <= 4:
        return
    with np.errstate(invalid="ignore"):
        too_large = np.abs(array) > _FLOAT32_MAX
    if too_large.any() and np.isfinite(array[too_large]).any():
        raise UserError(
            f"{file} holds {int(too_large.sum())} values beyond float32's range "
            f"(±{_FLOAT32_MAX:.2g}, largest {np.nanmax(np.abs(array)):.3g}); rescale the array"
        )


def _is_integer(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


def _load_array(file: Path) -> np.ndarray:
    try:
        array = np.load(file, allow_pickle=False)
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
    if labels.dtype.kind not in "biuUS":
        raise UserError(
            f"{file} holds {labels.dtype} labels; data.labels_path needs integers or strings"
        )
    if labels.ndim != 1 or len(labels) != n_samples:
        raise UserError(
            f"{file} has shape {labels.shape}; data.labels_path needs one label per "
            f"sample, shape ({n_samples},)"
        )
    return encode_labels(labels)


def _value_range(x: np.ndarray) -> str:
    return "unit" if x.min() >= 0 and x.max() <= 1 else "real"
