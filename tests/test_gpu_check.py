"""scripts/gpu_check.py: its table, and its dry run on the CPU end to end."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "gpu_check.py"


def _script():
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["gpu_check"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_rows_line_up_under_the_header():
    gpu_check = _script()
    header, rule = gpu_check.table_header().splitlines()
    setting = "MLP AE, fashion_mnist, trainer=gpu"
    row = gpu_check.Row("throughput", setting, "52,000 samples/s", 3.25)
    line = gpu_check.format_row(row)
    assert line.index("MLP AE") == header.index("setting")
    assert line.index("52,000") == header.index("result")
    assert line.endswith(" 3.2")  # seconds, one decimal
    assert len(rule) >= len(line.rstrip())
    skipped = gpu_check.format_row(gpu_check.Row("ddp", "vade", gpu_check.NO_GPU))
    assert skipped.endswith("skipped: no GPU")  # no seconds for a row that did not run


def test_scores_and_throughput_come_from_the_runs_metrics():
    gpu_check = _script()
    metrics = {"acc": 0.6721, "nmi": 0.68449, "steps": 546, "seconds": {"train": 2.0}}
    assert gpu_check.scores(metrics) == "ACC 0.672  NMI 0.684  546 steps"
    assert gpu_check.throughput(metrics, batch_size=256) == pytest.approx(546 * 256 / 2.0)


@pytest.mark.slow
def test_the_dry_run_fills_every_row_on_the_cpu(tmp_path, capsys):
    rows = _script().main(["--dry-run", "--workdir", str(tmp_path)])
    printed = capsys.readouterr().out
    by_check: dict[str, list] = {}
    for row in rows:
        by_check.setdefault(row.check, []).append(row)
        assert gpu_check_line_in(printed, row)
    models = by_check["model"]
    assert len(models) == 2 * 7  # every model, float32 and bf16-mixed
    assert all(row.result.startswith("ACC ") for row in models), [r.result for r in models]
    assert by_check["resume"][0].result.startswith("equal to the uninterrupted run")
    assert all(row.result == "skipped: no GPU" for row in by_check["ddp"])
    throughput = {row.setting.split(", ")[-1]: row.result for row in by_check["throughput"]}
    assert throughput["trainer=gpu"] == "skipped: no GPU"
    assert throughput["trainer=cpu"].endswith("samples/s")
    (n2d,) = by_check["n2d"]
    assert n2d.result.startswith("ACC ") and "published 0.672 / 0.684" in n2d.result


def gpu_check_line_in(printed: str, row) -> bool:
    return any(row.setting in line and row.result in line for line in printed.splitlines())
