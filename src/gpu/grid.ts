// Dispatch grids. WebGPU caps each dimension of a dispatch at 65,535 workgroups (maxComputeWorkgroupsPerDimension),
// so a long 1-D launch is folded into x × y; the kernels rebuild the flat index from num_workgroups. Kept apart
// from the engine so that kernels need nothing of it at run time (no import loop: the engine imports kernels).

/** The largest workgroup count of one dispatch dimension that every adapter accepts. */
export const MAX_WG_PER_DIM = 65535;

/** Fold a 1-D count of workgroups into a 2-D grid (x ≤ 65535); kernels rebuild the flat index from num_workgroups. */
export function foldGrid(workgroups: number): [number, number] {
  if (workgroups <= MAX_WG_PER_DIM) return [Math.max(1, workgroups), 1];
  const y = Math.ceil(workgroups / MAX_WG_PER_DIM);
  return [Math.ceil(workgroups / y), y];
}
