// Operation names and shape helpers live in the engine-neutral core (src/core/ops.ts); the kernels import them here.
export * from '../../core/ops.ts';
