"""The ``azure`` backend: Azure Computer Vision (Image Analysis 3.2, or 4.0) behind one Analyzer.

This module only wires the pure parts together: :mod:`.requests` (3.2) and
:mod:`.imageanalysis4` (4.0) say what to send, :mod:`.preflight` makes the
image fit, :mod:`.mapping` and :mod:`.errors` read the answers, and
:mod:`visionkit.backends.http` sends, retries and pools connections.

Each operation is written once, as a flow (:mod:`visionkit.backends.http.flow`):
a generator that yields the requests to send and the waits to make, and
receives the responses. It runs with the sync client or the async one, so the
OCR polling loop, the merge of Analyze and Read, and every error path exist
once and behave the same in both worlds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, TypeVar

import httpx

from visionkit.backends.azure import imageanalysis4, mapping
from visionkit.backends.azure.errors import (
    REQUEST_ID_HEADER,
    SERVICE,
    decode_json,
    error_from_response,
)
from visionkit.backends.azure.options import AzureOptions
from visionkit.backends.azure.preflight import (
    ANALYZE_LIMITS,
    IMAGE_ANALYSIS_4_LIMITS,
    READ_LIMITS,
    Upload,
    UploadLimits,
    lines_to_caller_pixels,
    prepare_upload,
    to_caller_pixels,
)
from visionkit.backends.azure.requests import (
    CAPABILITIES,
    AzureRequest,
    ImageRef,
    analyze_request,
    area_of_interest_request,
    auth_headers,
    describe_request,
    needs_analyze,
    read_request,
    read_result_request,
    thumbnail_request,
)
from visionkit.backends.base import Analyzer
from visionkit.backends.http import (
    Clock,
    Flow,
    HttpClients,
    Retrier,
    Wait,
    run_flow,
    run_flow_async,
    transport_error,
)
from visionkit.errors import (
    BackendError,
    BackendTimeoutError,
    ConfigError,
)
from visionkit.features import Feature
from visionkit.images import ImageInput, LoadedImage, is_url, load_image, load_image_async
from visionkit.options import Secret, option_env
from visionkit.results import AnalysisResult, BoundingBox, Caption, TextLine

_T = TypeVar("_T")

_MAX_POLL_INTERVAL_S = 5.0
_THUMBNAIL_MAX_SIDE = 1024


_Flow = Flow[AzureRequest, _T]


@dataclass(frozen=True)
class _Target:
    """The image as it travels: a URL Azure fetches, or the loaded image and its uploads."""

    url: str | None = None
    image: LoadedImage | None = None
    uploads: dict[UploadLimits, Upload] = field(default_factory=dict)

    def ref(self, limits: UploadLimits) -> ImageRef:
        return self.url if self.url is not None else self.uploads[limits].data

    @property
    def source(self) -> str | None:
        return self.image.source if self.image is not None else self.url


class AzureAnalyzer(Analyzer):
    """Analyses images with Azure Computer Vision; reuse one instance for many images.

    Besides :meth:`analyze`, it offers Azure's other single-purpose calls,
    each with an ``_async`` twin: :meth:`describe`, :meth:`read_text`,
    :meth:`thumbnail` and :meth:`area_of_interest`.

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

    # -- Analyzer ------------------------------------------------------------------------

    @classmethod
    def capabilities_for(cls, options: AzureOptions) -> frozenset[Feature]:
        """Image Analysis 4.0 (``api="4.0"``) offers fewer features than v3.2."""
        return imageanalysis4.CAPABILITIES if options.api == "4.0" else cls.capabilities

    @property
    def label(self) -> str:
        return f"{self.name} (api 4.0)" if self._v4 else self.name

    def _analyze(self, image: ImageInput, features: frozenset[Feature]) -> AnalysisResult:
        target = self._target(image, self._limits_for(features))
        return self._run(self._analyze_flow(target, features))

    async def _analyze_async(
        self, image: ImageInput, features: frozenset[Feature]
    ) -> AnalysisResult:
        target = await self._target_async(image, self._limits_for(features))
        return await self._run_async(self._analyze_flow(target, features))

    @classmethod
    def configuration_problems(cls, options: AzureOptions) -> list[str]:
        """Missing credentials, named by the variables that would set them (no call is made)."""
        fields = {f.name: f for f in AzureOptions.__dataclass_fields__.values()}
        return [
            f"{name} not set ({' or '.join(option_env(fields[name]))})"
            for name in ("endpoint", "key")
            if not getattr(options, name)
        ]

    def close(self) -> None:
        self._clients.close()

    async def aclose(self) -> None:
        await self._clients.aclose()

    # -- Azure's single-purpose operations -----------------------------------------------

    def describe(self, image: ImageInput, max_candidates: int = 3) -> tuple[Caption, ...]:
        """Up to ``max_candidates`` captions, most confident first (Describe Image)."""
        _check_range("max_candidates", max_candidates, 1, 20)
        target = self._target(image, (self._analyze_limits,))
        return self._run(self._describe_flow(target, max_candidates))

    async def describe_async(
        self, image: ImageInput, max_candidates: int = 3
    ) -> tuple[Caption, ...]:
        _check_range("max_candidates", max_candidates, 1, 20)
        target = await self._target_async(image, (self._analyze_limits,))
        return await self._run_async(self._describe_flow(target, max_candidates))

    def read_text(self, image: ImageInput) -> tuple[TextLine, ...]:
        """The text in the image, line by line with word polygons (Read, with polling)."""
        target = self._target(image, (self._read_limits,))
        return self._run(self._text_flow(target))

    async def read_text_async(self, image: ImageInput) -> tuple[TextLine, ...]:
        target = await self._target_async(image, (self._read_limits,))
        return await self._run_async(self._text_flow(target))

    def thumbnail(
        self, image: ImageInput, width: int, height: int, smart_crop: bool = True
    ) -> bytes:
        """A JPEG thumbnail of exactly ``width`` x ``height`` (1-1024 px each).

        ``smart_crop`` crops around the region of interest instead of the
        centre when the aspect ratio changes.
        """
        self._check_thumbnail(width, height)
        target = self._target(image, (self._analyze_limits,))
        return self._run(self._thumbnail_flow(target, width, height, smart_crop))

    async def thumbnail_async(
        self, image: ImageInput, width: int, height: int, smart_crop: bool = True
    ) -> bytes:
        self._check_thumbnail(width, height)
        target = await self._target_async(image, (self._analyze_limits,))
        return await self._run_async(self._thumbnail_flow(target, width, height, smart_crop))

    def area_of_interest(self, image: ImageInput) -> BoundingBox:
        """The box around the image's main subject, in the caller's pixels."""
        target = self._target(image, (self._analyze_limits,))
        return self._run(self._area_of_interest_flow(target))

    async def area_of_interest_async(self, image: ImageInput) -> BoundingBox:
        target = await self._target_async(image, (self._analyze_limits,))
        return await self._run_async(self._area_of_interest_flow(target))

    # -- flows: each operation once, for both drivers ------------------------------------

    def _analyze_flow(self, target: _Target, features: frozenset[Feature]) -> _Flow[AnalysisResult]:
        if self._v4:
            return (yield from self._analyze_v4_flow(target, features))
        raw: dict[str, Any] = {}
        result = AnalysisResult(backend=self.name)
        # Metadata comes free with a local image, or with Read's page size.
        metadata_known = target.image is not None or Feature.TEXT in features
        if needs_analyze(features, metadata_known=metadata_known):
            request = analyze_request(
                self._endpoint,
                target.ref(self._analyze_limits),
                features,
                language=self.options.language,
                model_version=self.options.model_version,
            )
            response = yield from self._call(request, "Analyze Image", target)
            body = _json(response, "Analyze Image")
            raw["analyze"] = body
            result = mapping.analysis_result(
                mapping.parse_analysis(body),
                request_id=response.headers.get(REQUEST_ID_HEADER),
            )
            if target.image is not None:
                result = to_caller_pixels(result, target.uploads[self._analyze_limits])
        if Feature.TEXT in features:
            body, request_id = yield from self._read_flow(target)
            raw["read"] = body
            operation = mapping.parse_read(body)
            result = replace(
                result,
                text=self._caller_lines(mapping.text_lines(operation), target),
                metadata=result.metadata or mapping.read_metadata(operation),
                model_version=result.model_version or mapping.read_model_version(operation),
                request_id=result.request_id or request_id,
            )
        return _finish(result, raw, target, features)

    def _analyze_v4_flow(
        self, target: _Target, features: frozenset[Feature]
    ) -> _Flow[AnalysisResult]:
        raw: dict[str, Any] = {}
        result = AnalysisResult(backend=self.name)
        if self._needs_v4_call(features, metadata_known=target.image is not None):
            body, request_id = yield from self._v4_call(target, features)
            raw["analyze"] = body
            result = imageanalysis4.analysis_result(body, request_id=request_id)
            if target.image is not None:
                result = to_caller_pixels(result, target.uploads[self._analyze_limits])
        return _finish(result, raw, target, features)

    def _v4_call(
        self,
        target: _Target,
        features: frozenset[Feature] = frozenset(),
        extra_features: tuple[str, ...] = (),
    ) -> _Flow[tuple[dict[str, Any], str | None]]:
        request = imageanalysis4.analyze_request(
            self._endpoint,
            target.ref(self._analyze_limits),
            features,
            extra_features=extra_features,
            language=self.options.language,
            model_version=self.options.model_version,
        )
        response = yield from self._call(request, "Analyze Image (4.0)", target)
        return _json(response, "Analyze Image (4.0)"), response.headers.get(REQUEST_ID_HEADER)

    def _read_flow(self, target: _Target) -> _Flow[tuple[dict[str, Any], str | None]]:
        """Submit a Read operation, then poll it with growing waits until it ends."""
        request = read_request(
            self._endpoint,
            target.ref(self._read_limits),
            language=self.options.language,
            model_version=self.options.model_version,
        )
        submitted = yield from self._call(request, "Read", target)
        request_id = submitted.headers.get(REQUEST_ID_HEADER)
        location = submitted.headers.get("Operation-Location")
        if not location:
            raise BackendError(
                f"{SERVICE} accepted the Read request but named no Operation-Location to "
                f"fetch the result from (HTTP {submitted.status_code}).",
                backend=self.name,
                status=submitted.status_code,
                request_id=request_id,
            )
        poll = read_result_request(self._endpoint, location)
        clock = self._retrier.clock
        deadline = clock.now() + self.options.read_max_wait_s
        interval = self.options.read_poll_interval_s
        while True:
            yield Wait(max(min(interval, deadline - clock.now()), 0.0))
            response = yield from self._call(poll, "Get Read Result", target)
            body = _json(response, "Get Read Result")
            status = mapping.read_status(mapping.parse_read(body))
            if status == "succeeded":
                return body, request_id
            if status == "failed":
                raise BackendError(
                    f"{SERVICE} could not read the text in {target.source or 'the image'}: "
                    f"the Read operation failed. Check the image is a document or photo with "
                    f"legible text, then try again.",
                    backend=self.name,
                    status=response.status_code,
                    code="failed",
                    request_id=request_id,
                )
            if clock.now() >= deadline:
                raise BackendTimeoutError(
                    f"{SERVICE}'s Read operation was still {status or 'pending'} after "
                    f"{self.options.read_max_wait_s:g}s. Raise read_max_wait_s for large "
                    f"images, or try again later.",
                    backend=self.name,
                    request_id=request_id,
                )
            interval = min(interval * 1.5, _MAX_POLL_INTERVAL_S)

    def _text_flow(self, target: _Target) -> _Flow[tuple[TextLine, ...]]:
        if self._v4:
            body, _ = yield from self._v4_call(target, frozenset({Feature.TEXT}))
            lines = imageanalysis4.text_lines(body) or ()
        else:
            body, _ = yield from self._read_flow(target)
            lines = mapping.text_lines(mapping.parse_read(body))
        return self._caller_lines(lines, target)

    def _describe_flow(self, target: _Target, max_candidates: int) -> _Flow[tuple[Caption, ...]]:
        if self._v4:  # 4.0 gives one caption, whatever max_candidates says
            body, _ = yield from self._v4_call(target, frozenset({Feature.CAPTION}))
            return imageanalysis4.captions(body) or ()
        request = describe_request(
            self._endpoint,
            target.ref(self._analyze_limits),
            max_candidates=max_candidates,
            language=self.options.language,
            model_version=self.options.model_version,
        )
        response = yield from self._call(request, "Describe Image", target)
        description = mapping.parse_description(_json(response, "Describe Image"))
        found = mapping.captions(description) or ()
        return tuple(sorted(found, key=lambda c: c.confidence, reverse=True))

    def _thumbnail_flow(
        self, target: _Target, width: int, height: int, smart_crop: bool
    ) -> _Flow[bytes]:
        request = thumbnail_request(
            self._endpoint,
            target.ref(self._analyze_limits),
            width=width,
            height=height,
            smart_crop=smart_crop,
            model_version=self.options.model_version,
        )
        response = yield from self._call(request, "Generate Thumbnail", target)
        if not response.headers.get("Content-Type", "").startswith("image/"):
            raise BackendError(
                f"{SERVICE} answered Generate Thumbnail with "
                f"{response.headers.get('Content-Type') or 'no content type'}, not an image.",
                backend=self.name,
                status=response.status_code,
                request_id=response.headers.get(REQUEST_ID_HEADER),
            )
        return response.content

    def _area_of_interest_flow(self, target: _Target) -> _Flow[BoundingBox]:
        if self._v4:
            body, request_id = yield from self._v4_call(
                target, extra_features=(imageanalysis4.SMART_CROPS,)
            )
            box = imageanalysis4.smart_crop(body)
        else:
            request = area_of_interest_request(
                self._endpoint,
                target.ref(self._analyze_limits),
                model_version=self.options.model_version,
            )
            response = yield from self._call(request, "Get Area of Interest", target)
            request_id = response.headers.get(REQUEST_ID_HEADER)
            area = mapping.parse_area_of_interest(_json(response, "Get Area of Interest"))
            box = mapping.bounding_rect(area.area_of_interest)
        if box is None:
            raise BackendError(
                f"{SERVICE} answered without an area of interest.",
                backend=self.name,
                request_id=request_id,
            )
        if target.image is None:
            return box
        upload = target.uploads[self._analyze_limits]
        return BoundingBox.from_xyxy(
            box.x * upload.scale_x,
            box.y * upload.scale_y,
            box.x2 * upload.scale_x,
            box.y2 * upload.scale_y,
        )

    def _call(
        self, request: AzureRequest, operation: str, target: _Target
    ) -> _Flow[httpx.Response]:
        """Yield ``request`` to the driver; return its 2xx response or raise the mapped error."""
        response = yield request
        if not isinstance(response, httpx.Response):
            raise TypeError("a flow driver must answer every request with a response")
        if not response.is_success:
            raise error_from_response(
                response.status_code,
                response.content,
                response.headers,
                operation=operation,
                source=target.source,
            )
        return response

    def _caller_lines(self, lines: tuple[TextLine, ...], target: _Target) -> tuple[TextLine, ...]:
        if target.image is None:
            return lines
        return lines_to_caller_pixels(lines, target.uploads[self._read_limits])

    # -- drivers -------------------------------------------------------------------------

    def _run(self, flow: _Flow[_T]) -> _T:
        return run_flow(flow, self._send, self._retrier.clock)

    async def _run_async(self, flow: _Flow[_T]) -> _T:
        return await run_flow_async(flow, self._send_async, self._retrier.clock)

    def _send(self, step: AzureRequest) -> httpx.Response:
        client = self._clients.sync
        try:
            return self._retrier.send(client, self._build(client, step))
        except httpx.TransportError as exc:
            raise transport_error(exc, backend=self.name, service=SERVICE) from exc

    async def _send_async(self, step: AzureRequest) -> httpx.Response:
        client = self._clients.asynchronous
        try:
            return await self._retrier.asend(client, self._build(client, step))
        except httpx.TransportError as exc:
            raise transport_error(exc, backend=self.name, service=SERVICE) from exc

    def _build(self, client: httpx.Client | httpx.AsyncClient, step: AzureRequest) -> httpx.Request:
        return client.build_request(
            step.method,
            step.url,
            params=step.params,
            headers={**step.headers, **auth_headers(self._key)},
            content=step.content,
        )

    # -- image preparation ---------------------------------------------------------------

    def _limits_for(self, features: frozenset[Feature]) -> tuple[UploadLimits, ...]:
        """Which uploads a local image needs: one per service operation that will be called."""
        if self._v4:
            needed = self._needs_v4_call(features, metadata_known=True)
            return (IMAGE_ANALYSIS_4_LIMITS,) if needed else ()
        limits = []
        if needs_analyze(features, metadata_known=True):
            limits.append(ANALYZE_LIMITS)
        if Feature.TEXT in features:
            limits.append(READ_LIMITS)
        return tuple(limits)

    @staticmethod
    def _needs_v4_call(features: frozenset[Feature], *, metadata_known: bool) -> bool:
        if features & imageanalysis4.FEATURES.keys():
            return True
        return Feature.METADATA in features and not metadata_known

    def _check_thumbnail(self, width: int, height: int) -> None:
        if self._v4:
            raise ConfigError(
                "thumbnail() needs api='v3.2': Image Analysis 4.0 has no thumbnail operation. "
                "Use area_of_interest() and crop the image yourself.",
                backend=self.name,
            )
        _check_range("width", width, 1, _THUMBNAIL_MAX_SIDE)
        _check_range("height", height, 1, _THUMBNAIL_MAX_SIDE)

    def _target(self, image: ImageInput, limits: Collection[UploadLimits]) -> _Target:
        if is_url(image):
            return _Target(url=str(image))
        return self._uploads(load_image(image), limits)

    async def _target_async(self, image: ImageInput, limits: Collection[UploadLimits]) -> _Target:
        if is_url(image):
            return _Target(url=str(image))
        loaded = await load_image_async(image)
        # Resizing and re-encoding are CPU-bound; keep them off the event loop.
        return await asyncio.to_thread(self._uploads, loaded, limits)

    def _uploads(self, loaded: LoadedImage, limits: Collection[UploadLimits]) -> _Target:
        fit = self.options.resize_to_fit
        uploads = {lim: prepare_upload(loaded, lim, resize_to_fit=fit) for lim in limits}
        return _Target(image=loaded, uploads=uploads)


# -- helpers ---------------------------------------------------------------------------


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


def _field(feature: Feature) -> str:
    # The result attribute is plural for the one feature whose name is singular.
    return "captions" if feature is Feature.CAPTION else feature.value


def _only(result: AnalysisResult, features: frozenset[Feature]) -> AnalysisResult:
    """``result`` with every feature that was not asked for set to ``None``.

    Azure adds sections of its own accord (metadata always, categories when
    celebrities are asked for); "``None`` means not requested" must still hold.
    """
    unrequested: dict[str, Any] = {_field(f): None for f in Feature if f not in features}
    return replace(result, **unrequested)


def _finish(
    result: AnalysisResult, raw: dict[str, Any], target: _Target, features: frozenset[Feature]
) -> AnalysisResult:
    """The final touches every analysis gets, whichever API answered it."""
    if target.image is not None:
        # The caller's image, not the (possibly resized) upload Azure measured.
        result = replace(result, metadata=target.image.metadata())
    return _only(replace(result, raw=raw), features)


def _json(response: httpx.Response, operation: str) -> dict[str, Any]:
    return decode_json(
        response.status_code, response.content, response.headers, operation=operation
    )


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")


__all__ = ["AzureAnalyzer"]
