"""Ctrl-C noted and raised where the code can stop cleanly.

A study's storage is a database: an interrupt that lands inside one of its commits leaves a
trial running for ever, or makes the driver print its own traceback. A KeyboardInterrupt
raised inside a Dask future's ``__del__`` is printed and dropped by Python. So while a
search writes to its study, or a Dask run waits for results, SIGINT is only noted; it is
raised where the code can stop cleanly (between writes or results, or at once while
replications run)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType, TracebackType


class HeldInterrupts:
    """Within ``with HeldInterrupts() as held``, SIGINT is noted, not raised;
    ``held.check()`` raises KeyboardInterrupt if one came, and ``held.open()`` lets it
    raise at once. Off the main thread (where no signal arrives) it does nothing."""

    def __init__(self) -> None:
        self.pending = False
        self._active = threading.current_thread() is threading.main_thread()
        self._previous: object = signal.default_int_handler

    def _note(self, signum: int, frame: FrameType | None) -> None:
        self.pending = True

    def __enter__(self) -> HeldInterrupts:
        if self._active:
            self._previous = signal.signal(signal.SIGINT, self._note)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._active:
            signal.signal(signal.SIGINT, self._previous)  # type: ignore[arg-type]

    def check(self) -> None:
        """Raise KeyboardInterrupt if Ctrl-C came while it was held."""
        if self.pending:
            raise KeyboardInterrupt

    @contextmanager
    def open(self) -> Iterator[None]:
        """Let Ctrl-C raise at once (while nothing is being written)."""
        self.check()
        if not self._active:
            yield
            return
        raising = self._previous if callable(self._previous) else signal.default_int_handler
        signal.signal(signal.SIGINT, raising)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, self._note)
