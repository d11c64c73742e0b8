"""Latencies, statuses and counters of a load run, and their percentiles."""

from collections import Counter, defaultdict


def percentile(sorted_values: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile of already sorted values (None when there are none)."""
    if not sorted_values:
        return None
    rank = max(1, round(fraction * len(sorted_values) + 0.5))  # nearest rank, 1-based
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarise(latencies: list[float]) -> dict:
    """Count, mean and p50/p95/p99/max of latencies, in milliseconds."""
    values = sorted(latencies)
    result = {"count": len(values)}
    if values:
        result["mean_ms"] = round(1000 * sum(values) / len(values), 2)
    for label, fraction in (("p50_ms", 0.50), ("p95_ms", 0.95), ("p99_ms", 0.99)):
        value = percentile(values, fraction)
        result[label] = round(1000 * value, 2) if value is not None else None
    result["max_ms"] = round(1000 * values[-1], 2) if values else None
    return result


class Recorder:
    """Collects every answered request's latency and status, and failures by step."""

    def __init__(self):
        self.latencies = defaultdict(list)  # step -> seconds
        self.waits = defaultdict(list)  # wait (not a request: a socket's opening, a waiting room) -> seconds
        self.statuses = defaultdict(Counter)  # step -> status -> count
        self.failures = defaultdict(Counter)  # step -> "timeout" / exception name -> count
        self.notes = Counter()
        self.participants_started = 0
        self.participants_completed = 0

    def latency(self, step: str, seconds: float, status: int) -> None:
        """An answered request."""
        self.latencies[step].append(seconds)
        self.statuses[step][status] += 1

    def wait(self, name: str, seconds: float) -> None:
        """A wait that is not a request (kept out of the requests' latencies)."""
        self.waits[name].append(seconds)

    def error(self, step: str, kind: str) -> None:
        """A request that got no answer (timeout, connection error)."""
        self.failures[step][kind] += 1

    def note(self, what: str) -> None:
        """Something worth counting that is not an error."""
        self.notes[what] += 1

    def requests(self) -> int:
        """Answered requests."""
        return sum(len(values) for values in self.latencies.values())

    def errors_by_status(self) -> dict:
        """Non-200 answers by status, plus unanswered requests by kind."""
        errors = Counter()
        for counts in self.statuses.values():
            for status, count in counts.items():
                if status != 200:
                    errors[str(status)] += count
        for counts in self.failures.values():
            errors.update(counts)
        return dict(sorted(errors.items()))

    def report(self, steps: tuple[str, ...], waits: tuple[str, ...] = ()) -> dict:
        """Latency summaries overall and per step, statuses and failures per step, and the waits'
        summaries (with their failures)."""
        every = [value for values in self.latencies.values() for value in values]
        per_step = {}
        for step in steps:
            entry = summarise(self.latencies.get(step, []))
            entry["statuses"] = {str(status): count for status, count in sorted(self.statuses[step].items())}
            if self.failures[step]:
                entry["failures"] = dict(self.failures[step])
            per_step[step] = entry
        per_wait = {}
        for name in waits:
            entry = summarise(self.waits.get(name, []))
            if self.failures[name]:
                entry["failures"] = dict(self.failures[name])
            per_wait[name] = entry
        report = {"overall": summarise(every), "per_step": per_step, "errors": self.errors_by_status()}
        if waits:
            report["waits"] = per_wait
        return report
