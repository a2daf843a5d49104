import numpy as np
import onnx
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from loan_default import data, export, features, model


@pytest.fixture(scope="module")
def trained(small_frame):
    return model.train(data.validate(small_frame), seed=1, search_seconds=0)


def test_float32_floor_keeps_every_float32_comparison():
    rng = np.random.default_rng(0)
    for t in rng.normal(0, 1000, 2000):
        t32 = export.float32_floor(t)
        assert float(t32) <= t
        above = np.nextafter(t32, np.float32(np.inf), dtype=np.float32)
        assert float(above) > t  # no float32 lies between the floor and t


def test_exported_graph_reproduces_scikit_learn(trained):
    spec = trained.spec
    onnx_bytes = export.to_onnx(trained.gbm, len(spec["features"]), spec["tensor"]["input_name"])
    graph = onnx.load_from_string(onnx_bytes)
    onnx.checker.check_model(graph)
    assert [n.op_type for n in graph.graph.node] == ["TreeEnsembleRegressor", "Sigmoid"]
    assert graph.graph.output[0].name == "probability_of_default"
    x = features.transform(trained.holdout.head(300), spec)
    gap = np.max(np.abs(export.evaluate(onnx_bytes, x) - model.predict_default(trained.gbm, x)))
    assert gap < 1e-6


def test_thresholds_on_the_boundary_take_the_same_branch():
    # A feature whose values sit exactly on float32 boundaries near the split: float64 vs float32 compares differ
    # unless thresholds are rounded down, which is what the converter does.
    rng = np.random.default_rng(1)
    x = np.float32(rng.random((4000, 2))).astype(np.float64)
    y = (x[:, 0] > 0.5).astype(int)
    gbm = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(x, y)
    onnx_bytes = export.to_onnx(gbm, 2, "features")
    thresholds = [float(n["num_threshold"]) for p in gbm._predictors for n in p[0].nodes if not n["is_leaf"]]
    probes = np.array([[np.float32(t), 0.5] for t in thresholds[:200]], dtype=np.float32)
    probes = np.vstack([probes, np.nextafter(probes, np.float32(np.inf), dtype=np.float32)])
    expected = gbm.predict_proba(probes.astype(np.float64))[:, 1]
    assert np.max(np.abs(export.evaluate(onnx_bytes, probes) - expected)) < 1e-6


def test_refuses_what_it_cannot_convert(trained):
    with pytest.raises(ValueError, match="features"):
        export.to_onnx(trained.gbm, 3, "features")
    multi = HistGradientBoostingClassifier(max_iter=3).fit(np.random.rand(300, 2), np.arange(300) % 3)
    with pytest.raises(ValueError, match="binary"):
        export.to_onnx(multi, 2, "features")
