/**
 * What a broken invariant reports: which invariant (its docs/protocol.md §6 id and a short name), the
 * virtual time and step number, the node that stepped, every node involved, and a sentence.
 */
export interface Violation {
  /** `<id>:<name>`, e.g. "I1:worker-not-overcommitted"; the id is docs/protocol.md §6's (I1-I28) or L1 for liveness. */
  check: string;
  timeMs: number;
  /** The step (0-based, as in the trace) after which the check failed; -1 when not tied to a step. */
  step: number;
  /** The node that had just stepped. */
  node: string;
  /** Every node the violation is about (the stepping node first). */
  nodes: string[];
  detail: string;
  /**
   * Set when the broken property is a weakness docs/protocol.md documents for Spark itself (e.g. "§3.5.1
   * no fencing"): flint reproduces Spark there, so it is recorded but does not fail a run by default.
   */
  weakness?: string;
}

/**
 * Where a check reports; `nodes` beyond the stepping node name the other parties, and `weakness`
 * names the documented Spark weakness that explains the violation, if one does.
 */
export type Report = (check: string, detail: string, nodes?: string[], weakness?: string) => void;
