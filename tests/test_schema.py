import json
from pathlib import Path

import jsonschema
import pytest
from factories import full_result

from visionkit.results import AnalysisResult, Tag
from visionkit.schema import result_json_schema, result_json_schema_text

DOCS_SCHEMA = Path(__file__).resolve().parent.parent / "docs" / "result.schema.json"


def test_published_schema_matches_the_code():
    assert DOCS_SCHEMA.read_text() == result_json_schema_text(), (
        "docs/result.schema.json is stale: regenerate it with "
        'python -c "from visionkit.schema import result_json_schema_text as t; '
        "open('docs/result.schema.json','w').write(t())\""
    )


@pytest.mark.parametrize(
    "result",
    [full_result(), AnalysisResult(backend="local"), AnalysisResult(backend="local", tags=())],
)
def test_serialised_results_validate(result):
    jsonschema.validate(json.loads(result.to_json()), result_json_schema())


def test_schema_rejects_out_of_range_confidence_and_unknown_keys():
    data = AnalysisResult(backend="x", tags=(Tag("cat", 0.5),)).to_dict()
    data["tags"][0]["confidence"] = 1.5
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, result_json_schema())
    data = AnalysisResult(backend="x").to_dict()
    data["colour"] = None
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, result_json_schema())
