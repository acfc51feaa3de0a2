"""One job over many items on every core, this process taking part.

With N cores, N-1 worker processes take items from the front of the list in small
chunks while this process takes single items from the back, until they meet. This
process would otherwise only wait: taking part saves starting one more worker,
sending its results back, and the memory of one more process holding every module.
Whatever this process sets up before the workers start (imports, compiled
patterns, lexers) is shared with them instead of being done in each.

This process may also have work of its own that the items do not wait for
(``beside``): it does that first, while the workers start on the items, then
takes part as above. Then even one item is worth a worker; and when there are no
more items than workers (a rebuild after editing a lesson or two), each item goes
to a child forked for it alone: no pool to start, which takes less time than the
work itself when the work is that small. A child can even be forked before its
item is known (``Spare``): it loads and sets up what the job needs while this
process finds out which items there are, and is then sent its item.
"""
from __future__ import annotations

import os
import pickle
import signal
import struct
import sys
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Where a child can be forked cheaply and safely: it then starts as a copy of this process.
CAN_FORK = hasattr(os, "fork") and sys.platform.startswith("linux")
CHUNK = 2  # items a worker takes at once: small, so the two ends meet near the middle
AHEAD = 2  # chunks queued per worker, so a worker never waits for this process to hand it more
PIPE_ROOM = 1 << 20  # what a spare child's pipe is asked to hold: a large lesson and its settings
ITEM_HEADER = struct.Struct("<Q")  # the length of the pickled item sent to a spare child


def run_all(job: Callable[[T], R], items: Sequence[T], processes: int,
            done: Callable[[R], None] = lambda result: None, beside: Callable[[], None] | None = None,
            spare: Spare | None = None) -> list[R]:
    """``[job(item) for item in items]``, on ``processes`` processes (this one among them); and
    ``beside()`` in this process, exactly once (even with no items), once the workers have their
    first items. A ``spare`` child (see ``Spare``) takes an item if forked children do the items,
    and is stopped otherwise."""
    try:
        if processes <= 1 or not items or (len(items) < 2 and beside is None):
            if spare is not None:
                spare.close()
            if beside is not None:
                beside()
            return [_finish(job(item), done) for item in items]
        freeze_shared()
        if beside is not None and len(items) < processes and CAN_FORK:
            return _on_children(job, items, done, beside, spare)
        if spare is not None:
            spare.close()  # before the pool starts: its core is the pool's
        return _on_pool(job, items, processes, done, beside)
    finally:
        if spare is not None:
            spare.close()


@contextmanager
def collector_paused():
    """No cyclic garbage collection inside: for work that makes many objects and no cycles (results
    served from the cache, the package's rows), which the collector would only walk again and again
    (about 10 ms of a rebuild). Reference counting frees them as before."""
    import gc
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def freeze_shared() -> None:
    """What exists now is shared with the processes forked from now on: frozen, the collector leaves
    it alone instead of writing to every object (which would copy every page of it into each process).
    It stays frozen: a build is the last work of the command that runs it, and unfrozen, the
    collector would walk all of it again while the package is written (about 30 ms of a rebuild).
    Objects freed by reference counting are freed as before; only cycles that were already garbage
    stay until the process ends."""
    import gc
    gc.freeze()


def _on_pool(job: Callable[[T], R], items: Sequence[T], processes: int, done: Callable[[R], None],
             beside: Callable[[], None] | None) -> list[R]:
    """The items on a pool of ``processes - 1`` workers taking them from the front, and on this
    process taking them from the back once it has done ``beside()``."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait  # only when used
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


def _on_children(job: Callable[[T], R], items: Sequence[T], done: Callable[[R], None],
                 beside: Callable[[], None], spare: Spare | None = None) -> list[R]:
    """Each item on a child forked for it (the first on ``spare``, if given), while this process
    does ``beside()``."""
    children: list[tuple[int, int] | None] = []
    try:
        for item in items:
            given = spare.give(job, item) if spare is not None and not children else None
            children.append(given or _fork(job, item))
        beside()
        return [_finish(_result(children[i], job, items[i]), done) for i in range(len(items))]
    finally:
        for child in children:
            if child is not None:
                _end(*child)


class Spare:
    """A child forked before its item is known, which gets ready meanwhile (``ready()``: imports,
    set-up) and then does the one item ``give`` hands it. Given none, it is killed: getting ready
    must leave nothing behind that matters (imports may write bytecode caches; nothing else)."""

    def __init__(self, ready: Callable[[], None]):
        freeze_shared()
        self.child: tuple[int, int] | None = None  # its process id and the pipe its result comes through
        self.pid = -1  # the child's process id, once forked
        self.items, self.room = -1, 0  # the pipe's end the item is written to, and what the pipe holds
        opened: list[int] = []
        try:
            item_source, self.items = os.pipe()
            opened += [item_source, self.items]
            self.room = _widen(self.items)
            result_source, result_sink = os.pipe()
            opened += [result_source, result_sink]
        except OSError:  # no descriptors left: no spare, and nothing left open
            for fd in opened:
                os.close(fd)
            self.items = -1
            return
        pid = _forked(lambda: _spare_child(ready, item_source, result_sink), (item_source, result_sink),
                      (self.items, result_source))
        if pid < 0:
            os.close(result_source)
            self._close_items()
        else:
            self.child, self.pid = (pid, result_source), pid

    def give(self, job: Callable[[T], R], item: T) -> tuple[int, int] | None:
        """The child doing ``job(item)`` (as ``_fork`` gives it); None when it cannot: there is no
        child, the item cannot be pickled, or it does not fit in the pipe while the child gets ready
        (writing it would wait for the child)."""
        child, self.child = self.child, None
        try:
            if child is None:
                return None
            try:
                payload = pickle.dumps((job, item), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001 - whatever pickling raises, the item cannot travel
                return None
            if len(payload) + ITEM_HEADER.size > self.room:
                return None
            try:
                _write_all(self.items, ITEM_HEADER.pack(len(payload)) + payload)
            except OSError:  # the child failed while getting ready: its end of the pipe is closed
                return None
            child, given = None, child
            return given
        finally:
            self._close_items()
            if child is not None:
                _end(*child)

    def close(self) -> None:
        """Stop the child if no item was given to it."""
        child, self.child = self.child, None
        self._close_items()
        if child is not None:
            _end(*child)

    def _close_items(self) -> None:
        if self.items >= 0:
            os.close(self.items)
            self.items = -1


def _spare_child(ready: Callable[[], None], item_source: int, result_sink: int) -> None:
    ready()
    with os.fdopen(item_source, "rb") as source:
        # The item is read by its length, not to the end of the pipe: a process forked meanwhile
        # could hold the pipe's other end open.
        header = source.read(ITEM_HEADER.size)
        if len(header) < ITEM_HEADER.size:
            return  # nothing was given: the parent closed the pipe
        payload = source.read(ITEM_HEADER.unpack(header)[0])
    job, item = pickle.loads(payload)  # from the parent that forked this process
    _pickle_to(result_sink, job(item))


def _widen(fd: int) -> int:
    """How many bytes the pipe at ``fd`` holds, after asking for room for a large lesson's item."""
    import fcntl
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_ROOM)
    except OSError:  # more than this user may have: the pipe stays as it is
        pass
    return fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _fork(job: Callable[[T], R], item: T) -> tuple[int, int] | None:
    """A child doing ``job(item)``: its process id and the pipe its pickled result comes through;
    None when no child can be made (this process then does the item)."""
    read_end, write_end = os.pipe()
    pid = _forked(lambda: _pickle_to(write_end, job(item)), (write_end,), (read_end,))
    if pid < 0:
        os.close(read_end)
        return None
    return pid, read_end


def _pickle_to(fd: int, value) -> None:
    with os.fdopen(fd, "wb") as out:
        pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)


def _forked(body: Callable[[], None], child_fds: tuple[int, ...], parent_fds: tuple[int, ...]) -> int:
    """A child that runs ``body()`` and leaves (the descriptors ``parent_fds`` closed in it, and
    ``child_fds`` closed here); its process id, or -1 when no child can be made."""
    # Ctrl-C is held back until the child has taken its own course: arriving in between, it would
    # raise in the child outside the code below, which would then run the parent's code.
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pid = os.fork()
    except OSError:  # too many processes, no memory for one more
        pid = -1
    if pid == 0:
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # interrupted, it just ends: so does its parent
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            for fd in parent_fds:
                os.close(fd)
            body()
            os._exit(0)
        finally:
            # Leave at once: the parent's exit handlers and buffered output are not the child's.
            os._exit(1)
    for fd in child_fds:
        os.close(fd)
    signal.pthread_sigmask(signal.SIG_SETMASK, held)
    return pid


def _result(child: tuple[int, int] | None, job: Callable[[T], R], item: T) -> R:
    """The child's result; if it failed (or there is none), the job done here, so that an error is
    raised (or a child that was killed makes no difference) as without workers."""
    if child is None:
        return job(item)
    pid, read_end = child
    with os.fdopen(os.dup(read_end), "rb") as source:
        data = source.read()
    _, status = os.waitpid(pid, 0)
    if status == 0 and data:
        return pickle.loads(data)  # from a copy of this process: no more to be trusted or feared than it
    return job(item)


def _end(pid: int, read_end: int) -> None:
    """Close the child's pipe and reap it; one still running (this process was interrupted) is killed."""
    os.close(read_end)
    try:
        if os.waitpid(pid, os.WNOHANG) == (0, 0):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except ChildProcessError:  # reaped already by _result
        pass


def _run_chunk(job: Callable[[T], R], chunk: list[T]) -> list[R]:
    return [job(item) for item in chunk]


def _finish(result: R, done: Callable[[R], None]) -> R:
    done(result)
    return result
