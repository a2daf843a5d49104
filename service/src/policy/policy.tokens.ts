/** The store of credit policies (a PolicyStore over MODEL_STORE's location: policies live beside the models). */
export const POLICY_STORE = Symbol('POLICY_STORE');
