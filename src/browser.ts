/// <reference types="@webgpu/types" preserve="true" />
// lcd-webgpu, browser entry: the whole library on bytes and browser APIs (no Node built-ins, no native module).
// The Node entry (index.ts) is this plus Dawn and file helpers. A test checks this file's import graph.
export { registerGpuProvider, type GpuProvider, type DeviceOptions } from './gpu/device.ts';
export { Engine, foldGrid, type DispatchStats, type Constants } from './gpu/engine.ts';
export { GpuTensor, sizeOf, type Shape } from './gpu/tensor.ts';
export {
  WebGPUUnavailableError,
  ShapeError,
  InputError,
  DisposedError,
  ShaderCompileError,
  LimitError,
  installHint,
} from './gpu/errors.ts';
export {
  registerShader,
  shaderSource,
  shaderNames,
  type ShaderName,
  type BuiltinShaderName,
  type RegisteredShaderName,
} from './gpu/shaders.ts';
export { fromNdarray, toNdarray } from './gpu/interop.ts';
export { matmul, type MatmulOptions, type MatmulVariant } from './gpu/kernels/matmul.ts';
export { unary, binary, fill, transpose } from './gpu/kernels/elementwise.ts';
export { reduce } from './gpu/kernels/reduce.ts';
export { randomNormal } from './gpu/kernels/random.ts';
export { adamwStep, adamwKernel, type AdamWHyper } from './nn/kernels/adamw.ts';
export { lcdEmUpdateKernel, songDrift } from './lcd/kernels/lcd-em-update.ts';
export { type FusedKernel } from './ops/fused-kernel.ts';
export { FUSED_KERNELS, type FusedKernelName } from './kernels.ts';
export { zipSampleKernel, zipSample } from './measurement/kernels/zip-sample.ts';
export { zipLogLikDirectKernel } from './measurement/kernels/zip-loglik-direct.ts';
export { pairwiseStatsKernel } from './metrics/kernels/pairwise-stats.ts';
export { cosineSchedule, warmupCosineSchedule } from './gpu/kernels/schedules.ts';
export type { UnaryOp, BinaryOp, ReduceOp, Activation } from './gpu/kernels/types.ts';
export { type Backend, type TensorLike } from './ops/backend.ts';
export { WebGPUBackend } from './ops/webgpu-backend.ts';
export { CpuBackend } from './ops/cpu-backend.ts';
export { Tape, Var } from './ops/tape.ts';
export * as ad from './ops/autodiff.ts';
export { checkVjp } from './ops/check-vjp.ts';
export { MLP } from './nn/mlp.ts';
export { AdamW, type AdamWOptions } from './nn/adamw.ts';
export { philox4x32, normalStream } from './reference/philox.ts';
export { Rng, scratchRng } from './reference/rng.ts';
export { randomStream, RANDOM_DOMAINS, type RandomDomain, type RandomStream } from './core/random-streams.ts';
export {
  LCD,
  LCD_DEFAULTS,
  type LcdHyperparameters,
  type FitOptions,
  type SampleOptions,
  type Progress,
} from './lcd/model.ts';
export { ScoreNet, PARAM_NAMES } from './lcd/score-net.ts';
export { TargetVocab } from './lcd/embedding.ts';
export { noiseLevels, stepSize, songScale, N_LEVELS, NoiseSchedule, type NoiseLevel } from './lcd/schedule.ts';
export { annealedSample, annealedSampleWith } from './lcd/sampler.ts';
export type { Screen, Environment } from './data/dataset.ts';
export { readH5adBytes, parseAnnData, type AnnData } from './data/h5ad.ts';
export { screenFromAnnData, type ScreenOptions } from './data/screen-from-anndata.ts';
export { linearScreen, stationaryMean, type LinearSdeParams } from './sim/linear.ts';
export { nonlinearScreen, NONLINEAR_DEFAULTS } from './sim/nonlinear.ts';
export { measureCounts, poisson } from './sim/counts.ts';
export { makeGraph, type GraphKind } from './sim/graphs.ts';
export { simulateSde, eulerMaruyama } from './sde/em.ts';
export { clipr, cliprByResponses, solveLinearDrift, type CliprResult } from './clipr/clipr.ts';
export { cliprFromLcd, DEFAULT_DRIFT_LEVEL, type CliprLcdOptions, type CliprReadingKind } from './clipr/from-lcd.ts';
export {
  responseReading,
  describeResponseReading,
  DIRECT_MIN_R2,
  type ResponseReadingResult,
  type ResponseReadingOptions,
} from './clipr/responses.ts';
export {
  LinearDriftOracle,
  GaussianScoreOracle,
  EmpiricalGaussianModel,
  LcdDriftModel,
  type DriftModel,
  type CliprAnchor,
} from './clipr/drift-models.ts';
export { cliprOutputFiles, causalMatrixCsv, rankedEdges, cliprViews } from './clipr/export.ts';
export {
  choleskyBatched,
  luBatched,
  trisolveBatched,
  solveSpdBatched,
  solveBatched,
  SingularMatrixError,
} from './clipr/kernels/solve.ts';
export { causalMetrics, ovoAuroc, auroc, pearsonOffDiagonal, macroF1Signs, auprcEdges } from './metrics/causal.ts';
export { energyDistance, mmd } from './metrics/distribution.ts';
export { distancesGpu } from './metrics/distribution-gpu.ts';
export { additivePrediction } from './baselines/additive.ts';
export { encodeH5ad, type AnnDataOut } from './data/h5ad-write.ts';
export { rmseMeans, pearsonDelta, systemaReference, wasserstein1, w1Elementwise } from './metrics/expression.ts';
export { memoryStore, type FileStore } from './io/file-store.ts';
export { encodeSafetensors, decodeSafetensors, type NamedTensor } from './io/safetensors.ts';
export { CountPrior, type PriorOptions } from './measurement/prior.ts';
export { savePrior, loadPrior, hasPrior } from './measurement/io.ts';
