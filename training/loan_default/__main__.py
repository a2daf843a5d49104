"""Command line: python -m loan_default {generate|train|contract} ...

Exit codes: 0 done, 2 bad arguments or data that breaks the contract, 1 anything else.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import contract
from .data import ContractError


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return value


def _json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise argparse.ArgumentTypeError(f"is not JSON: {error}") from error
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("must be a JSON object")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m loan_default", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="write synthetic applications with labels")
    gen.add_argument("--rows", type=_positive_int, required=True)
    gen.add_argument("--seed", type=int, required=True)
    gen.add_argument("--out", required=True, help="CSV file to write")
    train = sub.add_parser("train", help="train, evaluate and export one version into a directory")
    train.add_argument("--data", required=True, help="CSV or Parquet with the contract's columns and loan_paid_back")
    train.add_argument("--out", required=True, help="directory for model.onnx, manifest.json, model-card.html")
    train.add_argument("--name", default="loan-default")
    train.add_argument("--seed", type=int, default=42)
    train.add_argument("--cost-ratio", type=float, default=4.0, help="cost of a missed default / a lost good loan")
    train.add_argument("--data-uri", default=None, help="where the data lives, for the manifest")
    train.add_argument(
        "--data-frame", type=_json_object, default=None,
        help="JSON: how the rows were chosen from the data (window, cap), recorded in the manifest",
    )
    train.add_argument("--score", default=None, help="also score this file with scikit-learn (parity reference)")
    train.add_argument("--score-out", default=None, help="JSON file for the --score probabilities")
    train.add_argument("--holdout-by", default=None, help="time column: hold out the most recent 20%% of rows")
    train.add_argument("--holdout-out", default=None, help="CSV file for the holdout rows")
    train.add_argument(
        "--use-protected", action="store_true",
        help="let the model use gender and marital_status (off by default: they are kept for fairness monitoring only)",
    )
    train.add_argument("--no-monotone", action="store_true", help="train without the monotone risk constraints")
    train.add_argument(
        "--recalibrate-recent", type=float, default=0.0,
        help="with --holdout-by: re-estimate the intercept on this most recent share of the training rows (0: off)",
    )
    train.add_argument(
        "--recalibrate-holdout", action="store_true",
        help="with --holdout-by: fit the intercept on every other row of the holdout, judge on the others",
    )
    train.add_argument(
        "--search-seconds", type=float, default=60.0,
        help="time budget for choosing hyperparameters by cross-validation on the training rows (0: today's defaults)",
    )
    train.add_argument("--search-trials", type=_positive_int, default=12, help="at most this many candidates, defaults first")
    sub.add_parser("contract", help="print the data contract as JSON")
    feats = sub.add_parser("features", help="print the float32 tensor of a manifest's canaries, as training builds it")
    feats.add_argument("--manifest", required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "contract":
            print(json.dumps(contract.as_json()))
        elif args.command == "features":
            import pandas as pd

            from . import features

            doc = json.loads(Path(args.manifest).read_text())
            frame = pd.DataFrame([c["inputs"] for c in doc["canaries"]])
            matrix = features.transform(frame, doc["feature_spec"])
            print(json.dumps([[float(v) for v in row] for row in matrix]))
        elif args.command == "generate":
            from . import synth

            frame = synth.generate(args.rows, args.seed)
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            frame.to_csv(args.out, index=False)
            print(json.dumps({"rows": len(frame), "out": args.out, "default_rate": float(1 - frame[contract.LABEL].mean())}))
        elif args.command == "train":
            from . import pipeline

            doc = pipeline.train_to_dir(
                args.data, args.out, args.name, args.seed, args.cost_ratio, args.data_uri, args.score, args.score_out,
                args.holdout_by, args.holdout_out, use_protected=args.use_protected, monotone=not args.no_monotone,
                data_frame=args.data_frame, recalibrate_recent=args.recalibrate_recent,
                recalibrate_holdout=args.recalibrate_holdout, search_seconds=args.search_seconds,
                search_trials=args.search_trials,
            )
            print(json.dumps({"version": doc["version"], "metrics": doc["metrics"], "threshold": doc["threshold"]["value"]}))
    except ContractError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, (FileNotFoundError, ValueError)) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
