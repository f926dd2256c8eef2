// The score network's parameter names in their fixed order: the optimiser's packed buffer, the safetensors file and
// the fused conditioning kernels (kernels/score-cond.ts) all follow it. Apart from the network so that a kernel module
// can name them without importing the network that imports it.

/** Parameter names in a fixed order (optimizer state and the safetensors file follow it). */
export const PARAM_NAMES = [
  'time.w1',
  'time.b1',
  'time.w2',
  'time.b2',
  'embed.table',
  'inject1.w',
  'inject1.b',
  'inject2.w',
  'inject2.b',
  'mlp.w1',
  'mlp.b1',
  'mlp.w2',
  'mlp.b2',
  'mlp.w3',
  'mlp.b3',
] as const;
export type ParamName = (typeof PARAM_NAMES)[number];

/** The parameters that act on the batch rows themselves (the MLP's weights and its output bias); every other one
 *  feeds the conditioning that depends on the parameters and the environment only. */
const BATCH_PARAMS: readonly ParamName[] = ['mlp.w1', 'mlp.w2', 'mlp.w3', 'mlp.b3'];

/** The conditioning's parameters (score_cond's inputs after the level table and the weights), in PARAM_NAMES order. */
export const COND_PARAMS: readonly ParamName[] = PARAM_NAMES.filter((n) => !BATCH_PARAMS.includes(n));
