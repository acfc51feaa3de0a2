"""Every item done once, in order, on several processes with this one taking part."""
from __future__ import annotations

import os

import pytest

from ankideploy.workers import run_all


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
