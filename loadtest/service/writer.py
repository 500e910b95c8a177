"""Group commit: one writer thread per process batches concurrent writes into one transaction.

Each job is a function of a connection run inside its own SAVEPOINT, so a job that
raises (a 409, a 404) rolls back alone while the rest of the batch commits. A job's
future resolves only after the batch's COMMIT returned: a 2xx is never sent for a
write that is not durable.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

T = TypeVar("T")
Job = tuple[Callable[[Connection], Any], "Future[Any]"]
_STOP = object()


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
        first = self._queue.get()
        if first is _STOP:
            return [], True
        batch: list[Job] = [first]
        while len(batch) < self.batch_max:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                return batch, True
            batch.append(item)
        return batch, False

    def _run(self) -> None:
        while True:
            batch, stop = self._take_batch()
            if batch:
                self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[Job]) -> None:
        for attempt in range(5):
            try:
                outcomes = self._attempt(batch)
            except (OperationalError, self.engine.dialect.loaded_dbapi.OperationalError) as exc:
                # e.g. the database is locked by another process
                if attempt == 4:
                    for _, future in batch:
                        future.set_exception(exc)
                    return
                continue
            except Exception as exc:  # a failed COMMIT fails every job in it
                for _, future in batch:
                    future.set_exception(exc)
                return
            self.batches += 1
            self.jobs += len(batch)
            if self.on_commit is not None:
                self.on_commit(len(batch))
            for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
            return

    def _attempt(self, batch: list[Job]) -> list[tuple[bool, Any]]:
        outcomes: list[tuple[bool, Any]] = []
        with self.engine.begin() as conn:
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            cur = dbapi.cursor()  # plain SAVEPOINT statements on the driver's own cursor
            # a driver-level operational error (jobs may use the DBAPI cursor) fails the batch
            # for a retry, as SQLAlchemy's does
            retry = (OperationalError, self.engine.dialect.loaded_dbapi.OperationalError)
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
