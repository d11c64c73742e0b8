"""Markdown tables and the latency plot from the recorded load results (benchmarks/results/load-*.json)."""

import json
from pathlib import Path

PERCENTILES = (("p50_ms", "p50", "-"), ("p95_ms", "p95", "--"), ("p99_ms", "p99", ":"))


def load_results(results_dir: Path, prefix: str = "load-") -> list[dict]:
    """Every recorded run, oldest file first."""
    paths = sorted(results_dir.glob(f"{prefix}*.json"), key=lambda path: path.stat().st_mtime)
    return [json.loads(path.read_text()) for path in paths]


def _cell(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _errors(level: dict) -> str:
    return ", ".join(f"{status}: {count}" for status, count in level["errors"].items()) or "0"


def _process(level: dict, name: str, key: str):
    figures = level["processes"]
    if name == "web":
        # The layout's web processes: `web` (gunicorn), `web.N` (daphne) and `websockets`.
        entries = [
            value for process, value in figures.items()
            if process in ("web", "server") or process.startswith("web.")
        ]  # fmt: skip
        if not entries:
            return None
        return round(sum(entry[key] for entry in entries), 3)
    entry = figures.get(name)
    return entry[key] if entry else None


def level_table(levels: list[dict]) -> list[str]:
    """One row per concurrency level: throughput, latency, errors, CPU and memory."""
    lines = [
        "| concurrency | participants/s | requests/s | p50 ms | p95 ms | p99 ms | max ms | errors "
        "| web CPU (cores) | proxy CPU | PostgreSQL CPU | worker CPU | generator CPU | others' CPU (s) "
        "| web peak memory MiB | DB transactions / request | new DB connections / request |",
        "|" + "---|" * 17,
    ]
    for level in levels:
        latency = level["latency"]
        database = level.get("database", {})
        lines.append(
            "| " + " | ".join(
                [
                    str(level["concurrency"]), _cell(level["participants_per_s"]), _cell(level["requests_per_s"]),
                    _cell(latency["p50_ms"]), _cell(latency["p95_ms"]), _cell(latency["p99_ms"]),
                    _cell(latency["max_ms"]), _errors(level),
                    _cell(_process(level, "web", "cpu_cores"), 2), _cell(_process(level, "proxy", "cpu_cores"), 2),
                    _cell(_process(level, "postgres", "cpu_cores"), 2),
                    _cell(_process(level, "worker", "cpu_cores"), 2),
                    _cell(_process(level, "generator", "cpu_cores"), 2),
                    _cell(level["processes"]["machine"]["other_cpu_seconds"]),
                    _cell(_process(level, "web", "peak_memory_mib")),
                    _cell(database.get("transactions_per_request"), 2),
                    _cell(database.get("new_connections_per_request"), 2),
                ]
            ) + " |"
        )  # fmt: skip
    return lines


def step_table(levels: list[dict]) -> list[str]:
    """Per-step p50 / p95 / p99 (ms) at each concurrency level."""
    header = "| step | " + " | ".join(f"c={level['concurrency']} p50 / p95 / p99" for level in levels) + " |"
    lines = [header, "|" + "---|" * (len(levels) + 1)]
    steps = list(dict.fromkeys(step for level in levels for step in level["per_step"]))
    for step in steps:
        cells = []
        for level in levels:
            figures = level["per_step"].get(step, {})
            cells.append(" / ".join(_cell(figures.get(key)) for key, _, _ in PERCENTILES))
        lines.append(f"| {step} | " + " | ".join(cells) + " |")
    return lines


def wait_table(levels: list[dict]) -> list[str]:
    """Per wait (a socket's opening, the waiting room): count and p50 / p95 / p99 at each level."""
    header = "| wait | " + " | ".join(f"c={level['concurrency']} count, p50 / p95 / p99" for level in levels) + " |"
    lines = [header, "|" + "---|" * (len(levels) + 1)]
    names = list(dict.fromkeys(name for level in levels for name in level.get("waits", {})))
    for name in names:
        cells = []
        for level in levels:
            figures = level.get("waits", {}).get(name, {})
            percentiles = " / ".join(_cell(figures.get(key)) for key, _, _ in PERCENTILES)
            cells.append(f"{figures.get('count', 0)}, {percentiles}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def _experiment(result: dict) -> str:
    """The experiment as a bundled name or a path relative to the repository."""
    path = Path(result["experiment"])
    repository = Path(__file__).resolve().parents[2]
    return str(path.relative_to(repository)) if path.is_absolute() and path.is_relative_to(repository) else str(path)


def run_section(result: dict) -> list[str]:
    """A run's heading, set-up, tables and pgbench reference."""
    layout = result.get("layout", {})
    lines = [f"## {result['name']}", ""]
    if result.get("server") == "trivial":
        lines.append("The generator against `benchmarks/load/trivial_server.py` (answers instantly): its own ceiling.")
    elif result.get("server") == "dallinger":
        lines.append(
            f"{result['experiment']}: its Procfile's web process ({layout.get('web_processes')} gunicorn gevent "
            f"workers) and RQ worker, no proxy; configuration {', '.join(result['settings'])}; "
            f"{result['duration_s']:.0f} s per level; run {result['started']}."
        )
    else:
        threads = f", {layout['threads']} threads each" if layout.get("threads") else ""
        threads += ", behind nginx" if layout.get("proxy") else ""
        lines.append(
            f"Server `{result['server']}`, {layout.get('web_processes')} web processes{threads}; Celery worker "
            f"({layout.get('worker_concurrency')} threads) and beat running; experiment `{_experiment(result)}`"
            f"{' with ' + ', '.join(result['settings']) if result.get('settings') else ''}; "
            f"flow `{result.get('flow', 'bartlett1932')}`; {result['duration_s']:.0f} s per level; run {result['started']}."
        )
    lines += ["", *level_table(result["levels"]), "", "Per step (ms):", "", *step_table(result["levels"]), ""]
    if any(level.get("waits") for level in result["levels"]):
        lines += ["Waits, not requests (ms; the waiting room's includes the socket's opening):", "",
                  *wait_table(result["levels"]), ""]  # fmt: skip
    pgbench = result.get("pgbench")
    if pgbench:
        best = max(result["levels"], key=lambda level: level["requests_per_s"])
        fraction = best.get("fraction_of_pgbench_tps", {})
        lines += [
            f"pgbench reference (`{pgbench['command']}`, same PostgreSQL, web processes stopped): "
            f"**{pgbench['tps']} tps**. The flow's best level (c={best['concurrency']}) served "
            f"{best['requests_per_s']} requests/s = {_cell(fraction.get('requests'), 3)} of pgbench's tps, with "
            f"{best['database']['transactions_per_s']} database transactions/s = "
            f"{_cell(fraction.get('database_transactions'), 3)} of it.",
            "",
        ]
    if result.get("failure"):
        lines += [f"**The run failed:** {result['failure']}", ""]
    return lines


def record_load_result(result: dict, results_dir: Path, name: str) -> Path:
    """Write `result` as `load-<name>.json` in `results_dir`, then rewrite the report from every
    recorded run; the JSON file's path."""
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"load-{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    write_load_report(results_dir)
    return path


def write_load_report(results_dir: Path) -> None:
    """Rewrite load.md and load-latency.png from every load-*.json in `results_dir`."""
    results = load_results(results_dir)
    lines = [
        "# Load benchmark results",
        "",
        "Written by `benchmarks/load/run.py` (see benchmarks/README.md); one section per `load-<name>.json`.",
        "Closed loop: each of N slots takes one simulated participant after another through the Bartlett1932",
        "flow (7 requests) with no think time. CPU is in cores (CPU seconds / wall seconds) over the level;",
        "\"others' CPU\" is CPU used on the machine by processes outside the benchmark (other people's tests),",
        "which disturbs the timings when it is not near 0. Memory is the peak of the summed proportional set",
        "size (PSS: shared pages split between the processes sharing them) of the process tree.",
        "",
    ]
    chain_runs = [result for result in results if _one_chain(result)]
    if chain_runs:
        lines += chain_section(chain_runs)
    for result in results:
        lines += run_section(result)
    (results_dir / "load.md").write_text("\n".join(lines))
    plot_latency(results, results_dir / "load-latency.png")
    if chain_runs:
        plot_chain(chain_runs, results_dir / "load-chain.png")


def _one_chain(result: dict) -> bool:
    """Whether a run drove one chain and recorded its length (older runs did not)."""
    levels = result["levels"]
    return bool(levels) and all(
        "chain" in level and level["chain"]["end"]["networks_with_participants"] == 1 for level in levels
    )


def chain_section(results: list[dict]) -> list[str]:
    """Throughput against chain length: each successive run on the same growing chain, per system."""
    lines = [
        "## Throughput against chain length",
        "",
        "Successive runs on one growing chain (`benchmarks/dallinger/compare.py`): the chain's length (participants'",
        "nodes) when each run starts and ends, and the participants/s during it. Each system starts on fresh servers.",
        "",
        "| run | system | # | concurrency | chain at start | chain at end | participants/s | p50 ms | p99 ms | errors |",
        "|" + "---|" * 10,
    ]
    for result in results:
        system = (
            "Dallinger " + result["versions"].get("dallinger", "")
            if result.get("server") == "dallinger"
            else "this project"
        )
        for number, level in enumerate(result["levels"], 1):
            lines.append(
                f"| {result['name']} | {system} | {number} | {level['concurrency']} "
                f"| {level['chain']['start']['longest_chain']} | {level['chain']['end']['longest_chain']} "
                f"| {_cell(level['participants_per_s'])} | {_cell(level['latency']['p50_ms'])} "
                f"| {_cell(level['latency']['p99_ms'])} | {_errors(level)} |"
            )
    return lines + ["", "![participants/s against chain length](load-chain.png)", ""]


def plot_chain(results: list[dict], path: Path) -> None:
    """Participants/s against the chain's length at the middle of each run, one line per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 5))
    for result in results:
        levels = result["levels"]
        middle = [
            (level["chain"]["start"]["longest_chain"] + level["chain"]["end"]["longest_chain"]) / 2 for level in levels
        ]
        axes.plot(middle, [level["participants_per_s"] for level in levels], marker="o", label=result["name"])
    axes.set_xlabel("chain length (participants' nodes, middle of the run)")
    axes.set_ylabel("participants/s")
    axes.set_ylim(bottom=0)
    axes.set_title("Bartlett1932 flow on one chain: throughput against chain length")
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize="x-small")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_latency(results: list[dict], path: Path, title: str = "Bartlett1932 flow: latency against concurrency") -> None:
    """Latency percentiles (all steps together) against concurrency, one colour per run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [result for result in results if result.get("server") != "trivial" and len(result["levels"]) > 1]
    if not runs:
        return
    figure, axes = plt.subplots(figsize=(8, 5))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for index, result in enumerate(runs):
        levels = sorted(result["levels"], key=lambda level: level["concurrency"])
        x = [level["concurrency"] for level in levels]
        for key, label, style in PERCENTILES:
            axes.plot(
                x, [level["latency"][key] for level in levels], linestyle=style, marker="o",
                color=colours[index % len(colours)], label=f"{result['name']} {label}",
            )  # fmt: skip
    axes.set_xlabel("concurrent participants")
    axes.set_ylabel("request latency (ms, log scale)")
    axes.set_yscale("log")
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="x-small", ncol=min(3, len(runs)))
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
