// How many worker threads Mesa's software rasterisers (llvmpipe behind Dawn's GL ES backend, lavapipe behind its
// Vulkan backend) run compute dispatches on. Mesa reads LP_NUM_THREADS once, when the driver's screen is created, and
// defaults to one thread per core. On this project's 2-core machine twice that was faster, in whole fits and in every
// thread count tried above it (5 December 2026, GL ES, a default count fit of 60 genes: 114.5 / 98.3 s with 2 threads
// against 92.5 / 87.2 s with 4, alternated, the fitted models byte-identical; 600 + 600 steps: 2 threads 23.6 / 21.4 s,
// 3 21.9 / 23.6, 4 19.1 / 19.1, 6 19.1 / 19.1, 8 19.5 / 20.3). Each dispatch's workgroups are split into tasks over the
// pool and the calling thread waits for all of them, so with one thread per core a core idles whenever the tasks
// divide unevenly; with more threads than cores the kernel's scheduler fills the gaps. A value the user set is kept.
import os from 'node:os';

/** llvmpipe's own ceiling on LP_NUM_THREADS (Mesa's LP_MAX_THREADS). */
export const LLVMPIPE_MAX_THREADS = 32;
/** Worker threads per core when the user has not chosen (measured on 2 cores; see above). */
export const LLVMPIPE_THREADS_PER_CORE = 2;

export interface LlvmpipeThreads {
  /** The value LP_NUM_THREADS has (or will have) for this process. */
  value: string;
  /** 'LP_NUM_THREADS': the user's; 'default': this module's choice. */
  from: 'LP_NUM_THREADS' | 'default';
}

/** The thread count for a process with environment `env` on `cores` cores: the user's LP_NUM_THREADS if set (even
 *  one Mesa will reject: Mesa then falls back to its own default, and the choice stays the user's), else two per
 *  core up to llvmpipe's ceiling. */
export function llvmpipeThreads(env: Record<string, string | undefined>, cores: number): LlvmpipeThreads {
  const own = env.LP_NUM_THREADS;
  if (own !== undefined && own !== '') return { value: own, from: 'LP_NUM_THREADS' };
  const n = Math.min(LLVMPIPE_MAX_THREADS, LLVMPIPE_THREADS_PER_CORE * Math.max(1, Math.floor(cores)));
  return { value: String(n), from: 'default' };
}

/** Set LP_NUM_THREADS in this process's environment (before Dawn creates a software adapter) unless the user did. */
export function applyLlvmpipeThreads(env: NodeJS.ProcessEnv = process.env, cores = os.availableParallelism()) {
  const t = llvmpipeThreads(env, cores);
  env.LP_NUM_THREADS = t.value;
  return t;
}
