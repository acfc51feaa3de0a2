"""One job over many items on every core, this process taking part.

With N cores, N-1 worker processes take items from the front of the list in small
chunks while this process takes single items from the back, until they meet. This
process would otherwise only wait: taking part saves starting one more worker,
sending its results back, and the memory of one more process holding every module.
Whatever this process sets up before the workers start (imports, compiled
patterns, lexers) is shared with them instead of being done in each.

This process may also have work of its own that the items do not wait for
(``beside``): it does that first, while the workers start on the items, then
takes part as above. Then even one item is worth a worker.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

CHUNK = 2  # items a worker takes at once: small, so the two ends meet near the middle
AHEAD = 2  # chunks queued per worker, so a worker never waits for this process to hand it more


def run_all(job: Callable[[T], R], items: Sequence[T], processes: int,
            done: Callable[[R], None] = lambda result: None, beside: Callable[[], None] | None = None) -> list[R]:
    """``[job(item) for item in items]``, on ``processes`` processes (this one among them); and
    ``beside()`` in this process, once the workers have their first items."""
    if processes <= 1 or not items or (len(items) < 2 and beside is None):
        if beside is not None:
            beside()
        return [_finish(job(item), done) for item in items]
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait  # only when used
    import gc
    # What exists now is shared with the forked workers: frozen, the collector leaves it alone
    # instead of writing to every object (which would copy every page of it into each process).
    gc.freeze()
    results: list = [None] * len(items)
    front, back = 0, len(items)  # workers take [front, ...), this process takes (..., back)
    with ProcessPoolExecutor(max_workers=processes - 1) as pool:
        pending: dict = {}
        while front < back or pending:
            while front < back and len(pending) < AHEAD * (processes - 1):
                chunk = range(front, min(front + CHUNK, back))
                pending[pool.submit(_run_chunk, job, [items[i] for i in chunk])] = chunk
                front = chunk.stop
            if beside is not None:
                beside, work = None, beside
                work()
            for future in [f for f in pending if f.done()]:
                for index, result in zip(pending.pop(future), future.result()):
                    results[index] = _finish(result, done)
            if front < back:
                back -= 1
                results[back] = _finish(job(items[back]), done)
            elif pending:
                wait(pending, return_when=FIRST_COMPLETED)
    return results


def _run_chunk(job: Callable[[T], R], chunk: list[T]) -> list[R]:
    return [job(item) for item in chunk]


def _finish(result: R, done: Callable[[R], None]) -> R:
    done(result)
    return result
