// Perturbation-target vocabulary and embedding aggregation (spec §4.3).
// The table has one row per target name seen in training (targets need not be measured genes). A query's
// embedding is ē = Σ_{j∈T} E_j; a target never seen in training contributes the mean of the seen rows; the
// control has ē = 0. Expressed as a weight vector w over the rows, ē = w·E, which keeps it one matmul with
// an exact gradient (rows not targeted get exactly zero gradient).

export class TargetVocab {
  readonly index: Map<string, number>;
  constructor(readonly names: string[]) {
    this.index = new Map(names.map((n, i) => [n, i]));
  }

  static fromTrainingTargets(targetSets: readonly (readonly string[])[]): TargetVocab {
    return new TargetVocab([...new Set(targetSets.flat())].sort());
  }

  get size(): number {
    return this.names.length;
  }

  /** Weights w with ē = w·E; unseen targets spread 1/|seen| over all rows (mean imputation). */
  weights(targets: readonly string[]): Float64Array {
    const w = new Float64Array(this.size);
    for (const t of targets) {
      const i = this.index.get(t);
      if (i !== undefined) w[i]! += 1;
      else if (this.size > 0) for (let k = 0; k < this.size; k++) w[k]! += 1 / this.size;
    }
    return w;
  }

  unseen(targets: readonly string[]): string[] {
    return targets.filter((t) => !this.index.has(t));
  }
}
