"""Shifts a trained version's log-odds by DELTA, consistently: the ONNX ensemble's base value, the TreeSHAP trees'
baseline, the canaries' expected probabilities, the hashes and the version id. The ranking is unchanged; with
DELTA = ln(0.7) every small probability is about 30% lower. Used by tests of the calibration gate.

usage: python3 shift_log_odds.py MODEL_DIR DELTA
"""
import hashlib
import json
import math
import sys
from pathlib import Path

import onnx
from onnx import helper


def main(model_dir: str, delta: float) -> None:
    out = Path(model_dir)
    model = onnx.load(out / "model.onnx")
    (trees_node,) = [n for n in model.graph.node if n.op_type == "TreeEnsembleRegressor"]
    for attribute in trees_node.attribute:
        if attribute.name == "base_values":
            values = [v + delta for v in attribute.floats]
            trees_node.attribute.remove(attribute)
            trees_node.attribute.append(helper.make_attribute("base_values", values))
            break
    onnx_bytes = model.SerializeToString()
    (out / "model.onnx").write_bytes(onnx_bytes)

    manifest = json.loads((out / "manifest.json").read_text())
    trees_file = out / manifest["explanation"]["file"]
    trees = json.loads(trees_file.read_text())
    trees["baseline"] += delta
    trees_bytes = (json.dumps(trees, separators=(",", ":")) + "\n").encode()
    trees_file.write_bytes(trees_bytes)

    for canary in manifest["canaries"]:
        p = canary["probability_of_default"]
        canary["probability_of_default"] = 1 / (1 + math.exp(-(math.log(p / (1 - p)) + delta)))
    sha = hashlib.sha256(onnx_bytes).hexdigest()
    manifest["onnx"].update(sha256=sha, bytes=len(onnx_bytes))
    manifest["explanation"].update(sha256=hashlib.sha256(trees_bytes).hexdigest(), bytes=len(trees_bytes))
    manifest["version"] = f"{manifest['version'].split('-')[0]}-{sha[:7]}"
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
