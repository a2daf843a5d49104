import type { LoanApplication } from '../contract/loan-application.contract.js';
import type { LoadedModel } from './loaded-model.js';
import type { Explainer } from '../explain/explainer.js';

/**
 * TreeSHAP for some rows of a batch (the declines, or all): only those rows are encoded again, once, and each is
 * handed its contributions with the explainer of the model that scored it. Nothing happens for a version without
 * trees.json. The API's answers and the book's rows both explain through this.
 */
export function explainRows(
  model: LoadedModel,
  applications: readonly LoanApplication[],
  rows: readonly number[],
  visit: (i: number, phi: Float64Array, explainer: Explainer) => void,
): void {
  const explainer = model.explainer;
  if (!explainer || rows.length === 0) return;
  const x = model.encoder.encode(rows.length === applications.length ? applications : rows.map((i) => applications[i]));
  rows.forEach((i, row) => visit(i, explainer.contributions(x, row), explainer));
}
