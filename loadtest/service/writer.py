"""Group commit: one writer thread per process batches concurrent writes into one transaction.

Each job is a function of a connection. A batch first runs without savepoints (two
statements, on PostgreSQL two round trips, less per job); when a job raises (a 409, a
404) the batch rolls back and runs again with each job inside its own SAVEPOINT, so
the failing job rolls back alone while the rest commits. Jobs are functions of the
database's state, so the second pass reaches the same outcomes. A job's future
resolves only after the batch's COMMIT returned: a 2xx is never sent for a write that
is not durable. The writer keeps its connection between batches (no pool checkout,
no liveness ping per batch) and opens another after an error.

Jobs from the event loop (``run``) cross threads in bundles: the jobs one turn of the
loop submits go to the writer in one queue item, and a committed batch's results go
back in one callback per loop, rather than a wake-up each way per job.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

T = TypeVar("T")
Job = tuple[Callable[[Connection], Any], Any]  # the job and its Future or asyncio.Future
_STOP = object()


class _Isolate(Exception):
    """A job raised in a pass without savepoints: run the batch again with them."""


def _settle(results: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    """On the event loop: hand each committed job's result to its awaiting request."""
    for future, ok, value in results:
        if future.cancelled():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


class Writer:
    """The process's single writer; ``submit`` from any thread, ``close`` on shutdown."""

    def __init__(self, engine: Engine, batch_max: int = 256,
                 on_commit: Callable[[int], None] | None = None) -> None:  # fmt: skip
        self.engine = engine
        self.on_commit = on_commit
        self.batch_max = batch_max
        self.batches = 0
        self.jobs = 0
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._outbox: dict[asyncio.AbstractEventLoop, list[Job]] = {}  # per loop, this turn
        self._conn: Connection | None = None  # the writer thread's, kept between batches
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.start()

    def start(self) -> None:
        """Run the writer thread (again, after ``close``: an app may be started twice)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="takedown-writer", daemon=True
                )
                self._thread.start()

    def submit(self, job: Callable[[Connection], T]) -> Future[T]:
        """Queue ``job``; the future holds its result once committed, or its exception."""
        future: Future[T] = Future()
        self._queue.put((job, future))
        if self._thread is None or not self._thread.is_alive():
            self.start()
        return future

    def run(self, job: Callable[[Connection], T]) -> Awaitable[T]:
        """From the event loop: queue ``job``; await its result once committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        bundle = self._outbox.get(loop)
        if bundle is None:  # the first job of this turn: send the bundle when it ends
            bundle = self._outbox[loop] = []
            loop.call_soon(self._send, loop)
        bundle.append((job, future))
        return future

    def _send(self, loop: asyncio.AbstractEventLoop) -> None:
        self._queue.put(self._outbox.pop(loop))
        if self._thread is None or not self._thread.is_alive():
            self.start()

    def close(self) -> None:
        """Finish queued work and stop the thread."""
        with self._lock:
            thread = self._thread
            if thread is None or not thread.is_alive():
                return
            self._queue.put(_STOP)
        thread.join(timeout=30)
        self.engine.dispose()

    def _take_batch(self) -> tuple[list[Job], bool]:
        """Queued jobs up to about ``batch_max`` (a bundle is never split)."""
        batch: list[Job] = []
        item = self._queue.get()
        while True:
            if item is _STOP:
                return batch, True
            if isinstance(item, list):
                batch += item
            else:
                batch.append(item)
            if len(batch) >= self.batch_max:
                return batch, False
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch, False

    def _run(self) -> None:
        while True:
            batch, stop = self._take_batch()
            if batch:
                self._commit(batch)
            if stop:
                self._drop()
                return

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._conn = self.engine.connect()
        return self._conn

    def _drop(self) -> None:
        """Close the kept connection (after an error: the next batch opens another)."""
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def _commit(self, batch: list[Job]) -> None:
        for attempt in range(5):
            try:
                outcomes = self._attempt(batch)
            except (OperationalError, self.engine.dialect.loaded_dbapi.OperationalError) as exc:
                # e.g. the database is locked by another process, or the server went away
                self._drop()
                if attempt == 4:
                    self._resolve(batch, [(False, exc)] * len(batch))
                    return
                continue
            except Exception as exc:  # a failed COMMIT fails every job in it
                self._drop()
                self._resolve(batch, [(False, exc)] * len(batch))
                return
            self.batches += 1
            self.jobs += len(batch)
            if self.on_commit is not None:
                self.on_commit(len(batch))
            self._resolve(batch, outcomes)
            return

    @staticmethod
    def _resolve(batch: list[Job], outcomes: list[tuple[bool, Any]]) -> None:
        """Results to their waiters: a thread's futures at once, a loop's in one callback."""
        by_loop: dict[asyncio.AbstractEventLoop, list[Any]] = {}
        for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
            if isinstance(future, asyncio.Future):
                by_loop.setdefault(future.get_loop(), []).append((future, ok, value))
            elif ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        for loop, results in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody awaits these
                loop.call_soon_threadsafe(_settle, results)

    def _attempt(self, batch: list[Job]) -> list[tuple[bool, Any]]:
        try:
            return self._pass(batch, isolate=False)
        except _Isolate:
            return self._pass(batch, isolate=True)

    def _pass(self, batch: list[Job], isolate: bool) -> list[tuple[bool, Any]]:
        """Run ``batch`` in one transaction; without ``isolate``, a job that raises rolls
        it all back (``_Isolate``)."""
        outcomes: list[tuple[bool, Any]] = []
        # a driver-level operational error (jobs may use the DBAPI cursor) fails the batch
        # for a retry, as SQLAlchemy's does
        retry = (OperationalError, self.engine.dialect.loaded_dbapi.OperationalError)
        conn = self._connection()
        with conn.begin():
            if not isolate:
                for job, _ in batch:
                    try:
                        outcomes.append((True, job(conn)))
                    except retry:
                        raise
                    except Exception:
                        raise _Isolate from None
                return outcomes
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            cur = dbapi.cursor()  # plain SAVEPOINT statements on the driver's own cursor
            for job, _ in batch:
                cur.execute("SAVEPOINT job")
                try:
                    value = job(conn)
                except retry:
                    raise
                except Exception as exc:
                    cur.execute("ROLLBACK TO SAVEPOINT job")
                    cur.execute("RELEASE SAVEPOINT job")
                    outcomes.append((False, exc))
                else:
                    cur.execute("RELEASE SAVEPOINT job")
                    outcomes.append((True, value))
        return outcomes
