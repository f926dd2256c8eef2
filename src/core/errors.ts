// Errors of the engine-neutral core (shapes), re-exported by src/gpu/errors.ts beside the GPU's own.

/** Shapes that do not fit an operation; the message names both shapes and the dimension. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}
