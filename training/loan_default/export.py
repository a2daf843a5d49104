"""Our own ONNX converter for a binary HistGradientBoostingClassifier (no skl2onnx here).

Graph: features float32 [N, F] -> ai.onnx.ml TreeEnsembleRegressor (sum of every tree's leaf value plus the
baseline, i.e. the raw log-odds) -> Sigmoid -> probability_of_default float32 [N, 1].

scikit-learn sends x left when x <= threshold in float64; ONNX compares float32 with float32 thresholds.
Each threshold is therefore rounded *down* to the largest float32 not above it: for every float32 x,
x <= t exactly when x <= that float32, so both runtimes take the same branch on every row.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper

OUTPUT_NAME = "probability_of_default"
RAW_NAME = "raw_score"
ML_DOMAIN = "ai.onnx.ml"
OPSETS = {"": 17, ML_DOMAIN: 3}
IR_VERSION = 8  # read by every onnxruntime of the last few years


def float32_floor(value: float) -> np.float32:
    as32 = np.float32(value)
    if float(as32) > value:
        as32 = np.nextafter(as32, np.float32(-np.inf), dtype=np.float32)
    return as32


def _tree_attributes(gbm) -> dict[str, list]:
    attrs: dict[str, list] = {k: [] for k in (
        "nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_modes", "nodes_values",
        "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true", "nodes_hitrates",
        "target_treeids", "target_nodeids", "target_ids", "target_weights",
    )}
    for tree_id, stage in enumerate(gbm._predictors):
        if len(stage) != 1:
            raise ValueError("only binary classifiers are supported (one tree per iteration)")
        nodes = stage[0].nodes
        if np.any(nodes["is_categorical"]):
            raise ValueError("categorical splits are not supported: encode categories as numbers")
        for node_id, node in enumerate(nodes):
            attrs["nodes_treeids"].append(tree_id)
            attrs["nodes_nodeids"].append(node_id)
            attrs["nodes_hitrates"].append(1.0)
            if node["is_leaf"]:
                attrs["nodes_featureids"].append(0)
                attrs["nodes_modes"].append("LEAF")
                attrs["nodes_values"].append(0.0)
                attrs["nodes_truenodeids"].append(0)
                attrs["nodes_falsenodeids"].append(0)
                attrs["nodes_missing_value_tracks_true"].append(0)
                attrs["target_treeids"].append(tree_id)
                attrs["target_nodeids"].append(node_id)
                attrs["target_ids"].append(0)
                attrs["target_weights"].append(float(node["value"]))
            else:
                attrs["nodes_featureids"].append(int(node["feature_idx"]))
                attrs["nodes_modes"].append("BRANCH_LEQ")
                attrs["nodes_values"].append(float(float32_floor(float(node["num_threshold"]))))
                attrs["nodes_truenodeids"].append(int(node["left"]))
                attrs["nodes_falsenodeids"].append(int(node["right"]))
                attrs["nodes_missing_value_tracks_true"].append(int(node["missing_go_to_left"]))
    return attrs


def to_onnx(gbm, feature_count: int, input_name: str, model_name: str = "loan-default") -> bytes:
    if getattr(gbm, "n_trees_per_iteration_", 1) != 1:
        raise ValueError("only binary classifiers are supported")
    if gbm.n_features_in_ != feature_count:
        raise ValueError(f"model expects {gbm.n_features_in_} features, the spec has {feature_count}")
    baseline = float(np.asarray(gbm._baseline_prediction).ravel()[0])
    ensemble = helper.make_node(
        "TreeEnsembleRegressor",
        inputs=[input_name],
        outputs=[RAW_NAME],
        domain=ML_DOMAIN,
        name="trees",
        n_targets=1,
        aggregate_function="SUM",
        post_transform="NONE",
        base_values=[baseline],
        **_tree_attributes(gbm),
    )
    sigmoid = helper.make_node("Sigmoid", inputs=[RAW_NAME], outputs=[OUTPUT_NAME], name="sigmoid")
    graph = helper.make_graph(
        [ensemble, sigmoid],
        model_name,
        inputs=[helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [None, feature_count])],
        outputs=[helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, [None, 1])],
    )
    model = helper.make_model(
        graph,
        producer_name="loan-default-training",
        producer_version="1",
        opset_imports=[helper.make_opsetid(domain, version) for domain, version in OPSETS.items()],
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model.SerializeToString()


def evaluate(model_bytes: bytes, matrix: np.ndarray) -> np.ndarray:
    """Score rows with the exported graph in plain numpy, the way ONNX Runtime reads it (float32 compares).

    Used where ONNX Runtime for Python is not installed; the authoritative check is onnxruntime-node's.
    """
    model = onnx.load_from_string(model_bytes)
    node = next(n for n in model.graph.node if n.op_type == "TreeEnsembleRegressor")
    a = {attr.name: helper.get_attribute_value(attr) for attr in node.attribute}
    key = list(zip(a["nodes_treeids"], a["nodes_nodeids"]))
    index = {k: i for i, k in enumerate(key)}
    leaf_value = {(t, n): w for t, n, w in zip(a["target_treeids"], a["target_nodeids"], a["target_weights"])}
    thresholds = np.asarray(a["nodes_values"], dtype=np.float32)
    x = np.asarray(matrix, dtype=np.float32)
    raw = np.full(len(x), a["base_values"][0], dtype=np.float64)
    for tree in sorted(set(a["nodes_treeids"])):
        for row in range(len(x)):
            i = index[(tree, 0)]
            while a["nodes_modes"][i] != b"LEAF" and a["nodes_modes"][i] != "LEAF":
                value = x[row, a["nodes_featureids"][i]]
                go_true = value <= thresholds[i] if not np.isnan(value) else a["nodes_missing_value_tracks_true"][i]
                nxt = a["nodes_truenodeids"][i] if go_true else a["nodes_falsenodeids"][i]
                i = index[(tree, nxt)]
            raw[row] += leaf_value[key[i]]
    return 1 / (1 + np.exp(-raw))
