"""This project and Dallinger 12.4.0 side by side: throughput against the length of one growing chain.

    .venv/bin/python benchmarks/dallinger/install.py                          # once
    .venv/bin/python benchmarks/dallinger/compare.py --wait-quiet 60          # ~5 min

Runs both systems in one sitting, one after the other (`--order`), each on its own fresh
throwaway PostgreSQL and Redis and freshly started servers, driven by the same generator
(benchmarks/load/generator.py) through the same Bartlett1932 flow on one unbounded chain:

- this project: benchmarks/load/run.py with the bundled `bartlett1932` experiment and
  `num_participants=100000000` (one chain, as the demo makes it), the production layout;
- Dallinger: benchmarks/dallinger/run.py, its demo with the same `num_participants`, its
  Procfile's web and worker processes.

Each gets a 5 s warm-up, then `--runs` successive runs of `--duration` seconds at
`--concurrency`, all on the same chain, which grows from run to run. For each run the chain's
length at its start and end and the participants/s are recorded, in
benchmarks/results/load-chain-<name>-<system>.json, and load.md gets the table
"Throughput against chain length" (and load-chain.png).
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.dallinger.install import default_cache  # noqa: E402
from benchmarks.load.run import RESULTS_DIR  # noqa: E402

SYSTEMS = ("ours", "dallinger")
#: One chain that does not fill during the sitting (the demos take their chain's size from it).
UNBOUNDED = "num_participants=100000000"


def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="successive runs on the same chain (default 3)")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per run (default 30)")
    parser.add_argument("--concurrency", type=int, default=50, help="participants in flight (default 50)")
    parser.add_argument("--order", default="ours,dallinger", help="which system goes first (default ours,dallinger)")
    parser.add_argument("--name", default="sitting", help="results: load-chain-<name>-<system>.json")
    parser.add_argument("--wait-quiet", type=float, default=0.0, metavar="SECONDS",
                        help="before each run, wait up to this long for the machine to be idle")  # fmt: skip
    parser.add_argument("--cache", type=Path, default=default_cache(), help="where install.py put Dallinger")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="where results go")
    options = parser.parse_args(argv)
    options.order = [system.strip() for system in options.order.split(",")]
    if sorted(options.order) != sorted(SYSTEMS):
        parser.error(f"--order lists each of {', '.join(SYSTEMS)} once")
    if options.runs < 1 or options.concurrency < 1 or options.duration <= 0:
        parser.error("--runs, --concurrency and --duration must be positive")
    return options


def command(system: str, options) -> list[str]:
    """The runner of one system, with the same load for both."""
    levels = ",".join([str(options.concurrency)] * options.runs)
    common = ["--concurrency", levels, "--duration", str(options.duration), "--wait-quiet", str(options.wait_quiet),
              "--name", f"chain-{options.name}-{system}", "--results", str(options.results)]  # fmt: skip
    if system == "ours":
        return [sys.executable, str(REPO_ROOT / "benchmarks" / "load" / "run.py"), "--experiment", "bartlett1932",
                "--set", UNBOUNDED, "--no-pgbench", *common]  # fmt: skip
    # Dallinger's runner gives its demo the same unbounded chain (its BASE_CONFIG).
    return [sys.executable, str(REPO_ROOT / "benchmarks" / "dallinger" / "run.py"), "--cache", str(options.cache),
            *common]  # fmt: skip


def main(argv=None) -> int:
    options = parse_arguments(sys.argv[1:] if argv is None else argv)
    if not (options.cache.expanduser() / "venv" / "bin" / "dallinger_heroku_web").exists():
        print(f"Dallinger is not installed in {options.cache}: run benchmarks/dallinger/install.py first.",
              file=sys.stderr)  # fmt: skip
        return 2
    # Without these each runner starts its own throwaway PostgreSQL and Redis: fresh servers for each.
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    failed = []
    for system in options.order:
        print(f"== {system}: {' '.join(command(system, options))}", flush=True)
        if subprocess.run(command(system, options), env=env).returncode != 0:
            failed.append(system)
    print(
        f"\n{'system':<10} {'run':>3} {'chain at start':>15} {'chain at end':>13} {'participants/s':>15} {'p99 ms':>9}"
    )
    for system in options.order:
        path = options.results / f"load-chain-{options.name}-{system}.json"
        if not path.exists():
            continue
        for number, level in enumerate(json.loads(path.read_text())["levels"], 1):
            print(f"{system:<10} {number:>3} {level['chain']['start']['longest_chain']:>15} "
                  f"{level['chain']['end']['longest_chain']:>13} {level['participants_per_s']:>15} "
                  f"{level['latency']['p99_ms']:>9}")  # fmt: skip
    if failed:
        print(f"failed: {', '.join(failed)} (see above)", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
