"""One writer thread per app for chair-monitor batches (the hot ingestion path).

A batch request runs its database work as one call on this thread instead of hopping
through the shared thread pool once per dependency (FastAPI runs every synchronous
dependency and the endpoint as separate pool calls). Batches queue in arrival order in
the event loop instead of contending for the GIL and the SQLite writer lock in several
threads at once; the hash-chained audit log needs a serialised writer anyway (on SQLite
``BEGIN IMMEDIATE``, on PostgreSQL the ``audit_head`` row lock), so one thread loses no
parallelism that the database would have allowed.

The executor is made on first use (nothing at import time) and shut down with the app;
the app's lifespan (``lifespan`` below) also runs the SQLite WAL checkpointer
(``clinic.wal_checkpoint``) so that commits on this thread do not checkpoint.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Request

from ketaclinic.clinic.api.deps import Token, caller_for
from ketaclinic.clinic.services.context import Principal
from ketaclinic.clinic.wal_checkpoint import WalCheckpointer

__all__ = ["WriterCaller", "lifespan", "run_on_writer"]

T = TypeVar("T")
_MAKE = threading.Lock()


def _executor(app: FastAPI) -> ThreadPoolExecutor:
    ex: ThreadPoolExecutor | None = getattr(app.state, "writer_executor", None)
    if ex is None:
        with _MAKE:
            ex = getattr(app.state, "writer_executor", None)
            if ex is None:
                ex = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ketaclinic-writer")
                app.state.writer_executor = ex
    return ex


async def run_on_writer(app: FastAPI, fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn(*args)`` on the app's writer thread and await its result."""
    return await asyncio.get_running_loop().run_in_executor(_executor(app), fn, *args)


def _authenticate(request: Request, token: str) -> Principal:
    with request.app.state.sessionmaker() as db:
        return caller_for(request, db, token)


async def _writer_caller(request: Request, token: Token) -> Principal:
    """The caller (401 if none), looked up on the writer thread: one hop, not three."""
    return await run_on_writer(request.app, _authenticate, request, token)


WriterCaller = Annotated[Principal, Depends(_writer_caller)]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the WAL checkpointer (SQLite files only); stop it and the writer at shutdown."""
    checkpointer = WalCheckpointer(app.state.engine)
    checkpointer.start(app.state.settings.sqlite_synchronous)
    app.state.wal_checkpointer = checkpointer
    try:
        yield
    finally:
        checkpointer.stop()
        ex: ThreadPoolExecutor | None = getattr(app.state, "writer_executor", None)
        if ex is not None:
            app.state.writer_executor = None
            ex.shutdown(wait=True)
