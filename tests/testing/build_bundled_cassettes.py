"""Build visionkit's bundled Azure cassettes from Azure's published REST API examples.

Run from the repository root when the examples or the Azure backend's requests change::

    PYTHONPATH=. .venv/bin/python tests/testing/build_bundled_cassettes.py

Examples are read from ``$VISIONKIT_AZURE_FIXTURES/spec-examples`` (default: the
team's ``shared/fixtures/azure/spec-examples`` beside the repository). Their
README names each file's source repository, path and commit; that provenance
goes into every interaction's ``_comment``. Requests are made by the Azure
backend's own request builders, so a cassette matches what the backend sends.
The output is deterministic: ``test_bundled_cassettes.py`` rebuilds it and
checks that the committed files are exactly what this script makes.

The examples are illustrative bodies written by the API owners, not captured
traffic; the comments say so, and say what was added by hand.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from visionkit.backends.azure.requests import CAPABILITIES, analyze_request, read_request
from visionkit.features import Feature
from visionkit.testing.bundled import BUNDLED_ROOT
from visionkit.testing.cassette import (
    Interaction,
    RecordedRequest,
    RecordedResponse,
    write_cassette,
)
from visionkit.testing.scrub import ENDPOINT_PLACEHOLDER

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SPEC_DIR = REPO_ROOT.parent / "shared" / "fixtures" / "azure" / "spec-examples"
MADE_AT = "2026-11-29T00:00:00Z"
"""``recorded_at`` of every bundled interaction: when they were made (nothing was recorded)."""

_JSON = (("content-type", "application/json; charset=utf-8"),)
_ENDPOINT = "https://example.invalid"  # only its path and query reach the cassette


@dataclass(frozen=True)
class SpecExample:
    """One published example file, with the provenance its README gives."""

    name: str
    data: dict[str, Any]
    source: str

    def body(self, status: str = "200") -> Any:
        return self.data["responses"][status]["body"]


def load_example(spec_dir: Path, name: str) -> SpecExample:
    """Read ``v3.2/<name>`` and find its row (repository, path, commit) in the README."""
    readme = (spec_dir / "README.md").read_text(encoding="utf-8")
    row = re.search(
        rf"^\| `v3\.2/{re.escape(name)}` \| (?P<repo>[^|]+?) \| `(?P<path>[^`]+)` \| "
        r"`(?P<commit>[0-9a-f]{40})` \|$",
        readme,
        re.MULTILINE,
    )
    if row is None:
        raise SystemExit(f"{name} has no provenance row in {spec_dir / 'README.md'}")
    data = json.loads((spec_dir / "v3.2" / name).read_text(encoding="utf-8"))
    source = f"{row['repo']} {row['path']} at commit {row['commit']}"
    return SpecExample(name, data, source)


def _request(method: str, url: str, params: tuple[tuple[str, str], ...] = ()) -> RecordedRequest:
    """The identity of a request, with the body left unpinned: any image matches."""
    described = RecordedRequest.from_httpx(httpx.Request(method, url, params=params))
    return RecordedRequest(method=described.method, path=described.path, query=described.query)


def analyze_interaction(example: SpecExample) -> Interaction:
    sent = analyze_request(_ENDPOINT, b"", CAPABILITIES)
    return Interaction(
        request=_request(sent.method, sent.url, sent.params),
        response=RecordedResponse(200, _JSON, example.body(), "json"),
        recorded_at=MADE_AT,
        comment=(
            f"Hand-made. Response body: responses['200']['body'] of Azure's published REST API "
            f"example {example.name} ({example.source}), an illustrative example written by "
            "the API owners, not captured traffic. Content-Type added by hand (the example "
            "lists no headers). Request: what visionkit's Azure backend sends for every Analyze "
            "feature with default options (no language, no model-version); the body is not "
            "pinned, so any image matches."
        ),
    )


def read_interactions(submit: SpecExample, result: SpecExample) -> list[Interaction]:
    operation_id = result.data["parameters"]["operationId"]
    poll_path = f"/vision/v3.2/read/analyzeResults/{operation_id}"
    sent = read_request(_ENDPOINT, b"")
    finished = result.body()
    running = {
        "status": "running",
        "createdDateTime": finished["createdDateTime"],
        "lastUpdatedDateTime": finished["createdDateTime"],
    }
    poll = _request("GET", f"{_ENDPOINT}{poll_path}")
    return [
        Interaction(
            request=_request(sent.method, sent.url, sent.params),
            response=RecordedResponse(
                202, (("operation-location", ENDPOINT_PLACEHOLDER + poll_path),)
            ),
            recorded_at=MADE_AT,
            comment=(
                f"Hand-made from Azure's published REST API example {submit.name} "
                f"({submit.source}): a 202 naming the result in Operation-Location. The "
                "example's location (https://{domain}/vision/v3.2/read/<id>) lacks the "
                "'analyzeResults/' segment of the GetReadResult operation's path; it is added "
                "here, with the operation id of the GetReadResult example so the two agree. "
                "Replay points <endpoint> at the endpoint the code under test uses."
            ),
        ),
        Interaction(
            request=poll,
            response=RecordedResponse(200, _JSON, running, "json"),
            recorded_at=MADE_AT,
            comment=(
                "Hand-made, not from any example: one 'running' answer before the result, so "
                "that replay exercises the polling loop. Fields are those of the "
                f"ReadOperationResult model, with the times of {result.name}."
            ),
        ),
        Interaction(
            request=poll,
            response=RecordedResponse(200, _JSON, finished, "json"),
            recorded_at=MADE_AT,
            comment=(
                f"Hand-made. Response body: responses['200']['body'] of Azure's published REST "
                f"API example {result.name} ({result.source}), an illustrative example, not "
                "captured traffic (its word boxes lie outside the 600x400 page it reports). "
                "Content-Type added by hand."
            ),
        ),
    ]


def build(spec_dir: Path, out_root: Path) -> dict[str, list[Path]]:
    """Write every bundled Azure cassette under ``out_root``; returns the files by cassette."""
    analyze = analyze_interaction(load_example(spec_dir, "SuccessfulAnalyzeImageWithUrl.json"))
    read = read_interactions(
        load_example(spec_dir, "SuccessfulReadWithUrl.json"),
        load_example(spec_dir, "SuccessfulGetReadResult.json"),
    )
    assert Feature.TEXT in CAPABILITIES  # analyze-everything is analyze() with no features
    cassettes = {
        "azure/analyze-all-features": [analyze],
        "azure/read-text": read,
        "azure/analyze-everything": [analyze, *read],
    }
    return {name: write_cassette(out_root / name, items) for name, items in cassettes.items()}


def main(argv: list[str]) -> int:
    fixtures = os.environ.get("VISIONKIT_AZURE_FIXTURES")
    spec_dir = (
        Path(argv[1])
        if len(argv) > 1
        else (Path(fixtures) / "spec-examples" if fixtures else DEFAULT_SPEC_DIR)
    )
    out_root = Path(argv[2]) if len(argv) > 2 else BUNDLED_ROOT
    for name, files in build(spec_dir, out_root).items():
        print(f"{name}: {len(files)} interaction(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
