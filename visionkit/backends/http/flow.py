"""Write a multi-request operation once, run it sync or async.

Cloud operations are often more than one request: submit a job and poll it,
or call two endpoints and merge the answers. Written twice (once with
``httpx.Client`` and ``time.sleep``, once with ``httpx.AsyncClient`` and
``asyncio.sleep``) the copies drift apart. Written as a *flow* instead, a
generator that yields what to send (or a :class:`Wait`) and receives each
response, the logic exists once, holds no I/O, and is run by
:func:`run_flow` or :func:`run_flow_async` with the backend's own ``send``.

::

    def poll(job) -> Flow[MyRequest, dict]:
        while True:
            response = yield MyRequest("GET", job)
            if response.json()["done"]:
                return response.json()
            yield Wait(1.0)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import TypeVar, cast

import httpx

from visionkit.backends.http.limits import Deadline, DeadlineExceeded
from visionkit.backends.http.retry import Clock


@dataclass(frozen=True, slots=True)
class Wait:
    """A flow step: pause this many seconds (on the runner's clock), then go on."""

    seconds: float


_R = TypeVar("_R")
_T = TypeVar("_T")

Flow = Generator[_R | Wait, httpx.Response | None, _T]
"""Yields requests (of the backend's own type ``_R``) or waits; receives the response
to each request (``None`` after a wait); returns the operation's result ``_T``."""


def run_flow(
    flow: Flow[_R, _T],
    send: Callable[[_R], httpx.Response],
    clock: Clock,
    deadline: Deadline | None = None,
) -> _T:
    """Drive ``flow`` to its result, sending each request with ``send``.

    With a ``deadline``, a :class:`Wait` that would pass it is not started:
    :class:`DeadlineExceeded` is thrown into the flow instead, so a polling
    flow can say which operation ran out of time (or let it propagate).
    """
    reply: httpx.Response | None = None
    pending: DeadlineExceeded | None = None
    while True:
        try:
            step = flow.send(reply) if pending is None else flow.throw(pending)
        except StopIteration as done:
            return cast(_T, done.value)
        pending = None
        if isinstance(step, Wait):
            if deadline is not None and step.seconds >= deadline.remaining():
                pending = deadline.exceeded("The operation")
                continue
            clock.sleep(step.seconds)
            reply = None
        else:
            reply = send(step)


async def run_flow_async(
    flow: Flow[_R, _T],
    send: Callable[[_R], Awaitable[httpx.Response]],
    clock: Clock,
    deadline: Deadline | None = None,
) -> _T:
    """The awaitable twin of :func:`run_flow`."""
    reply: httpx.Response | None = None
    pending: DeadlineExceeded | None = None
    while True:
        try:
            step = flow.send(reply) if pending is None else flow.throw(pending)
        except StopIteration as done:
            return cast(_T, done.value)
        pending = None
        if isinstance(step, Wait):
            if deadline is not None and step.seconds >= deadline.remaining():
                pending = deadline.exceeded("The operation")
                continue
            await clock.asleep(step.seconds)
            reply = None
        else:
            reply = await send(step)


__all__ = ["Flow", "Wait", "run_flow", "run_flow_async"]
