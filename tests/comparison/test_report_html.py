"""The HTML report, read back with html.parser: one structural test per section.

No screenshot: each test finds the elements a reader needs (every image, every
backend, every metric) by their data- attributes, so a change of styling never
breaks a test and a missing number always does.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from comparison.conftest import azure_result, cloud_result, local_result
from PIL import Image

from visionkit.comparison import Comparison, Failure, build_comparison
from visionkit.comparison.metrics import METRICS
from visionkit.results import TextLine


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parts: list[str | Element] = field(default_factory=list)  # text and children, in order

    @property
    def children(self) -> list[Element]:
        return [p for p in self.parts if isinstance(p, Element)]

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        found = []
        for child in self.children:
            if (tag is None or child.tag == tag) and all(
                child.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items()
            ):
                found.append(child)
            found.extend(child.find_all(tag, **attrs))
        return found

    def all_text(self) -> str:
        return "".join(p if isinstance(p, str) else p.all_text() for p in self.parts)


class TreeBuilder(HTMLParser):
    VOID = frozenset({"meta", "img", "br", "hr", "link", "input"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].parts.append(element)
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].parts.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        while len(self.stack) > 1:
            if self.stack.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        self.stack[-1].parts.append(data)


def parse(html: str) -> Element:
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


CAT = local_result({"cat": 0.7, "dog": 0.2}, {"mammal": 0.9, "animal": 0.93})


@pytest.fixture
def comparison(tmp_path: Path) -> Comparison:
    photo = tmp_path / "cat & <friends>.jpg"
    Image.new("RGB", (1500, 1000), (140, 100, 70)).save(photo, "JPEG")
    return build_comparison(
        [
            (
                str(photo),
                {
                    "local": CAT,
                    "azure": cloud_result({"kitten": 0.95, "indoor": 0.9, "truck": 0.6}),
                },
                {},
            ),
            ("truck.jpg", {"local": CAT, "azure": replace(azure_result(), elapsed_s=0.3)}, {}),
            ("broken.jpg", {"local": CAT}, {"azure": Failure("azure", "RateLimitError", "429")}),
        ],
        ["local", "azure"],
        sources={str(photo): photo},
    )


@pytest.fixture
def page(comparison: Comparison, tmp_path: Path) -> Element:
    path = tmp_path / "report.html"
    html = comparison.to_html(path)
    assert path.read_text(encoding="utf-8") == html
    return parse(html)


def section(page: Element, name: str) -> Element:
    (found,) = page.find_all("section", data_section=name)
    return found


def test_the_page_is_self_contained(comparison):
    html = comparison.to_html()
    assert html.startswith("<!DOCTYPE html>")
    page = parse(html)
    assert page.find_all("script") == []
    assert page.find_all("link") == []
    refs = [e.attrs.get("href", "") + e.attrs.get("src", "") for e in page.find_all()]
    assert all(r == "" or r.startswith("data:") for r in refs), refs
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html


def test_summary_lists_every_metric_with_its_counts(page, comparison):
    rows = section(page, "summary").find_all("tr", data_pair="local vs azure")
    assert [r.attrs["data-metric"] for r in rows] == list(METRICS)
    top1 = next(r for r in rows if r.attrs["data-metric"] == "top1")
    cells = [td.all_text() for td in top1.find_all("td")]
    summary = next(s for s in comparison.summary() if s.metric == "top1")
    assert cells[:6] == [
        "local vs azure",
        "top1",
        f"{summary.agreement_rate:.0%}",
        str(summary.agreed),
        str(summary.disagreed),
        str(summary.not_comparable),
    ]


def test_chart_has_a_bar_for_every_comparable_metric(page, comparison):
    (chart,) = page.find_all("figure", data_section="chart")
    (svg,) = chart.find_all("svg")
    bars = {r.attrs["data-metric"]: r for r in svg.find_all("rect") if "data-metric" in r.attrs}
    comparable = {s.metric: s for s in comparison.summary() if s.agreement_rate is not None}
    assert set(bars) == set(comparable)
    for name, bar in bars.items():
        assert float(bar.attrs["width"]) == pytest.approx(400 * comparable[name].agreement_rate)
    assert "not comparable" in svg.all_text()  # adult: the local backend has none


def test_latency_has_a_row_per_backend(page):
    rows = section(page, "latency").find_all("tr")
    by_backend = {r.attrs["data-backend"]: r for r in rows if "data-backend" in r.attrs}
    assert set(by_backend) == {"local", "azure"}
    assert [td.all_text() for td in by_backend["azure"].find_all("td")][:3] == ["azure", "2", "1"]


def test_settings_show_every_threshold(page, comparison):
    text = section(page, "settings").all_text()
    for name, value in comparison.settings.public_dict().items():
        assert f"{name} = {value}" in text
    assert "everything each backend supports" in text


def test_every_image_has_every_backend_and_every_metric(page, comparison):
    articles = section(page, "images").find_all("article")
    assert [a.attrs["data-image"] for a in articles] == [i.image for i in comparison.images]
    for article, image in zip(articles, comparison.images, strict=True):
        backends = [s.attrs["data-backend"] for s in article.find_all("section")]
        assert backends == ["local", "azure"]
        rows = article.find_all("tr", data_pair="local vs azure")
        if image.pairs:
            assert [r.attrs["data-metric"] for r in rows] == list(METRICS)
            for row, metric in zip(rows, image.pairs[0].metrics, strict=True):
                assert row.attrs["data-verdict"] == metric.agreement.value
                expected = {"agree": "agree", "disagree": "disagree"}.get(
                    metric.agreement.value, "nc"
                )
                assert row.attrs["class"] == expected
        else:
            assert rows == []
            assert "nothing to compare" in article.all_text()


def test_an_image_shows_its_thumbnail_boxes_tags_and_caption(page, comparison):
    first = section(page, "images").find_all("article")[0]
    assert first.attrs["data-image"] == comparison.images[0].image  # & and <> survive escaping
    (svg,) = first.find_all("svg")
    assert svg.attrs["viewbox"] == "0 0 1500 1000"  # original pixels: boxes need no scaling
    (picture,) = svg.find_all("image")
    prefix = "data:image/jpeg;base64,"
    assert picture.attrs["href"].startswith(prefix)
    thumb = Image.open(io.BytesIO(base64.b64decode(picture.attrs["href"][len(prefix) :])))
    assert max(thumb.size) == 360
    rects = svg.find_all("rect", data_backend="azure")
    (box,) = [r for r in rects if r.attrs["class"] == "box"]  # the published answer's tree
    assert (box.attrs["x"], box.attrs["y"], box.attrs["width"]) == ("0", "0", "50")
    assert "azure: tree 90%" in box.all_text()
    (face,) = [r for r in rects if r.attrs["class"] == "face"]  # and its one face, dashed
    assert face.attrs["stroke-dasharray"] and "azure: face" in face.all_text()
    local, azure = first.find_all("section")
    tags = {li.all_text().rsplit(" ", 1)[0]: li.attrs.get("class") for li in local.find_all("li")}
    assert tags["cat"] == "shared"  # azure says kitten
    assert tags["dog"] == ""  # 20 %: below min_tag_confidence, as the tag metrics see it
    azure_tags = {
        li.all_text().rsplit(" ", 1)[0]: li.attrs.get("class") for li in azure.find_all("li")
    }
    assert azure_tags["indoor"] == ""  # no counterpart: neither agreement nor disagreement
    assert azure_tags["truck"] == "unshared"
    assert "Satya Nadella sitting on a bench" in azure.all_text()


def test_failures_section_lists_each_failure(page):
    rows = section(page, "failures").find_all("tr", data_image="broken.jpg")
    assert [td.all_text() for td in rows[0].find_all("td")] == [
        "broken.jpg",
        "azure",
        "RateLimitError",
        "429",
    ]
    broken = section(page, "images").find_all("article", data_image="broken.jpg")[0]
    (azure,) = broken.find_all("section", data_backend="azure")
    assert "RateLimitError: 429" in azure.all_text()


def test_an_image_without_a_source_has_no_preview_but_keeps_its_boxes(page):
    truck = section(page, "images").find_all("article", data_image="truck.jpg")[0]
    (svg,) = truck.find_all("svg")
    assert svg.find_all("image") == []
    rects = svg.find_all("rect", data_backend="azure")
    assert sorted(r.attrs["class"] for r in rects) == ["box", "face"]


def test_replayed_answers_are_labelled_as_replayed(tmp_path: Path) -> None:
    replayed = replace(azure_result(), replayed_from="bundled:azure/analyze-all-features")
    comparison = build_comparison(
        [("a.jpg", {"local": CAT, "azure": replayed}, {})], ["local", "azure"]
    )
    page = parse(comparison.to_html())

    notice = section(page, "replayed")
    assert "not from the service" in notice.all_text()
    (item,) = notice.find_all("li", data_backend="azure")
    assert "bundled:azure/analyze-all-features" in item.all_text()
    (column,) = page.find_all("section", data_backend="azure")
    (mark,) = column.find_all("p", data_replayed="bundled:azure/analyze-all-features")
    assert "not a live answer" in mark.all_text()
    row = section(page, "summary").find_all("tr", data_pair="local vs azure")[0]
    assert row.find_all("td")[0].all_text() == "local vs azure (azure replayed)"
    assert page.find_all("section", data_backend="local")[0].find_all("p", class_="replayed") == []


def test_a_live_comparison_has_no_replay_notice(page: Element) -> None:
    assert page.find_all("section", data_section="replayed") == []


def test_faces_and_text_are_shown_per_backend_and_escaped(tmp_path: Path) -> None:
    read = (TextLine("<b>=1+1</b> & more", ((0, 0), (90, 0), (90, 20), (0, 20))),)
    local = replace(CAT, faces=(), text=read)
    azure = replace(azure_result(), text=(replace(read[0], text="<b>=1+1</b> and more"),))
    page = parse(
        build_comparison(
            [("a.jpg", {"local": local, "azure": azure}, {})], ["local", "azure"]
        ).to_html()
    )
    article = section(page, "images").find_all("article")[0]
    local_column, azure_column = article.find_all("section")
    assert "faces: none" in local_column.all_text()
    assert "faces: 1" in azure_column.all_text()
    (line,) = local_column.find_all("ol")[0].find_all("li")
    assert line.all_text() == "<b>=1+1</b> & more"  # shown as text: no <b> element made
    assert local_column.find_all("b") == []
    verdicts = {
        tr.attrs["data-metric"]: tr.attrs["data-verdict"]
        for tr in article.find_all("tr")
        if "data-metric" in tr.attrs
    }
    assert verdicts["text_cer"] == "agree"  # 3 edits over 20 characters: 0.15
    assert verdicts["text_lines"] == "agree"
    assert verdicts["faces"] == "disagree"  # local found none, Azure one
