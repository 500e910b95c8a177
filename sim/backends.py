"""Where replications run: in this process, a local process pool, or a Dask cluster.

Every backend maps one picklable function over a list of tasks and yields the outcomes as
they finish (in completion order; callers sort). A task's result depends only on the
task, never on the backend or worker count, which is what keeps numbers identical across
``--jobs 1``, ``--jobs 2`` and ``--dask``.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, Protocol

from sim.errors import UserError
from sim.interrupts import HeldInterrupts

CONNECT_TIMEOUT_S = 3.0
POLL_S = 0.05  # how often a Dask run looks for finished results and for Ctrl-C


class BackendError(UserError, RuntimeError):
    """A backend could not start or connect; the message is one line for the user."""


class Backend(Protocol):
    """Runs ``fn`` over tasks and yields results as they complete."""

    name: str
    workers: int

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[Any]:
        """Results of ``fn(task)`` in completion order."""
        ...

    def close(self) -> None:
        """Release workers; after an interrupt, stop running tasks too."""
        ...


def default_jobs() -> int:
    """All cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class InProcessBackend:
    """Runs tasks one after another in this process (``--jobs 1``)."""

    name = "local"
    workers = 1

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[Any]:
        for task in tasks:
            yield fn(task)

    def close(self) -> None:
        """Nothing to release."""


def _ignore_sigint() -> None:
    # Ctrl-C reaches the whole process group; the parent alone decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT while starting child processes, which keep that disposition."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class ProcessPoolBackend:
    """A pool of local worker processes (``--jobs J``), started once per experiment."""

    name = "local"

    def __init__(self, jobs: int) -> None:
        self.workers = jobs
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["sim.model", "sim.outputs", "sim.experiment.runner"])
        self._pool = ctx.Pool(jobs, initializer=_ignore_sigint)

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[Any]:
        return self._pool.imap_unordered(fn, tasks, chunksize=1)

    def close(self) -> None:
        # terminate, not join: after Ctrl-C running replications are abandoned (their
        # folders are written atomically, so nothing half-written is left behind)
        self._pool.terminate()
        self._pool.join()


class DaskBackend:
    """A Dask cluster: a fresh LocalCluster (``--dask local``) or one at an address."""

    def __init__(self, address: str, jobs: int) -> None:
        from distributed import Client, LocalCluster

        self._cluster: Any = None
        try:
            if address == "local":
                with _sigint_ignored():  # inherited by the workers: Ctrl-C is ours alone
                    self._cluster = LocalCluster(
                        n_workers=jobs,
                        threads_per_worker=1,
                        processes=True,
                        # None still binds the default 8787, which a second cluster on
                        # the machine (another run, a test) may hold: any free port
                        dashboard_address=":0",
                        silence_logs=logging.ERROR,
                    )
                self._client = Client(self._cluster, timeout=CONNECT_TIMEOUT_S)
            else:
                self._client = Client(address, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as exc:
            self.close()
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise BackendError(f"dask {address}: cannot connect: {reason}") from None
        self.name = "dask-local" if address == "local" else f"dask {address}"
        self.workers = max(1, sum(self._client.nthreads().values()))
        self._futures: list[Any] = []

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[Any]:
        """Results as they complete. Ctrl-C is noted and raised here, between results: a
        KeyboardInterrupt raised by the signal itself can land in a Dask future's
        ``__del__``, where Python prints it and drops it (an optimize run then went on to
        its end, once in a full test run under load)."""
        from distributed import as_completed

        self._futures = self._client.map(fn, list(tasks), pure=False)
        with HeldInterrupts() as held:
            pending = as_completed(self._futures)
            while not pending.is_empty():
                ready = pending.next_batch(block=False)
                held.check()
                if not ready:
                    time.sleep(POLL_S)
                for future in ready:
                    yield future.result()
                    held.check()
            held.check()  # one that came after the last result

    def _quiet_local_workers(self) -> None:
        """Closing a local cluster (after Ctrl-C, too) can meet a worker's heartbeat in
        flight; the worker then logs an ERROR with a traceback onto the user's terminal.
        Results and task errors came through the futures already, so the workers of our
        own cluster go quiet first; a remote cluster's logging is its owner's."""
        with suppress(OSError, TimeoutError):  # a worker already gone logs nothing more
            self._client.run(_quiet_distributed_logs)

    def close(self) -> None:
        client = getattr(self, "_client", None)
        if client is not None:
            if self._futures:
                client.cancel(self._futures)
            if self._cluster is not None:
                self._quiet_local_workers()
        # the scheduler and nannies of a local cluster live in this process: a callback
        # that meets a closed stream logs there too (tornado.application, 1 in ~60 runs)
        with _quiet_while_closing():
            if client is not None:
                client.close()
            if self._cluster is not None:
                self._cluster.close()


def _closing_loggers() -> list[logging.Logger]:
    # dask's logging config gives some children levels of their own (tornado.application
    # among them, at ERROR): each one, too
    names = [
        n for n in logging.root.manager.loggerDict if n.startswith(("distributed.", "tornado."))
    ]
    return [logging.getLogger(name) for name in ["distributed", "tornado", *names]]


def _quiet_distributed_logs() -> None:
    for logger in _closing_loggers():
        logger.setLevel(logging.CRITICAL)


@contextmanager
def _quiet_while_closing() -> Iterator[None]:
    """This process's cluster loggers at CRITICAL while it closes, as they were after."""
    loggers = _closing_loggers()
    levels = [logger.level for logger in loggers]
    _quiet_distributed_logs()
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def validate_dask_address(address: str) -> None:
    """``local`` or ``scheme://host:port``; raises BackendError with one line otherwise."""
    if address == "local":
        return
    scheme, sep, rest = address.partition("://")
    host, colon, port = rest.rpartition(":")
    if not sep or scheme not in {"tcp", "tls", "ucx", "inproc"} or not colon or not host:
        raise BackendError(f"dask {address!r}: expected 'local' or an address like tcp://host:8786")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise BackendError(f"dask {address!r}: port must be a number in 1..65535")


def make_backend(jobs: int | None = None, dask: str | None = None) -> Backend:
    """The backend for ``--jobs`` / ``--dask``; raises BackendError for bad values."""
    if jobs is not None and jobs < 1:
        raise BackendError(f"jobs {jobs}: must be at least 1")
    n = jobs or default_jobs()
    if dask is not None:
        validate_dask_address(dask)
        return DaskBackend(dask, n)
    if n == 1:
        return InProcessBackend()
    return ProcessPoolBackend(n)
