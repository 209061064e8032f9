"""The Ray Data bridge: the worker class on its own (fast, no Ray needed), then a real
local Ray instance (marked ``integration``: ~20 s of start-up on two cores; in the default run)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from visionkit.cache import ResultCache
from visionkit.integrations.ray import DatasetAnalyzer
from visionkit.results import AnalysisResult


@pytest.fixture
def photos(cifar10_dir):
    return sorted((cifar10_dir / "test" / "horse").glob("*.jpg"))[:6]


def test_a_worker_adds_result_and_error_columns_and_keeps_the_others(photos):
    worker = DatasetAnalyzer(column="bytes", features=["colors", "metadata"], backend="local")
    data = [p.read_bytes() for p in photos[:3]] + [b"not an image"]
    batch = {"bytes": np.array(data, dtype=object), "path": np.array(["a", "b", "c", "d"])}
    out = worker(batch)
    worker.close()
    assert list(out["path"]) == ["a", "b", "c", "d"]
    results = [AnalysisResult.from_json(r) for r in out["result"][:3]]
    assert all(r.colors is not None and r.metadata.width == 32 for r in results)
    assert out["result"][3] is None and out["error_type"][3] == "InvalidImageError"
    assert list(out["error"][:3]) == [None] * 3


def test_a_worker_reads_paths_and_numpy_strings_too(photos):
    worker = DatasetAnalyzer(column="path", features=["metadata"], backend="local")
    out = worker({"path": np.array([str(p) for p in photos[:2]])})
    worker.close()
    assert all(AnalysisResult.from_json(r).metadata.width == 32 for r in out["result"])


def test_a_worker_uses_the_same_cache_keys_as_analyze_many(photos, tmp_path):
    from visionkit.batch import analyze_many

    store = ResultCache(tmp_path / "c.sqlite3")
    list(analyze_many(photos[:2], ["colors"], backend="local", cache=store))
    worker = DatasetAnalyzer(column="bytes", features=["colors"], backend="local", cache=store)
    worker({"bytes": np.array([p.read_bytes() for p in photos[:2]], dtype=object)})
    worker.close()
    assert store.hits == 2 and store.stats().entries == 2


def test_a_missing_column_names_the_ones_there_are():
    worker = DatasetAnalyzer(column="image", features=["colors"], backend="local")
    with pytest.raises(KeyError, match="'bytes'"):
        worker({"bytes": np.array([b"x"], dtype=object)})
    worker.close()


@pytest.mark.integration
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Ray's own, raised inside Ray
def test_analyze_dataset_on_a_local_ray_instance(photos, tmp_path):
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    from visionkit.integrations.ray import analyze_dataset

    folder = tmp_path / "photos"
    folder.mkdir()
    for p in photos:
        shutil.copy(p, folder / p.name)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8 truncated")
    # Two slots: the read task and the analyzing actor each hold one while the data streams.
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        ds = ray.data.read_binary_files(str(folder), include_paths=True)
        rows = analyze_dataset(ds, ["colors", "metadata"], backend="local", batch_size=4).take_all()
    finally:
        ray.shutdown()
    assert len(rows) == 7
    by_name = {row["path"].rsplit("/", 1)[1]: row for row in rows}
    assert by_name["broken.jpg"]["error_type"] == "InvalidImageError"
    good = [AnalysisResult.from_json(r["result"]) for n, r in by_name.items() if n != "broken.jpg"]
    assert len(good) == 6 and all(r.metadata.width == 32 for r in good)
