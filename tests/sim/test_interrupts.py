"""Ctrl-C held around a study's storage writes (sim.decide.interrupts), with real signals."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from sim.interrupts import HeldInterrupts


def _ctrl_c() -> None:
    os.kill(os.getpid(), signal.SIGINT)  # handled by the main thread before kill returns


def test_a_held_ctrl_c_waits_for_check_and_the_handler_comes_back() -> None:
    before = signal.getsignal(signal.SIGINT)
    with HeldInterrupts() as held:
        _ctrl_c()  # inside a "write": noted, nothing raised
        assert held.pending
        with pytest.raises(KeyboardInterrupt):
            held.check()
    assert signal.getsignal(signal.SIGINT) is before


def test_open_raises_at_once_and_holds_again_after() -> None:
    with HeldInterrupts() as held:
        with pytest.raises(KeyboardInterrupt), held.open():
            _ctrl_c()
            pytest.fail("Ctrl-C inside open() must raise at once")
        assert not held.pending
        _ctrl_c()  # held again once open() is left
        assert held.pending


def test_open_raises_for_a_ctrl_c_that_came_before_it() -> None:
    with HeldInterrupts() as held:
        _ctrl_c()
        with pytest.raises(KeyboardInterrupt), held.open():
            pytest.fail("a pending Ctrl-C must stop before the work starts")


def test_off_the_main_thread_it_does_nothing() -> None:
    seen: list[object] = []

    def work() -> None:
        with HeldInterrupts() as held, held.open():
            seen.append(held.pending)

    before = signal.getsignal(signal.SIGINT)
    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert seen == [False] and signal.getsignal(signal.SIGINT) is before
