"""The ``azure`` backend: Azure Computer Vision (Image Analysis 3.2, or 4.0) behind one Analyzer.

This module only wires the parts together: :mod:`.requests` (3.2) and
:mod:`.imageanalysis4` (4.0) say what to send, :mod:`.preflight` makes the
image fit, :mod:`.mapping` and :mod:`.errors` read the answers, and
:mod:`visionkit.backends.http` sends, retries and pools connections.

Each operation is written once, as a flow (:mod:`visionkit.backends.http.flow`):
a generator that yields the requests to send and the waits to make, and
receives the responses: :mod:`.analyze` (3.2 Analyze + Read), :mod:`.analyze4`
(4.0) and :mod:`.operations` (Describe, Read, Thumbnail, Area of Interest),
over the shared plumbing in :mod:`.flow`. This class runs them with the sync
client or the async one, so the OCR polling loop, the merge of Analyze and
Read, and every error path exist once and behave the same in both worlds.
"""

from __future__ import annotations

import asyncio
import functools
import os
import stat
from collections.abc import Collection
from dataclasses import replace
from typing import Any, ClassVar, TypeVar

import httpx

from visionkit.backends.azure import imageanalysis4
from visionkit.backends.azure.analyze import analyze_flow, area_of_interest_call
from visionkit.backends.azure.analyze4 import analyze_v4_flow, needs_v4_call
from visionkit.backends.azure.errors import (
    SERVICE,
)
from visionkit.backends.azure.flow import AzureFlow, FlowContext, Target
from visionkit.backends.azure.operations import (
    area_of_interest_flow,
    describe_flow,
    text_flow,
    thumbnail_flow,
)
from visionkit.backends.azure.options import AzureOptions
from visionkit.backends.azure.preflight import (
    ANALYZE_LIMITS,
    IMAGE_ANALYSIS_4_LIMITS,
    READ_LIMITS,
    UploadLimits,
    prepare_upload,
)
from visionkit.backends.azure.requests import (
    CAPABILITIES,
    ON_REQUEST,
    AzureRequest,
    auth_headers,
    needs_analyze,
)
from visionkit.backends.base import Analyzer
from visionkit.backends.http import (
    Clock,
    Deadline,
    HttpClients,
    Retrier,
    Scrubber,
    run_flow,
    run_flow_async,
    transport_error,
)
from visionkit.backends.http.secrets import install_log_filter
from visionkit.cropping import (
    AZURE_MAX_SIDE,
    Thumbnail,
    centre_window,
    check_size,
    crop_thumbnail,
    sniff_media_type,
)
from visionkit.errors import (
    ConfigError,
)
from visionkit.features import Feature
from visionkit.images import (
    DEFAULT_LIMITS,
    ImageInput,
    ImageLimits,
    LoadedImage,
    is_url,
    load_image,
    load_image_async,
)
from visionkit.images.fetch import parse_url
from visionkit.options import Secret, option_env
from visionkit.results import AnalysisResult, BoundingBox, Caption, TextLine

_T = TypeVar("_T")


class AzureAnalyzer(Analyzer):
    """Analyses images with Azure Computer Vision; reuse one instance for many images.

    Besides :meth:`analyze`, it offers Azure's other single-purpose calls,
    each with an ``_async`` twin: :meth:`describe`, :meth:`read_text`,
    :meth:`thumbnail` and :meth:`area_of_interest`; :meth:`make_thumbnail` is
    what :func:`visionkit.thumbnail` calls (the thumbnail with its crop box).

    ``http_client`` / ``async_http_client`` replace the pooled clients it
    would create (the caller keeps ownership); ``transport`` is given to the
    clients it creates instead (an :class:`httpx.MockTransport` serves both).
    ``clock`` replaces real sleeping in retries and OCR polling (tests).
    """

    name: ClassVar[str] = "azure"
    remote: ClassVar[bool] = True
    accepts_transport: ClassVar[bool] = True
    capabilities: ClassVar[frozenset[Feature]] = CAPABILITIES
    Options = AzureOptions
    options: AzureOptions

    def __init__(
        self,
        options: AzureOptions | None = None,
        /,
        *,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(options, **overrides)
        self._endpoint, self._key = _credentials(self.options)
        install_log_filter()  # httpcore logs response headers verbatim at DEBUG
        self._v4 = self.options.api == "4.0"
        # 4.0 reads text in the same call, under the same limits, as everything else.
        self._analyze_limits = IMAGE_ANALYSIS_4_LIMITS if self._v4 else ANALYZE_LIMITS
        self._read_limits = IMAGE_ANALYSIS_4_LIMITS if self._v4 else READ_LIMITS
        self._clients = HttpClients(
            timeout=self.options.timeout_s,
            http_client=http_client,
            async_http_client=async_http_client,
            transport=transport,
        )
        self._retrier = Retrier(self.options.retry_policy(), clock=clock)
        self._image_limits: ImageLimits | None = None
        self._context = FlowContext(
            backend=self.name,
            endpoint=self._endpoint,
            options=self.options,
            analyze_limits=self._analyze_limits,
            read_limits=self._read_limits,
            v4=self._v4,
            clock=self._retrier.clock,
            scrubber=Scrubber([self._key]),
        )

    # -- Analyzer ------------------------------------------------------------------------

    @classmethod
    def capabilities_for(cls, options: AzureOptions) -> frozenset[Feature]:
        """Image Analysis 4.0 (``api="4.0"``) offers fewer features than v3.2."""
        return imageanalysis4.CAPABILITIES if options.api == "4.0" else cls.capabilities

    @property
    def label(self) -> str:
        return f"{self.name} (api 4.0)" if self._v4 else self.name

    @property
    def default_features(self) -> frozenset[Feature]:
        """``features=None`` leaves out the area of interest: one more billed call per image."""
        return self.supported_features - ON_REQUEST

    def _analyze(self, image: ImageInput, features: frozenset[Feature]) -> AnalysisResult:
        target = self._target(image, self._limits_for(features))
        return self._run(self._analyze_flow_for(target, features))

    async def _analyze_async(
        self, image: ImageInput, features: frozenset[Feature]
    ) -> AnalysisResult:
        target = await self._target_async(image, self._limits_for(features))
        if Feature.AREA_OF_INTEREST in features and not self._v4:
            return await self._with_interest_async(target, features)
        return await self._run_async(self._analyze_flow_for(target, features))

    async def _with_interest_async(
        self, target: Target, features: frozenset[Feature]
    ) -> AnalysisResult:
        """Get Area of Interest at the same time as the rest of the analysis.

        The async driver can: the two are independent calls, each run as its own flow
        (the sync path sends them one after the other, in one flow). The first failure
        cancels the other call and is raised as it is.
        """
        rest = features - {Feature.AREA_OF_INTEREST}
        analysis = asyncio.ensure_future(self._run_async(analyze_flow(self._context, target, rest)))
        interest = asyncio.ensure_future(
            self._run_async(area_of_interest_call(self._context, target))
        )
        try:
            result, (box, body) = await asyncio.gather(analysis, interest)
        except BaseException:
            analysis.cancel()
            interest.cancel()
            raise
        assert isinstance(result, AnalysisResult)
        raw = {**(result.raw or {}), "areaOfInterest": body}
        return replace(result, area_of_interest=box, raw=raw)

    @classmethod
    def configuration_problems(cls, options: AzureOptions) -> list[str]:
        """Missing credentials, named by the variables that would set them (no call is made)."""
        fields = {f.name: f for f in AzureOptions.__dataclass_fields__.values()}
        return [
            f"{name} not set ({' or '.join(option_env(fields[name]))})"
            for name in ("endpoint", "key")
            if not getattr(options, name)
        ]

    def use_image_limits(self, limits: ImageLimits | None) -> None:
        """Hold every image this analyzer loads to ``limits``; ``None`` (the default)
        resolves the configured ones (``configure(images=...)``, the environment, the
        config file) for each image.

        ``analyze_many`` pins the analyzer it builds for a run, so a run reads its image
        settings once, when it starts, as it reads its backend options: resolving them
        searched the folders up to the root for a config file for every image, about
        0.15 ms of the few a call costs.
        """
        self._image_limits = limits

    def close(self) -> None:
        self._clients.close()

    async def aclose(self) -> None:
        await self._clients.aclose()

    # -- Azure's single-purpose operations -----------------------------------------------

    def describe(self, image: ImageInput, max_candidates: int = 3) -> tuple[Caption, ...]:
        """Up to ``max_candidates`` captions, most confident first (Describe Image)."""
        _check_range("max_candidates", max_candidates, 1, 20)
        target = self._target(image, (self._analyze_limits,))
        return self._run(describe_flow(self._context, target, max_candidates))

    async def describe_async(
        self, image: ImageInput, max_candidates: int = 3
    ) -> tuple[Caption, ...]:
        _check_range("max_candidates", max_candidates, 1, 20)
        target = await self._target_async(image, (self._analyze_limits,))
        return await self._run_async(describe_flow(self._context, target, max_candidates))

    def read_text(self, image: ImageInput) -> tuple[TextLine, ...]:
        """The text in the image, line by line with word polygons (Read, with polling)."""
        target = self._target(image, (self._read_limits,))
        return self._run(text_flow(self._context, target))

    async def read_text_async(self, image: ImageInput) -> tuple[TextLine, ...]:
        target = await self._target_async(image, (self._read_limits,))
        return await self._run_async(text_flow(self._context, target))

    def thumbnail(
        self, image: ImageInput, width: int, height: int, smart_crop: bool = True
    ) -> bytes:
        """A JPEG thumbnail of exactly ``width`` x ``height`` (1-1024 px each).

        ``smart_crop`` crops around the region of interest instead of the
        centre when the aspect ratio changes. The bytes of :meth:`make_thumbnail`
        (what :func:`visionkit.thumbnail` returns, with the crop box), kept for
        existing callers; v3.2 only.
        """
        self._check_thumbnail(width, height)
        return self.make_thumbnail(image, width, height, smart=smart_crop).data

    async def thumbnail_async(
        self, image: ImageInput, width: int, height: int, smart_crop: bool = True
    ) -> bytes:
        self._check_thumbnail(width, height)
        return (await self.make_thumbnail_async(image, width, height, smart=smart_crop)).data

    def make_thumbnail(
        self, image: ImageInput, width: int, height: int, *, smart: bool = True
    ) -> Thumbnail:
        """:func:`visionkit.thumbnail` with Azure: Generate Thumbnail (v3.2), or, as 4.0 has
        no such operation, the caller's pixels cropped at the first smart crop."""
        if self._v4:
            check_size(width, height)
            loaded = load_image(image, limits=self._image_limits)
            target = self._uploads(loaded, (self._analyze_limits,))
            box = self._run(area_of_interest_flow(self._context, target)) if smart else None
            return crop_thumbnail(loaded, box, width, height, backend=self.name)
        check_size(width, height, limit=AZURE_MAX_SIDE)
        target = self._target(image, (self._analyze_limits,))
        data = self._run(thumbnail_flow(self._context, target, width, height, smart))
        return _azure_thumbnail(data, target, width, height, smart)

    async def make_thumbnail_async(
        self, image: ImageInput, width: int, height: int, *, smart: bool = True
    ) -> Thumbnail:
        if self._v4:
            check_size(width, height)
            loaded = await load_image_async(image, limits=self._image_limits)
            target = await asyncio.to_thread(self._uploads, loaded, (self._analyze_limits,))
            box = None
            if smart:
                box = await self._run_async(area_of_interest_flow(self._context, target))
            return await asyncio.to_thread(
                crop_thumbnail, loaded, box, width, height, backend=self.name
            )
        check_size(width, height, limit=AZURE_MAX_SIDE)
        target = await self._target_async(image, (self._analyze_limits,))
        data = await self._run_async(thumbnail_flow(self._context, target, width, height, smart))
        return _azure_thumbnail(data, target, width, height, smart)

    def area_of_interest(self, image: ImageInput) -> BoundingBox:
        """The box around the image's main subject, in the caller's pixels."""
        target = self._target(image, (self._analyze_limits,))
        return self._run(area_of_interest_flow(self._context, target))

    async def area_of_interest_async(self, image: ImageInput) -> BoundingBox:
        target = await self._target_async(image, (self._analyze_limits,))
        return await self._run_async(area_of_interest_flow(self._context, target))

    def _analyze_flow_for(
        self, target: Target, features: frozenset[Feature]
    ) -> AzureFlow[AnalysisResult]:
        if self._v4:
            return analyze_v4_flow(self._context, target, features)
        return analyze_flow(self._context, target, features)

    # -- drivers -------------------------------------------------------------------------

    def _run(self, flow: AzureFlow[_T]) -> _T:
        """Run one call under its own deadline; any error leaves with the key scrubbed out."""
        deadline = Deadline(self._retrier.clock, self.options.deadline_s)
        try:
            return run_flow(
                flow, lambda step: self._send(step, deadline), self._retrier.clock, deadline
            )
        except httpx.TransportError as exc:
            raise self._scrubbed(transport_error(exc, backend=self.name, service=SERVICE)) from exc
        except Exception as exc:
            self._scrubbed(exc)  # in place: the traceback keeps its frames
            raise

    async def _run_async(self, flow: AzureFlow[_T]) -> _T:
        deadline = Deadline(self._retrier.clock, self.options.deadline_s)

        async def send(step: AzureRequest) -> httpx.Response:
            return await self._send_async(step, deadline)

        try:
            return await run_flow_async(flow, send, self._retrier.clock, deadline)
        except httpx.TransportError as exc:
            raise self._scrubbed(transport_error(exc, backend=self.name, service=SERVICE)) from exc
        except Exception as exc:
            self._scrubbed(exc)  # in place: the traceback keeps its frames
            raise

    def _scrubbed(self, exc: BaseException) -> BaseException:
        return self._context.scrubber.exception(exc)

    def _send(self, step: AzureRequest, deadline: Deadline | None = None) -> httpx.Response:
        client = self._clients.sync
        try:
            return self._retrier.send(client, self._build(client, step), deadline)
        except httpx.TransportError as exc:
            raise self._scrubbed(transport_error(exc, backend=self.name, service=SERVICE)) from exc

    async def _send_async(
        self, step: AzureRequest, deadline: Deadline | None = None
    ) -> httpx.Response:
        client = self._clients.asynchronous
        try:
            return await self._retrier.asend(client, self._build(client, step), deadline)
        except httpx.TransportError as exc:
            raise self._scrubbed(transport_error(exc, backend=self.name, service=SERVICE)) from exc

    def _build(self, client: httpx.Client | httpx.AsyncClient, step: AzureRequest) -> httpx.Request:
        return client.build_request(
            step.method,
            _parsed_url(step.url, step.params),
            headers={**step.headers, **auth_headers(self._key)},
            content=step.content,
        )

    # -- image preparation ---------------------------------------------------------------

    def _limits_for(self, features: frozenset[Feature]) -> tuple[UploadLimits, ...]:
        """Which uploads a local image needs: one per service operation that will be called."""
        if self._v4:
            needed = needs_v4_call(features, metadata_known=True)
            return (IMAGE_ANALYSIS_4_LIMITS,) if needed else ()
        limits = []
        if needs_analyze(features, metadata_known=True):
            limits.append(ANALYZE_LIMITS)
        if Feature.AREA_OF_INTEREST in features and ANALYZE_LIMITS not in limits:
            limits.append(ANALYZE_LIMITS)
        if Feature.TEXT in features:
            limits.append(READ_LIMITS)
        return tuple(limits)

    def _check_thumbnail(self, width: int, height: int) -> None:
        if self._v4:
            raise ConfigError(
                "thumbnail() needs api='v3.2': Image Analysis 4.0 has no thumbnail operation. "
                "Use area_of_interest() and crop the image yourself.",
                backend=self.name,
            )
        check_size(width, height, limit=AZURE_MAX_SIDE)

    def _target(self, image: ImageInput, limits: Collection[UploadLimits]) -> Target:
        if is_url(image):
            return _url_target(str(image))
        return self._uploads(load_image(image, limits=self._image_limits), limits)

    async def _target_async(self, image: ImageInput, limits: Collection[UploadLimits]) -> Target:
        if is_url(image):
            return _url_target(str(image))
        # Reading, decoding, resizing and re-encoding block and are CPU-bound: one trip to
        # a worker thread for all of them, unless the image is small enough that the trip
        # would cost more than the work (see INLINE_MAX_BYTES).
        if _cheap_to_prepare(image):
            return self._target(image, limits)
        return await asyncio.to_thread(self._target, image, limits)

    def _uploads(self, loaded: LoadedImage, limits: Collection[UploadLimits]) -> Target:
        fit = self.options.resize_to_fit
        uploads = {lim: prepare_upload(loaded, lim, resize_to_fit=fit) for lim in limits}
        return Target(image=loaded, uploads=uploads)


# -- helpers ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _parsed_url(url: str, params: tuple[tuple[str, str], ...]) -> httpx.URL:
    """``url`` with ``params``, parsed once: a batch sends the same few URLs thousands of
    times, and httpx parsing the string and merging the query cost about 0.1 ms a call.
    (``httpx.URL`` is immutable; every request shares the parsed form.)"""
    return httpx.URL(url, params=params)


INLINE_MAX_BYTES = 16 * 1024
"""JPEG and PNG files (or bytes) up to this size are prepared on the event loop itself.

A trip to a worker thread and back (two thread switches and a wake-up of the loop)
cost 0.2-0.4 ms of CPU per image in ``benchmarks/batch_cloud.py``, more than loading
and re-encoding a thumbnail-sized image (about 0.3 ms for a 32x32 photo scaled to
50x50). What qualifies is bounded so that even a hostile file holds the loop for tens
of milliseconds at most: a JPEG this small has at most a few million pixels (its
coding spends bits on every 8x8 block), and a PNG must say in its header that it has
at most :data:`INLINE_MAX_PIXELS` (a one-colour PNG of 16 kB can hold 80 million);
any other format goes to the thread.
"""

INLINE_MAX_PIXELS = 1024 * 1024
"""The most pixels a PNG prepared on the loop may declare (a white 1000x1000 PNG: 33 ms)."""

_JPEG = b"\xff\xd8\xff"
_PNG = b"\x89PNG\r\n\x1a\n"


def _cheap_to_prepare(image: ImageInput) -> bool:
    """Whether ``image`` is a small JPEG, or a small PNG of few pixels (see above)."""
    if isinstance(image, bytes):
        return len(image) <= INLINE_MAX_BYTES and _cheap_header(image[:24])
    if not isinstance(image, str | os.PathLike):
        return False
    try:
        # stat first: opening a FIFO or a device could block the loop; a stat cannot.
        info = os.stat(image)
        if not stat.S_ISREG(info.st_mode) or info.st_size > INLINE_MAX_BYTES:
            return False
        with open(image, "rb") as file:
            return _cheap_header(file.read(24))
    except (OSError, ValueError, TypeError):
        return False  # the loader, on a thread, says what is wrong with it


def _cheap_header(head: bytes) -> bool:
    if head.startswith(_JPEG):
        return True
    if not head.startswith(_PNG) or head[12:16] != b"IHDR":
        return False
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    return width * height <= INLINE_MAX_PIXELS


def _url_target(url: str) -> Target:
    """A URL the service downloads; one no request could be made to (a bad port, a NUL byte,
    an invalid host) is refused here, with the URL redacted, instead of being sent."""
    parse_url(url, DEFAULT_LIMITS)
    return Target(url=url)


def _credentials(options: AzureOptions) -> tuple[str, Secret]:
    if options.endpoint and options.key:
        return options.endpoint, options.key
    missing = [name for name in ("endpoint", "key") if not getattr(options, name)]
    fields = {f.name: f for f in AzureOptions.__dataclass_fields__.values()}
    env = " and ".join(" or ".join(option_env(fields[name])) for name in missing)
    raise ConfigError(
        f"The azure backend needs {' and '.join(missing)}, which "
        f"{'is' if len(missing) == 1 else 'are'} not set. Set {env} (read by "
        f"visionkit.analyze and get_analyzer), or call visionkit.configure(azure={{"
        f'"endpoint": "https://<resource>.cognitiveservices.azure.com/", "key": "..."}}), '
        f"or pass them to AzureAnalyzer(...). Both are on the resource's Keys and Endpoint "
        f"page in the Azure portal.",
        backend="azure",
    )


def _azure_thumbnail(
    data: bytes, target: Target, width: int, height: int, smart: bool
) -> Thumbnail:
    """Azure's thumbnail as a :class:`Thumbnail`. Azure does not say where it cropped: the
    box is known only for ``smart=False`` (the centre) of an image visionkit loaded."""
    crop = None
    if not smart and target.image is not None:
        crop = centre_window(target.image.width, target.image.height, width / height)
    return Thumbnail(
        data=data,
        media_type=sniff_media_type(data),
        width=width,
        height=height,
        crop=crop,
        backend="azure",
        smart=smart,
    )


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")


__all__ = ["AzureAnalyzer"]
