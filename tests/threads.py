"""Running one piece of code in several threads at the same moment, as several processes would."""

import threading

from django.db import connections


def at_once(function, times: int = 2) -> list:
    """Call `function()` in `times` threads released together, each with its own database
    connections (closed when it ends); their results, in the order they finished. Fails the
    test if any call raised."""
    start = threading.Barrier(times)
    results, errors = [], []

    def one():
        try:
            start.wait()
            results.append(function())
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [], errors
    return results
