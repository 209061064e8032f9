"""The ``google`` backend: Google Cloud Vision ``images:annotate`` behind one Analyzer.

This module only wires the pure parts together: :mod:`.requests` says what to
send, :mod:`.upload` makes the image fit, :mod:`.mapping` and :mod:`.errors`
read the answers, :mod:`.auth` supplies the credentials, and
:mod:`visionkit.backends.http` sends, retries and pools connections.

One operation, written once as a flow (:mod:`visionkit.backends.http.flow`)
and run by the sync or the async driver: annotate 1 to 16 images in one
request, map each image's answer, and send again only the images whose answer
was a transient per-image error (deadline, internal, unavailable). A
per-image error fails that image alone; a failed request fails them all.

It is over the project's ~400-line guide because the single-image and the 16-image batch
paths, with their per-image error handling, share one flow; request building, mapping,
errors and auth already live in their own modules.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import httpx

from visionkit.backends.base import FeaturesArg
from visionkit.backends.google import mapping
from visionkit.backends.google.auth import credentials_for, wrap_credentials
from visionkit.backends.google.errors import (
    BACKEND,
    SERVICE,
    TRANSIENT_IMAGE_CODES,
    decode_json,
    error_from_response,
    error_from_status,
    scrubbed,
)
from visionkit.backends.google.options import GoogleOptions
from visionkit.backends.google.requests import (
    CAPABILITIES,
    CROP_HINTS,
    MAX_IMAGES_PER_REQUEST,
    FeatureSettings,
    GoogleRequest,
    ImagePayload,
    annotate_request,
    chunk_sizes,
    encoded_size,
    feature_types,
)
from visionkit.backends.google.upload import prepare_upload
from visionkit.backends.http import (
    Clock,
    Deadline,
    Flow,
    HttpClients,
    Retrier,
    Scrubber,
    Wait,
    run_flow,
    run_flow_async,
    transport_error,
)
from visionkit.backends.http.secrets import install_log_filter
from visionkit.backends.http.storage import StorageUriDefaults
from visionkit.errors import BackendError, ConfigError, VisionKitError
from visionkit.features import Feature
from visionkit.images import DEFAULT_LIMITS, ImageInput, is_url, load_image, load_image_async
from visionkit.images.fetch import parse_url
from visionkit.options import option_env, remember_secrets
from visionkit.results import AnalysisResult, BoundingBox, ImageMetadata

_T = TypeVar("_T")
_Flow = Flow[GoogleRequest, _T]
Outcome = AnalysisResult | VisionKitError

_NEEDS_SIZE = frozenset({Feature.OBJECTS, Feature.METADATA})
"""Features that need the size of the image sent, which Google never returns."""

_GCLOUD_ADC = Path("~/.config/gcloud/application_default_credentials.json")


@dataclass(frozen=True)
class _Target:
    """One image as it travels: base64 bytes of known size, or a URI Google fetches."""

    payload: ImagePayload
    source: str
    metadata: ImageMetadata | None = None


class GoogleAnalyzer(StorageUriDefaults):
    """Analyses images with Google Cloud Vision; reuse one instance for many images.

    :meth:`analyze_batch` sends up to 16 images per request; :meth:`area_of_interest`
    (and its ``_async`` twin) returns Google's crop hint.

    ``http_client`` / ``async_http_client`` replace the pooled clients it
    would create (the caller keeps ownership); ``transport`` is given to the
    clients it creates instead. ``credentials`` replaces the ones the options
    name: a ``google.auth`` credentials object, or a
    :class:`~visionkit.backends.google.auth.Credentials`. ``clock`` replaces
    real sleeping in retries (tests).
    """

    name: ClassVar[str] = "google"
    remote: ClassVar[bool] = True
    accepts_transport: ClassVar[bool] = True
    capabilities: ClassVar[frozenset[Feature]] = CAPABILITIES
    batch_size: ClassVar[int] = MAX_IMAGES_PER_REQUEST
    storage_scheme: ClassVar[str] = "gs://"
    needs_size: ClassVar[frozenset[Feature]] = _NEEDS_SIZE
    """For a ``gs://`` URI, "everything" leaves these out: Google returns no size."""
    Options = GoogleOptions
    options: GoogleOptions

    def __init__(
        self,
        options: GoogleOptions | None = None,
        /,
        *,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        credentials: Any = None,
        clock: Clock | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(options, **overrides)
        self._credentials = wrap_credentials(credentials, self.options) or credentials_for(
            self.options
        )
        self._settings = FeatureSettings(
            max_results=self.options.max_results,
            model=self.options.model,
            text_mode=self.options.text_mode,
            language_hints=self.options.language_hints,
        )
        self._clients = HttpClients(
            timeout=self.options.timeout_s,
            http_client=http_client,
            async_http_client=async_http_client,
            transport=transport,
        )
        self._retrier = Retrier(self.options.retry_policy(), clock=clock)
        install_log_filter()  # httpcore logs response headers verbatim at DEBUG
        self._scrubber()

    # -- Analyzer ------------------------------------------------------------------------

    @property
    def default_features(self) -> frozenset[Feature]:
        """``features=None`` leaves out the area of interest (CROP_HINTS): a feature Google
        bills per image, which callers of "everything" did not pay for before it was added."""
        return self.supported_features - {Feature.AREA_OF_INTEREST}

    @classmethod
    def capabilities_for(cls, options: GoogleOptions) -> frozenset[Feature]:
        """Everything, less objects and metadata when URLs are passed on (no size known)."""
        if options.url_mode == "pass":
            return CAPABILITIES - _NEEDS_SIZE
        return CAPABILITIES

    @classmethod
    def configuration_problems(cls, options: GoogleOptions) -> list[str]:
        """Missing credentials, named by the variables that would set them (no call is made)."""
        fields = {f.name: f for f in GoogleOptions.__dataclass_fields__.values()}
        key_env = " or ".join(option_env(fields["api_key"]))
        file_env = " or ".join(option_env(fields["credentials_file"]))
        mode = options.auth
        if mode == "api_key" and not options.api_key:
            return [f"api_key not set ({key_env})"]
        if mode == "credentials_file" and not options.credentials_file:
            return [f"credentials_file not set ({file_env})"]
        unset = mode == "auto" and not options.api_key and not options.credentials_file
        if unset and not _GCLOUD_ADC.expanduser().is_file():
            return [
                f"no credentials: set {key_env}, or {file_env} to a service-account key "
                f"file, or run 'gcloud auth application-default login'"
            ]
        return []

    def _analyze(self, image: ImageInput, features: frozenset[Feature]) -> AnalysisResult:
        target = self._target(image, features)
        return _raise_error(self._run(self._annotate_flow([target], features))[0])

    async def _analyze_async(
        self, image: ImageInput, features: frozenset[Feature]
    ) -> AnalysisResult:
        target = await self._target_async(image, features)
        return _raise_error((await self._run_async(self._annotate_flow([target], features)))[0])

    def _analyze_batch(
        self, images: Sequence[ImageInput], features: frozenset[Feature]
    ) -> list[AnalysisResult | VisionKitError]:
        """Up to 16 images per request, and under the request's 10 MB of JSON.

        An image that cannot be loaded, or that Google answers with an error,
        fails alone; a request that fails as a whole fails its images.
        """
        outcomes: list[_Target | Outcome] = []
        for image in images:
            try:
                outcomes.append(self._target(image, features))
            except VisionKitError as exc:
                outcomes.append(exc)
        for chunk in _requests(outcomes):
            try:
                answers = self._run(self._annotate_flow(_targets(outcomes, chunk), features))
            except VisionKitError as exc:
                answers = [exc] * len(chunk)
            _fill(outcomes, chunk, answers)
        return _outcomes(outcomes)

    async def analyze_batch_async(
        self, images: Sequence[ImageInput], features: FeaturesArg = None
    ) -> list[AnalysisResult | VisionKitError]:
        """The awaitable twin of :meth:`analyze_batch`: the same 16-image requests.

        ``analyze_many`` calls it on the event loop (its async path), so a cloud
        run pays one request per 16 images there as on worker threads.
        """
        wanted = self.resolve_features(features)
        started = time.perf_counter()
        outcomes = await self._analyze_batch_async(images, wanted)
        share = (time.perf_counter() - started) / max(len(images), 1)
        return [o.with_timing(share) if isinstance(o, AnalysisResult) else o for o in outcomes]

    async def _analyze_batch_async(
        self, images: Sequence[ImageInput], features: frozenset[Feature]
    ) -> list[AnalysisResult | VisionKitError]:
        async def target(image: ImageInput) -> _Target | Outcome:
            try:
                return await self._target_async(image, features)
            except VisionKitError as exc:
                return exc

        outcomes = list(await asyncio.gather(*(target(image) for image in images)))
        for chunk in _requests(outcomes):
            flow = self._annotate_flow(_targets(outcomes, chunk), features)
            try:
                answers = await self._run_async(flow)
            except VisionKitError as exc:
                answers = [exc] * len(chunk)
            _fill(outcomes, chunk, answers)
        return _outcomes(outcomes)

    def close(self) -> None:
        self._clients.close()
        self._credentials.close()

    async def aclose(self) -> None:
        await self._clients.aclose()
        self._credentials.close()

    # -- Google's crop hint --------------------------------------------------------------

    def area_of_interest(self, image: ImageInput) -> BoundingBox:
        """The box of Google's first crop hint (``CROP_HINTS``), in the caller's pixels."""
        target = self._target(image, frozenset())
        return self._run(self._crop_flow(target))

    async def area_of_interest_async(self, image: ImageInput) -> BoundingBox:
        target = await self._target_async(image, frozenset())
        return await self._run_async(self._crop_flow(target))

    # -- flows ---------------------------------------------------------------------------

    def _annotate_flow(
        self, targets: Sequence[_Target], features: frozenset[Feature]
    ) -> _Flow[list[Outcome]]:
        """Annotate ``targets`` in one request; re-send only transiently failed images."""
        types = feature_types(features, self._settings)
        outcomes: list[Outcome | None] = [None] * len(targets)
        pending = list(range(len(targets)))
        if not types:  # metadata alone: measured locally, nothing to pay Google for
            return [self._result({}, targets[i], features) for i in pending]
        clock, policy = self._retrier.clock, self._retrier.policy
        started, retry = clock.now(), 0
        while True:
            answers = yield from self._annotate([targets[i] for i in pending], types)
            # Re-sending transient failures is bounded by the same retry count and time
            # budget as the HTTP retries, so one image never waits longer than configured.
            delay = policy.backoff(retry, random.random())
            may_retry = (
                retry < policy.max_retries
                and clock.now() - started + delay <= policy.max_retry_time_s
            )
            again = []
            for i, answer in zip(pending, answers, strict=True):
                error = _image_error(answer)
                if error is None:
                    outcomes[i] = self._result(answer, targets[i], features)
                elif _code(error) in TRANSIENT_IMAGE_CODES and may_retry:
                    again.append(i)
                else:
                    outcomes[i] = error_from_status(
                        error, source=targets[i].source, secrets=self._credentials.secrets()
                    )
            if not again:
                return [o for o in outcomes if o is not None]
            yield Wait(delay)
            retry, pending = retry + 1, again

    def _crop_flow(self, target: _Target) -> _Flow[BoundingBox]:
        (answer,) = yield from self._annotate([target], (CROP_HINTS,))
        error = _image_error(answer)
        if error is not None:
            raise error_from_status(
                error, source=target.source, secrets=self._credentials.secrets()
            )
        size = (target.metadata.width, target.metadata.height) if target.metadata else None
        box = mapping.crop_hint(answer, size)
        if box is None:
            raise BackendError(
                f"{SERVICE} answered without a crop hint for {target.source}.", backend=BACKEND
            )
        return box

    def _annotate(
        self, targets: Sequence[_Target], types: Sequence[str]
    ) -> _Flow[list[dict[str, Any]]]:
        """One ``images:annotate`` call: the answers in request order, or the mapped error."""
        request = annotate_request(
            self.options.endpoint, [t.payload for t in targets], types, self._settings
        )
        response = yield request
        if not isinstance(response, httpx.Response):
            raise TypeError("a flow driver must answer every request with a response")
        secrets = self._credentials.secrets()
        source = targets[0].source if len(targets) == 1 else None
        if not response.is_success:
            raise error_from_response(
                response.status_code,
                response.content,
                response.headers,
                source=source,
                secrets=secrets,
            )
        body = self._scrubber().json(
            decode_json(response.status_code, response.content, secrets=secrets)
        )
        answers = body.get("responses", [])
        if not isinstance(answers, list) or len(answers) != len(targets):
            got = len(answers) if isinstance(answers, list) else type(answers).__name__
            raise BackendError(
                f"{SERVICE} answered {len(targets)} image(s) with {got} responses; the answer "
                f"is malformed. Try again.",
                backend=BACKEND,
                status=response.status_code,
            )
        return [a if isinstance(a, dict) else {"error": {"message": repr(a)[:80]}} for a in answers]

    def _result(
        self, answer: dict[str, Any], target: _Target, features: frozenset[Feature]
    ) -> AnalysisResult:
        return mapping.analysis_result(
            answer,
            features,
            metadata=target.metadata,
            model_version=self.options.model,
            raw={"annotate": scrubbed(answer, self._credentials.secrets())},
        )

    # -- drivers -------------------------------------------------------------------------

    def _run(self, flow: _Flow[_T]) -> _T:
        """Run one call under its own deadline; any error leaves with the secrets scrubbed."""
        deadline = Deadline(self._retrier.clock, self.options.deadline_s)
        try:
            return run_flow(
                flow, lambda step: self._send(step, deadline), self._retrier.clock, deadline
            )
        except httpx.TransportError as exc:
            raise self._scrubbed(transport_error(exc, backend=BACKEND, service=SERVICE)) from exc
        except Exception as exc:
            self._scrubbed(exc)  # in place: the traceback keeps its frames
            raise

    async def _run_async(self, flow: _Flow[_T]) -> _T:
        deadline = Deadline(self._retrier.clock, self.options.deadline_s)

        async def send(step: GoogleRequest) -> httpx.Response:
            return await self._send_async(step, deadline)

        try:
            return await run_flow_async(flow, send, self._retrier.clock, deadline)
        except httpx.TransportError as exc:
            raise self._scrubbed(transport_error(exc, backend=BACKEND, service=SERVICE)) from exc
        except Exception as exc:
            self._scrubbed(exc)  # in place: the traceback keeps its frames
            raise

    def _scrubber(self) -> Scrubber:
        secrets = self._credentials.secrets()
        remember_secrets(secrets)  # the log filter and the result cache scrub them too
        return Scrubber(secrets)

    def _scrubbed(self, exc: BaseException) -> BaseException:
        return self._scrubber().exception(exc)

    def _send(self, step: GoogleRequest, deadline: Deadline | None = None) -> httpx.Response:
        client = self._clients.sync
        request = self._build(client, step, self._credentials.headers())
        try:
            return self._retrier.send(client, request, deadline)
        except httpx.TransportError as exc:
            raise self._scrubbed(transport_error(exc, backend=BACKEND, service=SERVICE)) from exc

    async def _send_async(
        self, step: GoogleRequest, deadline: Deadline | None = None
    ) -> httpx.Response:
        client = self._clients.asynchronous
        request = self._build(client, step, await self._credentials.aheaders())
        try:
            return await self._retrier.asend(client, request, deadline)
        except httpx.TransportError as exc:
            raise self._scrubbed(transport_error(exc, backend=BACKEND, service=SERVICE)) from exc

    @staticmethod
    def _build(
        client: httpx.Client | httpx.AsyncClient, step: GoogleRequest, auth: dict[str, str]
    ) -> httpx.Request:
        return client.build_request(
            step.method, step.url, headers={**step.headers, **auth}, content=step.content
        )

    # -- image preparation ---------------------------------------------------------------

    def _uri(self, image: ImageInput, features: frozenset[Feature]) -> _Target | None:
        """The target for an image Google fetches itself (``gs://``, or URLs with url_mode=pass)."""
        passed = is_url(image) and self.options.url_mode == "pass"
        if not (passed or self.is_storage_uri(image)):
            return None
        uri = str(image)
        if passed:  # Google downloads it: refuse a URL no request could be made to, here
            parse_url(uri, DEFAULT_LIMITS)
        needs_size = sorted(f.value for f in features & _NEEDS_SIZE)
        if needs_size:
            raise ConfigError(
                f"{', '.join(needs_size)} need the size of the image, which Google does not "
                f"return and visionkit cannot measure for {uri.split('?')[0]} without reading "
                f"it. Leave them out of features, or pass the image itself (bytes or a path).",
                backend=BACKEND,
            )
        return _Target(uri, uri.split("?")[0])

    def _target(self, image: ImageInput, features: frozenset[Feature]) -> _Target:
        uri = self._uri(image, features)
        if uri is not None:
            return uri
        loaded = load_image(image)
        upload = prepare_upload(loaded)
        return _Target(upload.data, loaded.source, loaded.metadata())

    async def _target_async(self, image: ImageInput, features: frozenset[Feature]) -> _Target:
        uri = self._uri(image, features)
        if uri is not None:
            return uri
        loaded = await load_image_async(image)
        # Re-encoding is CPU-bound; keep it off the event loop.
        upload = await asyncio.to_thread(prepare_upload, loaded)
        return _Target(upload.data, loaded.source, loaded.metadata())


# -- helpers ---------------------------------------------------------------------------


def _image_error(answer: dict[str, Any]) -> dict[str, Any] | None:
    error = answer.get("error")
    if isinstance(error, dict) and (error.get("code") or error.get("message")):
        return error
    return None


def _code(error: dict[str, Any]) -> int | None:
    code = error.get("code")
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def _requests(slots: Sequence[_Target | Outcome]) -> list[list[int]]:
    """The positions of the loaded images, cut into one list per ``images:annotate`` call."""
    loaded = [i for i, slot in enumerate(slots) if isinstance(slot, _Target)]
    sizes = chunk_sizes([encoded_size(_as_target(slots[i]).payload) for i in loaded])
    chunks, start = [], 0
    for size in sizes:
        chunks.append(loaded[start : start + size])
        start += size
    return chunks


def _as_target(slot: _Target | Outcome) -> _Target:
    assert isinstance(slot, _Target)
    return slot


def _targets(slots: Sequence[_Target | Outcome], chunk: Sequence[int]) -> list[_Target]:
    return [_as_target(slots[i]) for i in chunk]


def _fill(slots: list[_Target | Outcome], chunk: Sequence[int], answers: Sequence[Outcome]) -> None:
    for i, answer in zip(chunk, answers, strict=True):
        slots[i] = answer


def _outcomes(slots: Sequence[_Target | Outcome]) -> list[Outcome]:
    """Every slot answered: a target left unanswered would be a bug in the chunking."""
    return [slot for slot in slots if not isinstance(slot, _Target)]


def _raise_error(outcome: Outcome) -> AnalysisResult:
    if isinstance(outcome, VisionKitError):
        raise outcome
    return outcome


__all__ = ["GoogleAnalyzer"]
