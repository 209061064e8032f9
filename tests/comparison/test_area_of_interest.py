"""The area_of_interest metric: IoU of two backends' boxes, judged at iou_threshold.

Boxes: Azure's published v3.2 example (SuccessfulGetAreaOfInterestWithUrl,
160, 0, 950, 951 in a 1378x951 photo) against boxes chosen by hand for the test.
The end-to-end case runs the real local backend on scikit-image's cat beside the
``fake`` test double answering a box written by hand (the cat's face, by eye).
"""

from __future__ import annotations

from pathlib import Path

import visionkit
from visionkit.comparison.metrics import METRIC_DESCRIPTIONS, METRICS, Agreement, area_of_interest
from visionkit.comparison.settings import CompareSettings
from visionkit.results import AnalysisResult, BoundingBox
from visionkit.testing import FakeAnalyzer

S = CompareSettings()
AZURE = AnalysisResult(backend="azure", area_of_interest=BoundingBox(160, 0, 950, 951))


def test_it_is_a_reported_metric():
    assert METRICS["area_of_interest"] is area_of_interest
    assert "IoU" in METRIC_DESCRIPTIONS["area_of_interest"]


def test_close_boxes_agree_with_their_iou_as_value():
    other = AnalysisResult(backend="google", area_of_interest=BoundingBox(200, 0, 900, 951))
    m = area_of_interest(AZURE, other, S)
    assert m.agreement is Agreement.AGREE
    assert abs(m.value - 900 / 950) < 1e-12  # one box inside the other: the area ratio
    assert "(160, 0, 950, 951) (azure)" in m.detail


def test_far_boxes_disagree():
    other = AnalysisResult(backend="local", area_of_interest=BoundingBox(1150, 600, 200, 300))
    m = area_of_interest(AZURE, other, S)
    assert m.agreement is Agreement.DISAGREE and m.value == 0.0


def test_a_side_without_it_is_not_comparable():
    m = area_of_interest(AZURE, AnalysisResult(backend="aws"), S)
    assert m.agreement is Agreement.NOT_COMPARABLE and m.value is None
    assert "aws returned no area_of_interest" in m.detail


def test_compare_scores_it_between_two_backends(chelsea_png: Path):
    face = BoundingBox(85, 35, 260, 209)  # by eye: the cat's face, ears to chin
    fake = FakeAnalyzer(default=AnalysisResult(backend="fake", area_of_interest=face))
    comparison = visionkit.compare(chelsea_png, ["local", fake], ["area_of_interest"])
    (image,) = comparison.images
    m = image.pairs[0].metric("area_of_interest")
    local_box = image.results["local"].area_of_interest
    assert local_box is not None and m.value == local_box.iou(face)
    assert m.agreement is not Agreement.NOT_COMPARABLE
