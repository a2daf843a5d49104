"""Loan default training: synthetic data, features, model, ONNX export, manifest and model card."""

__all__ = ["contract", "synth", "data", "features", "model", "export", "report", "manifest", "pipeline"]
