"""The ``aws`` backend: AWS Rekognition behind one Analyzer.

This module only wires the pure parts together: :mod:`.requests` says which
operations the features need and what to send, :mod:`.upload` makes the image
fit, :mod:`.signing` signs, :mod:`.mapping` and :mod:`.errors` read the
answers, and :mod:`visionkit.backends.http` sends, retries and pools
connections.

One ``analyze`` call can need up to five operations (labels, moderation,
faces, text, celebrities). They are independent, so they run concurrently
(threads on the one pooled sync client, or tasks on the async one), each
through the shared retry loop. If any fails, the call fails with that
operation's error: a result never silently lacks a feature that was asked for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import httpx

from visionkit.backends.aws import mapping
from visionkit.backends.aws.errors import (
    REQUEST_ID_HEADER,
    SERVICE,
    decode_json,
    error_from_response,
)
from visionkit.backends.aws.options import AwsOptions
from visionkit.backends.aws.requests import (
    CAPABILITIES,
    DETECT_FACES,
    DETECT_LABELS,
    DETECT_MODERATION_LABELS,
    DETECT_TEXT,
    RECOGNIZE_CELEBRITIES,
    LabelSettings,
    RekognitionRequest,
    build_request,
    endpoint_url,
    operations_for,
    request_body,
)
from visionkit.backends.aws.s3 import NEEDS_SIZE, S3Object, check_features, is_s3, parse_s3_uri
from visionkit.backends.aws.signing import (
    INSTALL_HINT,
    AwsIdentity,
    SigV4Signer,
    botocore_installed,
    resolve_identity,
)
from visionkit.backends.aws.upload import prepare_upload
from visionkit.backends.http import (
    Clock,
    Deadline,
    HttpClients,
    Retrier,
    Scrubber,
    transport_error,
)
from visionkit.backends.http.secrets import install_log_filter
from visionkit.backends.http.storage import StorageUriDefaults
from visionkit.errors import BackendError, VisionKitError
from visionkit.features import Feature
from visionkit.images import ImageInput, LoadedImage, load_image, load_image_async
from visionkit.options import remember_secrets
from visionkit.results import AnalysisResult

_Answer = tuple[dict[str, Any], str | None]
"""One operation's decoded body and its request id."""
_Image = LoadedImage | S3Object
"""What an operation is about: a loaded image (sent as bytes) or an S3 object."""


class AwsAnalyzer(StorageUriDefaults):
    """Analyses images with AWS Rekognition; reuse one instance for many images.

    Credentials and region are resolved once, when it is built (botocore's
    chain unless the options name keys); refreshable credentials (SSO, roles)
    are refreshed by botocore as each request is signed.

    ``http_client`` / ``async_http_client`` replace the pooled clients it
    would create (the caller keeps ownership); ``transport`` is given to the
    clients it creates instead. ``clock`` replaces real sleeping in retries.
    ``identity`` replaces credential resolution (tests, or credentials the
    application already holds).
    """

    name: ClassVar[str] = "aws"
    remote: ClassVar[bool] = True
    accepts_transport: ClassVar[bool] = True
    capabilities: ClassVar[frozenset[Feature]] = CAPABILITIES
    storage_scheme: ClassVar[str] = "s3://"
    needs_size: ClassVar[frozenset[Feature]] = NEEDS_SIZE
    """For an ``s3://`` URI, "everything" leaves these out (see :mod:`.s3`)."""
    Options = AwsOptions
    options: AwsOptions

    def __init__(
        self,
        options: AwsOptions | None = None,
        /,
        *,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        identity: AwsIdentity | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(options, **overrides)
        self._identity = identity or resolve_identity(self.options)
        self._signer = SigV4Signer(self._identity)
        self._url = endpoint_url(self._identity.region, self.options.endpoint_url)
        self._labels = LabelSettings(
            min_confidence=self.options.min_confidence,
            max_labels=self.options.max_labels,
            max_dominant_colors=self.options.max_dominant_colors,
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

    @property
    def region(self) -> str:
        return self._identity.region

    # -- Analyzer ------------------------------------------------------------------------

    def _analyze(self, image: ImageInput, features: frozenset[Feature]) -> AnalysisResult:
        loaded: _Image
        if is_s3(image):
            loaded = self._s3(str(image), features)
            requests = self._requests(loaded, features)
        else:
            loaded = load_image(image)
            upload = prepare_upload(loaded, resize_to_fit=self._fit)
            requests = self._requests(upload.data, features)
        if len(requests) <= 1:
            answers = [self._outcome(self._call, r, loaded) for r in requests]
        else:
            with ThreadPoolExecutor(max_workers=len(requests)) as pool:
                answers = list(pool.map(lambda r: self._outcome(self._call, r, loaded), requests))
        return self._result(loaded, features, requests, answers)

    async def _analyze_async(
        self, image: ImageInput, features: frozenset[Feature]
    ) -> AnalysisResult:
        loaded: _Image
        if is_s3(image):
            loaded = self._s3(str(image), features)
            requests = self._requests(loaded, features)
        else:
            loaded = await load_image_async(image)
            # Resizing and re-encoding are CPU-bound; keep them off the event loop.
            upload = await asyncio.to_thread(prepare_upload, loaded, resize_to_fit=self._fit)
            requests = self._requests(upload.data, features)
        answers = await asyncio.gather(
            *(self._call_async(r, loaded) for r in requests), return_exceptions=True
        )
        return self._result(loaded, features, requests, answers)

    @classmethod
    def configuration_problems(cls, options: AwsOptions) -> list[str]:
        """What is visibly missing (botocore, a region), checked without any network call.

        Credentials are not probed here: botocore's chain may end at the instance
        metadata service, a network call; they are checked when the analyzer is built.
        """
        if not botocore_installed():
            return [f"botocore not installed ({INSTALL_HINT})"]
        if options.region:
            return []
        from visionkit.backends.aws.signing import botocore_module

        try:
            session = botocore_module("session").Session(profile=options.profile)
            region = session.get_config_variable("region")
        except Exception as exc:  # ProfileNotFound and config parse errors
            return [f"AWS configuration unreadable ({type(exc).__name__})"]
        return [] if region else ["region not set (AWS_REGION or AWS_DEFAULT_REGION)"]

    def close(self) -> None:
        self._clients.close()

    async def aclose(self) -> None:
        await self._clients.aclose()

    # -- requests ------------------------------------------------------------------------

    @property
    def _fit(self) -> bool:
        return self.options.resize_to_fit

    @staticmethod
    def _s3(uri: str, features: frozenset[Feature]) -> S3Object:
        s3 = parse_s3_uri(uri)
        check_features(s3, features)
        return s3

    def _requests(
        self, image: bytes | S3Object, features: frozenset[Feature]
    ) -> list[RekognitionRequest]:
        return [
            build_request(
                self._url,
                operation,
                request_body(
                    operation,
                    image,
                    features,
                    labels=self._labels,
                    moderation_min_confidence=self.options.moderation_min_confidence,
                ),
            )
            for operation in operations_for(features)
        ]

    def _outcome(
        self, call: Any, request: RekognitionRequest, loaded: _Image
    ) -> _Answer | BaseException:
        try:
            answer: _Answer = call(request, loaded)
        except VisionKitError as exc:
            return exc
        return answer

    def _call(self, request: RekognitionRequest, loaded: _Image) -> _Answer:
        """One operation under its own deadline; any error leaves with the secrets scrubbed."""
        client = self._clients.sync
        deadline = Deadline(self._retrier.clock, self.options.deadline_s)
        try:
            response = self._retrier.send(
                client, self._build(client, request), deadline, auth=self._signer
            )
            return self._read(response, request, loaded)
        except httpx.TransportError as exc:
            raise self._scrubbed(self._transport_error(exc, request)) from exc
        except Exception as exc:
            self._scrubbed(exc)  # in place: the traceback keeps its frames
            raise

    async def _call_async(self, request: RekognitionRequest, loaded: _Image) -> _Answer:
        client = self._clients.asynchronous
        deadline = Deadline(self._retrier.clock, self.options.deadline_s)
        try:
            response = await self._retrier.asend(
                client, self._build(client, request), deadline, auth=self._signer
            )
            return self._read(response, request, loaded)
        except httpx.TransportError as exc:
            raise self._scrubbed(self._transport_error(exc, request)) from exc
        except Exception as exc:
            self._scrubbed(exc)  # in place: the traceback keeps its frames
            raise

    def _scrubber(self) -> Scrubber:
        secrets = self._identity.secrets()
        remember_secrets(secrets)  # the log filter and the result cache scrub them too
        return Scrubber(secrets)

    def _scrubbed(self, exc: BaseException) -> BaseException:
        return self._scrubber().exception(exc)

    def _build(
        self, client: httpx.Client | httpx.AsyncClient, request: RekognitionRequest
    ) -> httpx.Request:
        return client.build_request(
            "POST", request.url, headers=request.headers, content=request.content
        )

    def _read(
        self, response: httpx.Response, request: RekognitionRequest, loaded: _Image
    ) -> _Answer:
        if not response.is_success:
            raise error_from_response(
                response.status_code,
                response.content,
                response.headers,
                operation=request.operation,
                source=loaded.source,
                redact=self._identity.secrets(),
            )
        # Everything kept from the answer (fields, raw, cache, cassettes) is read from
        # the scrubbed body: a proxy that echoes the secret key cannot pass it on.
        scrub = self._scrubber()
        headers = scrub.headers(response.headers)
        body = decode_json(
            response.status_code,
            scrub.binary(response.content),
            headers,
            operation=request.operation,
        )
        return scrub.json(body), headers.get(REQUEST_ID_HEADER)

    def _transport_error(self, exc: httpx.TransportError, request: RekognitionRequest) -> Any:
        return transport_error(exc, backend=self.name, service=f"{SERVICE} ({request.operation})")

    # -- the result ----------------------------------------------------------------------

    def _result(
        self,
        loaded: _Image,
        features: frozenset[Feature],
        requests: Sequence[RekognitionRequest],
        answers: Sequence[_Answer | BaseException],
    ) -> AnalysisResult:
        """One result from every operation's answer, or the first operation's error.

        An S3 object has no size; :func:`.s3.check_features` has refused every feature
        that would need it, so ``0 x 0`` is never used to place a box.
        """
        for answer in answers:
            if isinstance(answer, BaseException):
                raise answer
        bodies: dict[str, dict[str, Any]] = {}
        request_ids: list[str] = []
        for request, answer in zip(requests, answers, strict=True):
            assert not isinstance(answer, BaseException)
            body, request_id = answer
            bodies[request.operation] = body
            if request_id:
                request_ids.append(request_id)
        return AnalysisResult(
            backend=self.name,
            model_version=mapping.model_version(bodies),
            metadata=(
                loaded.metadata()
                if Feature.METADATA in features and isinstance(loaded, LoadedImage)
                else None
            ),
            request_id=", ".join(request_ids) or None,
            raw=bodies,
            **_fields(
                bodies,
                features,
                *((loaded.width, loaded.height) if isinstance(loaded, LoadedImage) else (0, 0)),
                moderation_threshold=self.options.moderation_min_confidence,
            ),
        )


def _fields(
    bodies: dict[str, dict[str, Any]],
    features: frozenset[Feature],
    width: int,
    height: int,
    *,
    moderation_threshold: float,
) -> dict[str, Any]:
    """The result fields ``features`` asked for, mapped from the operations' bodies.

    ``moderation_threshold`` is the ``MinConfidence`` DetectModerationLabels was sent:
    below it Rekognition reports nothing, which the adult scores must say.
    """
    out: dict[str, Any] = {}
    labels = bodies.get(DETECT_LABELS)
    if labels is not None:
        if Feature.TAGS in features:
            out["tags"] = mapping.tags(labels)
        if Feature.OBJECTS in features:
            out["objects"] = mapping.objects(labels, width, height)
        if Feature.CATEGORIES in features:
            out["categories"] = mapping.categories(labels)
        if Feature.COLORS in features:
            out["colors"] = mapping.colors(labels)
            if out["colors"] is None:
                raise BackendError(
                    f"{SERVICE} answered DetectLabels with IMAGE_PROPERTIES requested but "
                    f"no ImageProperties in the answer.",
                    backend="aws",
                )
    if DETECT_MODERATION_LABELS in bodies:
        out["adult"] = mapping.adult(bodies[DETECT_MODERATION_LABELS], moderation_threshold)
    if DETECT_FACES in bodies:
        out["faces"] = mapping.faces(bodies[DETECT_FACES], width, height)
    if DETECT_TEXT in bodies:
        out["text"] = mapping.text_lines(bodies[DETECT_TEXT], width, height)
    if RECOGNIZE_CELEBRITIES in bodies:
        out["celebrities"] = mapping.celebrities(bodies[RECOGNIZE_CELEBRITIES], width, height)
    return out


__all__ = ["AwsAnalyzer"]
