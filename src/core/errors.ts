// Errors of the engine-neutral core (shapes), re-exported by src/gpu/errors.ts beside the GPU's own.

/** Shapes that do not fit an operation; the message names both shapes and the dimension. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** Work stopped on request (a signal, a cancelled AbortSignal) at a clean step boundary. `reason` is what the
 *  signal carried (e.g. 'SIGINT'); `checkpoint` names where the state was saved, when it was. */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
  constructor(
    readonly reason: string,
    readonly step: number,
    readonly checkpoint?: string,
  ) {
    super(
      `interrupted (${reason}) after step ${step}${checkpoint ? `; checkpoint written to ${checkpoint}` : '; nothing saved'}`,
    );
  }
}
