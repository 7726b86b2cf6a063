"""How fast does genclust answer when no work is to be done?

Times each command that should answer at once (help pages, --version, configuration errors,
a report of a folder that holds no runs) as the median of several fresh processes, and prints
it as a ratio to `python -c "import hydra, omegaconf"` measured the same way in the same run
(target: at most 3x).

    python scripts/bench_startup.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time

TARGET_RATIO = 3.0
BASELINE = [sys.executable, "-c", "import hydra, omegaconf"]
GENCLUST = [sys.executable, "-m", "genclust"]
CASES = {
    "genclust --help": ["--help"],
    "genclust --version": ["--version"],
    "genclust train --help": ["train", "--help"],
    "genclust cluster --help": ["cluster", "--help"],
    "genclust predict --help": ["predict", "--help"],
    "genclust report --help": ["report", "--help"],
    "typo in a group choice: model=vea": ["train", "model=vea"],
    "typo in a key: trainer.max_epoch=5": ["train", "trainer.max_epoch=5"],
    "unknown key: foo=1": ["train", "foo=1"],
    "bad value: model.latent_dim=0": ["train", "model.latent_dim=0"],
    "bad value: seed=-1": ["train", "seed=-1"],
    "syntax error: model.latent_dim=[": ["train", "model.latent_dim=["],
    "not a run: cluster run=<empty dir>": ["cluster", "run={empty}"],
    "not a run: report <empty dir>": ["report", "{empty}"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="processes per case (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as empty:
        baseline = _median_seconds(BASELINE, args.repeats, empty)
        print(f"baseline `import hydra, omegaconf`: {baseline:.3f} s (median of {args.repeats})")
        print(f"| case | exit | seconds | ratio to baseline | within {TARGET_RATIO:g}x |")
        print("|---|---|---|---|---|")
        for name, arguments in CASES.items():
            command = GENCLUST + [a.format(empty=empty) for a in arguments]
            seconds = _median_seconds(command, args.repeats, empty)
            status = subprocess.run(command, cwd=empty, capture_output=True).returncode
            ratio = seconds / baseline
            verdict = "yes" if ratio <= TARGET_RATIO else "NO"
            print(f"| {name} | {status} | {seconds:.3f} | {ratio:.2f} | {verdict} |")


def _median_seconds(command: list[str], repeats: int, cwd: str) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


if __name__ == "__main__":
    main()
