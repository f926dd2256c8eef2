// Errors of the engine-neutral core (shapes), re-exported by src/gpu/errors.ts beside the GPU's own.

/** Shapes that do not fit an operation; the message names both shapes and the dimension. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** Work stopped on request (a signal, a cancelled AbortSignal) at a clean step boundary. `reason` is what the
 *  signal carried (e.g. 'SIGINT'); `checkpoint` names where the state was saved, when it was; `stage` names the
 *  stage that stopped (e.g. 'the measurement model') with its step count, and `unsaved` says what happens to work
 *  that has no checkpoint (default 'nothing saved'). */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
  constructor(
    readonly reason: string,
    readonly step: number,
    readonly checkpoint?: string,
    readonly stage?: { name: string; steps: number; unsaved: string },
  ) {
    super(
      `interrupted (${reason})${stage ? ` in ${stage.name}` : ''} after step ${step}${stage ? ` of ${stage.steps}` : ''}${checkpoint ? `; checkpoint written to ${checkpoint}` : `; ${stage?.unsaved ?? 'nothing saved'}`}`,
    );
  }
}

/** The user's input cannot be used: a file (missing, damaged, of the wrong structure or values), an option's value
 *  or a name (gene, perturbation, column). The message names the file, option or name, the problem and the fix; the
 *  command line exits 2 for it, as for a usage error, and 1 only when the work itself failed. */
export class InputError extends Error {
  override name = 'InputError';
}
