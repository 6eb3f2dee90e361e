"""Benchmark: start-up cost of the command line and of the `run` process.

Measured in the same run, each the median of `--runs` (7) fresh interpreters:

- `python -c pass`: the interpreter alone, the floor everything else is compared with;
- `python -m bot --help`: wall time, and time spent importing (from `-X importtime`: the sum of
  the cumulative times of top-level imports; `-c pass` imports site and encodings too, so its
  figure is shown beside it). Target: <= 150 ms of imports (DESIGN.md section 7);
- `commit-radar run` (console mode: no chat platform and no LLM configured, stdin /dev/null,
  SQLite in a temporary folder, HOST=127.0.0.1 and a free PORT, GitHub pointed at a closed local
  port): time from starting the process to the first HTTP 200 from `/healthz`.

    .venv/bin/python bench/startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e_stack import free_port, terminate  # noqa: E402

TARGET_IMPORT_MS = 150.0
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( *)(\S+)")


def _clean_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("GITHUB_", "SLACK_", "OPENAI_", "FEISHU_", "DATABASE_", "LLM_", "PORT", "HOST"))}
    env.update(extra)
    return env


def _wall_ms(command: list[str], cwd: str) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=_clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True, timeout=60)
    return (time.perf_counter() - started) * 1000


def import_ms(stderr: str) -> tuple[float, list[tuple[float, str]]]:
    """Total import time in ms (cumulative of top-level imports) and the top-level modules, slowest first."""
    top = []
    for line in stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if match and match.group(3) == " ":  # one space after the bar: imported at top level, not by another module
            top.append((int(match.group(2)) / 1000, match.group(4)))
    return sum(ms for ms, _ in top), sorted(top, reverse=True)


def _importtime(args: list[str], cwd: str) -> tuple[float, list[tuple[float, str]]]:
    result = subprocess.run([sys.executable, "-X", "importtime", *args], cwd=cwd, env=_clean_env(),
                            capture_output=True, text=True, check=True, timeout=60)
    return import_ms(result.stderr)


def healthz_ms(folder: Path) -> float:
    """Milliseconds from starting `commit-radar run` to the first 200 from /healthz."""
    port = free_port()
    env = _clean_env(DATABASE_URL=f"sqlite:///{folder}/startup.db", HOST="127.0.0.1", PORT=str(port),
                     GITHUB_API_URL="http://127.0.0.1:9", LOG_LEVEL="WARNING")
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=folder, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return (time.perf_counter() - started) * 1000
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(f"commit-radar run exited: {process.stderr.read().strip()}") from None
                if time.perf_counter() - started > 60:
                    raise RuntimeError("no 200 from /healthz within 60 s") from None
                time.sleep(0.005)  # waiting for the process to bind its port, not for a schedule
    finally:
        terminate(process)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per figure (default: 7)")
    args = parser.parse_args()
    runs = max(args.runs, 5)

    with tempfile.TemporaryDirectory() as folder:
        pass_wall, help_wall, pass_imports, help_imports, health = [], [], [], [], []
        slowest: list[tuple[float, str]] = []
        for index in range(runs):
            pass_wall.append(_wall_ms([sys.executable, "-c", "pass"], folder))
            help_wall.append(_wall_ms([sys.executable, "-m", "bot", "--help"], folder))
            pass_imports.append(_importtime(["-c", "pass"], folder)[0])
            total, top = _importtime(["-m", "bot", "--help"], folder)
            help_imports.append(total)
            slowest = top if index == 0 else slowest
            run_folder = Path(folder) / f"run{index}"
            run_folder.mkdir()
            health.append(healthz_ms(run_folder))

    median = statistics.median
    floor = median(pass_wall)
    imports = median(help_imports)
    print(f"runs per figure: {runs} (medians)")
    print(f"python -c pass, wall:                 {floor:7.0f} ms   (the floor)")
    print(f"python -c pass, imports:              {median(pass_imports):7.0f} ms")
    print(f"python -m bot --help, wall:           {median(help_wall):7.0f} ms   "
          f"(+{median(help_wall) - floor:.0f} ms over the floor)")
    print(f"python -m bot --help, imports:        {imports:7.0f} ms   (target <= {TARGET_IMPORT_MS:.0f} ms; "
          f"+{imports - median(pass_imports):.0f} ms over -c pass)")
    print(f"commit-radar run -> /healthz 200:     {median(health):7.0f} ms   "
          f"(+{median(health) - floor:.0f} ms over the floor; min {min(health):.0f}, max {max(health):.0f})")
    print("slowest top-level imports of --help:  " + ", ".join(f"{name} {ms:.0f} ms" for ms, name in slowest[:4]))
    ok = imports <= TARGET_IMPORT_MS
    print("result:                               " + ("PASS" if ok else "FAIL") + " (--help imports)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
