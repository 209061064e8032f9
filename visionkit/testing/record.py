"""Recording real traffic into a cassette, scrubbed before it reaches the disk.

The recorder wraps the methods that every default httpx client ends in,
``HTTPTransport.handle_request`` and ``AsyncHTTPTransport.handle_async_request``,
so sync and async clients are recorded alike, whether they were created before
or inside the ``with`` block, and whatever retry or polling logic sits above
them: every attempt the service really answered is recorded, in order.

(respx pass-through was the other option, but respx hands a passed-through
request to the real transport without showing the response to anyone, and a
recorder is nothing without the response.)

The body is passed on to the caller as it arrives, not read first, so the
caller's deadline and size cap hold while recording as they do live (a body
that drips or never ends must not hang a recording or fill its memory); an
exchange is recorded once its body has been read to the end.

Interactions are scrubbed as they are captured and written only when the block
ends without an exception: a half-recorded scenario on disk would be replayed
by ``mode="auto"`` as if it were whole.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import httpx

from visionkit.testing.cassette import (
    Interaction,
    RecordedRequest,
    RecordedResponse,
    now_utc,
    write_cassette,
)
from visionkit.testing.errors import CassetteError
from visionkit.testing.scrub import (
    DEFAULT_RULES,
    ScrubRules,
    check_recordable,
    scrub_interaction,
    secrets_in,
)

_SyncHandler = Callable[[httpx.HTTPTransport, httpx.Request], httpx.Response]
_AsyncHandler = Callable[
    [httpx.AsyncHTTPTransport, httpx.Request], Coroutine[Any, Any, httpx.Response]
]

_active_lock = threading.Lock()
_active: Recorder | None = None


class Recorder:
    """Captures every exchange of the default httpx transports while started."""

    def __init__(self, *, rules: ScrubRules = DEFAULT_RULES) -> None:
        self.rules = rules
        self.interactions: list[Interaction] = []
        self._lock = threading.Lock()
        self._patches: list[Any] = []

    def start(self) -> None:
        global _active
        with _active_lock:
            if _active is not None:
                raise CassetteError(
                    "A cassette is already recording; recordings do not nest "
                    "(the outer one would record the inner one's traffic too)."
                )
            _active = self
        sync_original: _SyncHandler = httpx.HTTPTransport.handle_request
        async_original: _AsyncHandler = httpx.AsyncHTTPTransport.handle_async_request
        recorder = self

        def handle_request(
            transport: httpx.HTTPTransport, request: httpx.Request
        ) -> httpx.Response:
            request.read()
            response = sync_original(transport, request)
            return recorder._tee(request, response, _Tee(response, recorder, request))

        async def handle_async_request(
            transport: httpx.AsyncHTTPTransport, request: httpx.Request
        ) -> httpx.Response:
            await request.aread()
            response = await async_original(transport, request)
            return recorder._tee(request, response, _AsyncTee(response, recorder, request))

        self._patches = [
            mock.patch.object(httpx.HTTPTransport, "handle_request", handle_request),
            mock.patch.object(
                httpx.AsyncHTTPTransport, "handle_async_request", handle_async_request
            ),
        ]
        for patch in self._patches:
            patch.start()

    def stop(self) -> None:
        global _active
        while self._patches:
            self._patches.pop().stop()
        with _active_lock:
            if _active is self:
                _active = None

    def save(self, directory: Path) -> list[Path]:
        """Write what was recorded as the cassette at ``directory`` (replacing it).

        A session that captured nothing leaves the cassette alone: wiping a
        recording because the code under test made no call (or every call
        failed before an answer) would lose it for no gain.
        """
        with self._lock:
            if not self.interactions:
                return []
            return write_cassette(directory, list(self.interactions))

    def _tee(
        self,
        request: httpx.Request,
        response: httpx.Response,
        stream: httpx.SyncByteStream | httpx.AsyncByteStream,
    ) -> httpx.Response:
        """The response for the caller, its body read through ``stream`` as it arrives.

        The body is not read here: the caller reads it under its own deadline
        and size cap (a dripping or endless body must cost a recording what it
        costs a real call, not hang it), and the exchange is recorded when the
        caller has read it to the end. One the caller gave up on is not
        recorded; the call failed, so the session writes nothing anyway.
        """
        check_recordable(secrets_in(request, self.rules))
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=stream,
            extensions=response.extensions,
            request=request,
        )

    def _capture(self, request: httpx.Request, response: httpx.Response, raw: bytes) -> None:
        """Record one exchange whose whole body (as sent, possibly gzip) is ``raw``.

        The cassette stores the body decoded; the caller got it as sent.
        """
        decoded = httpx.Response(response.status_code, headers=response.headers, content=raw)
        interaction = Interaction(
            request=RecordedRequest.from_httpx(request),
            response=RecordedResponse.from_content(
                response.status_code, response.headers.multi_items(), decoded.content
            ),
            recorded_at=now_utc(),
        )
        scrubbed = scrub_interaction(
            interaction,
            secrets=secrets_in(request, self.rules),
            hosts=[request.url.netloc.decode("ascii")],
            rules=self.rules,
        )
        with self._lock:
            self.interactions.append(scrubbed)


class _Tee(httpx.SyncByteStream):
    """A response body passed on chunk by chunk, recorded once it has been read to the end."""

    def __init__(
        self, response: httpx.Response, recorder: Recorder, request: httpx.Request
    ) -> None:
        self._response = response
        self._recorder = recorder
        self._request = request
        self._parts: list[bytes] = []

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._response.iter_raw():
            self._parts.append(chunk)
            yield chunk
        self._recorder._capture(self._request, self._response, b"".join(self._parts))

    def close(self) -> None:
        self._response.close()


class _AsyncTee(httpx.AsyncByteStream):
    """The awaitable twin of :class:`_Tee`."""

    def __init__(
        self, response: httpx.Response, recorder: Recorder, request: httpx.Request
    ) -> None:
        self._response = response
        self._recorder = recorder
        self._request = request
        self._parts: list[bytes] = []

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._response.aiter_raw():
            self._parts.append(chunk)
            yield chunk
        self._recorder._capture(self._request, self._response, b"".join(self._parts))

    async def aclose(self) -> None:
        await self._response.aclose()


__all__ = ["Recorder"]
