"""Every item done once, in order, on several processes with this one taking part."""
from __future__ import annotations

import os

import pytest

from ankideploy.workers import Spare, run_all


def square_and_pid(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


def fails_on_seven(n: int) -> int:
    if n == 7:
        raise ValueError("seven")
    return n


@pytest.mark.parametrize("count", [0, 1, 2, 3, 10, 41])
@pytest.mark.parametrize("processes", [1, 2, 3])
def test_each_item_once_and_in_order(count, processes):
    seen = []
    results = run_all(square_and_pid, list(range(count)), processes, done=seen.append)
    assert [square for square, _ in results] == [n * n for n in range(count)]
    assert sorted(seen) == sorted(results)  # every result reported once as it came


def test_this_process_and_the_workers_share_the_items():
    results = run_all(square_and_pid, list(range(60)), 2)
    pids = {pid for _, pid in results}
    assert os.getpid() in pids and len(pids) == 2


def test_one_process_starts_no_worker():
    assert {pid for _, pid in run_all(square_and_pid, list(range(9)), 1)} == {os.getpid()}


@pytest.mark.parametrize("processes", [1, 2])
def test_a_failure_reaches_the_caller(processes):
    with pytest.raises(ValueError, match="seven"):
        run_all(fails_on_seven, list(range(12)), processes)


@pytest.mark.parametrize("count", [0, 1, 5])
@pytest.mark.parametrize("processes", [1, 2])
def test_work_beside_the_items_is_done_once_in_this_process(count, processes):
    done_by = []
    results = run_all(square_and_pid, list(range(count)), processes, beside=lambda: done_by.append(os.getpid()))
    assert done_by == [os.getpid()]
    assert [square for square, _ in results] == [n * n for n in range(count)]


def test_with_work_beside_it_even_one_item_goes_to_a_worker():
    [(square, pid)] = run_all(square_and_pid, [3], 2, beside=lambda: None)
    assert square == 9 and pid != os.getpid()


PARENT = os.getpid()


def fails_in_a_child(n: int) -> tuple[int, int]:
    if os.getpid() != PARENT:
        raise RuntimeError("only in a child")
    return square_and_pid(n)


def dies_in_a_child(n: int) -> tuple[int, int]:
    if os.getpid() != PARENT:
        os._exit(3)
    return square_and_pid(n)


def children_of_this_process() -> set[str]:
    return {pid for task in os.listdir("/proc/self/task")
            for pid in open(f"/proc/self/task/{task}/children").read().split()}


@pytest.mark.parametrize("job", [fails_in_a_child, dies_in_a_child])
def test_an_item_whose_child_fails_is_done_in_this_process(job):
    assert PARENT == os.getpid()  # (the test runs in the process that imported this module)
    assert run_all(job, [4], 2, beside=lambda: None) == [(16, os.getpid())]


def test_an_error_in_the_job_reaches_the_caller_with_work_beside():
    with pytest.raises(ValueError, match="seven"):
        run_all(fails_on_seven, [7], 2, beside=lambda: None)


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="children are listed from /proc (Linux)")
def test_an_error_beside_leaves_no_child_behind():
    before = children_of_this_process()

    def fail() -> None:
        raise KeyError("beside")

    with pytest.raises(KeyError):
        run_all(square_and_pid, [1], 2, beside=fail)
    assert children_of_this_process() <= before


def test_several_children_give_their_results_in_order():
    big = [n * 1_000_000 for n in range(1, 4)]  # results larger than a pipe holds at once
    results = run_all(lambda n: ("x" * n, os.getpid()), big, 4, beside=lambda: None)
    assert [len(text) for text, _ in results] == big
    assert len({pid for _, pid in results} | {os.getpid()}) == 4


def test_when_no_child_can_be_made_this_process_does_the_item(monkeypatch):
    def no_fork():
        raise BlockingIOError("no more processes")

    monkeypatch.setattr(os, "fork", no_fork)
    open_before = set(os.listdir("/proc/self/fd"))
    assert run_all(square_and_pid, [5], 2, beside=lambda: None) == [(25, os.getpid())]
    assert set(os.listdir("/proc/self/fd")) <= open_before  # the pipe made for the child is closed


# --- a spare child: forked before its item is known, getting ready meanwhile ---------------------

READY_IN: list[int] = []


def get_ready() -> None:
    READY_IN.append(os.getpid())  # seen by this process only if it ran here
    with open(os.environ["SPARE_MARK"], "a") as mark:
        mark.write(f"{os.getpid()}\n")


def fail_to_get_ready() -> None:
    raise ImportError("a module the job needs is missing")


@pytest.fixture
def mark(tmp_path, monkeypatch):
    path = tmp_path / "ready-in"
    monkeypatch.setenv("SPARE_MARK", str(path))
    return path


def test_a_spare_gets_ready_in_the_child_and_does_the_item_given_to_it(mark):
    spare = Spare(get_ready)
    beside = []
    [(square, pid)] = run_all(square_and_pid, [6], 2, beside=lambda: beside.append(os.getpid()), spare=spare)
    assert square == 36 and pid != os.getpid() and beside == [os.getpid()]
    assert mark.read_text() == f"{pid}\n" and READY_IN == []


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="children are listed from /proc (Linux)")
@pytest.mark.parametrize("count, processes", [(0, 2), (5, 2), (1, 1)], ids=["no items", "a pool", "one process"])
def test_a_spare_given_nothing_is_stopped(count, processes, mark):
    before = children_of_this_process()
    open_before = set(os.listdir("/proc/self/fd"))
    results = run_all(square_and_pid, list(range(count)), processes, beside=lambda: None, spare=Spare(get_ready))
    assert [square for square, _ in results] == [n * n for n in range(count)]
    assert children_of_this_process() <= before
    assert set(os.listdir("/proc/self/fd")) <= open_before


def wait_until_ended(spare: Spare) -> None:
    """Let the spare's child end (or fail) before anything is given to it: no race with what follows."""
    os.waitpid(spare.child[0], 0)


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="children are listed from /proc (Linux)")
def test_an_item_whose_spare_failed_to_get_ready_goes_to_a_child_of_its_own():
    before, open_before = children_of_this_process(), set(os.listdir("/proc/self/fd"))
    spare = Spare(fail_to_get_ready)
    wait_until_ended(spare)
    [(square, pid)] = run_all(square_and_pid, [7], 2, beside=lambda: None, spare=spare)
    assert square == 49 and pid not in (os.getpid(), spare.pid)
    assert children_of_this_process() <= before and set(os.listdir("/proc/self/fd")) <= open_before


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="children are listed from /proc (Linux)")
def test_an_item_too_large_for_the_spare_s_pipe_goes_to_a_child_of_its_own(mark):
    before = children_of_this_process()
    spare = Spare(get_ready)
    spare.room = 10  # the item would not fit: writing it would wait until the child is ready
    [(square, pid)] = run_all(square_and_pid, [8], 2, beside=lambda: None, spare=spare)
    assert square == 64 and pid != os.getpid() and pid != spare.pid
    assert children_of_this_process() <= before


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="children are listed from /proc (Linux)")
def test_a_job_that_cannot_be_sent_to_the_spare_goes_to_a_child_of_its_own(mark):
    before, open_before = children_of_this_process(), set(os.listdir("/proc/self/fd"))
    spare = Spare(get_ready)
    [(square, pid)] = run_all(lambda n: square_and_pid(n), [5], 2, beside=lambda: None, spare=spare)
    assert square == 25 and pid not in (os.getpid(), spare.pid)
    assert children_of_this_process() <= before and set(os.listdir("/proc/self/fd")) <= open_before


def test_a_spare_takes_the_first_item_and_children_of_their_own_the_others(mark):
    spare = Spare(get_ready)
    results = run_all(square_and_pid, [1, 2, 3], 4, beside=lambda: None, spare=spare)
    assert [square for square, _ in results] == [1, 4, 9]
    pids = [pid for _, pid in results]
    assert pids[0] == spare.pid and len(set(pids) | {os.getpid()}) == 4


def test_when_no_spare_can_be_made_this_process_does_the_item(monkeypatch, mark):
    def no_fork():
        raise BlockingIOError("no more processes")

    monkeypatch.setattr(os, "fork", no_fork)
    open_before = set(os.listdir("/proc/self/fd"))
    assert run_all(square_and_pid, [9], 2, beside=lambda: None, spare=Spare(get_ready)) == [(81, os.getpid())]
    assert set(os.listdir("/proc/self/fd")) <= open_before and not mark.exists()


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="children are listed from /proc (Linux)")
def test_an_interrupt_beside_leaves_neither_the_spare_nor_a_child_behind(mark):
    before, open_before = children_of_this_process(), set(os.listdir("/proc/self/fd"))

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_all(square_and_pid, [1, 2], 3, beside=interrupted, spare=Spare(get_ready))
    assert children_of_this_process() <= before and set(os.listdir("/proc/self/fd")) <= open_before
