// Compiled programs by (shader, pipeline-overridable constants): the WGSL module, its bind-group layout from the
// shader's reflection, and the compute pipeline, created once and cached. Compilation runs in its own validation
// scope, so a broken shader is reported at the next sync as a ShaderCompileError, never as an uncaptured error that
// Dawn would print.
import { ShaderCompileError } from './errors.ts';
import { reflectShader, type Reflection } from './reflect.ts';
import { shaderSource, type ShaderName } from './shaders.ts';
import type { PendingErrors } from './pending-errors.ts';

export type Constants = Record<string, number | boolean>;

export interface Program {
  key: string;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  reflection: Reflection;
}

export class ProgramCache {
  private programs = new Map<string, Program>();
  private reflections = new Map<string, Reflection>();
  /** Print each compiled WGSL module (debugging): set ENGINE_PRINT_SHADERS=1. */
  printShaders = typeof process !== 'undefined' && process.env?.ENGINE_PRINT_SHADERS === '1';

  constructor(
    private readonly device: GPUDevice,
    private readonly errors: PendingErrors,
  ) {}

  reflection(shader: ShaderName): Reflection {
    let r = this.reflections.get(shader);
    if (!r) {
      r = reflectShader(shaderSource(shader), shader);
      this.reflections.set(shader, r);
    }
    return r;
  }

  program(shader: ShaderName, constants: Constants = {}): Program {
    const key = programKey(shader, constants);
    let prog = this.programs.get(key);
    if (prog) return prog;
    const code = shaderSource(shader);
    if (this.printShaders) console.error(`// ---- ${key}\n${code}`);
    const reflection = this.reflection(shader);
    // Nested inside an open encoder's error scope and popped before returning.
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code, label: shader });
    this.errors.add(
      module.getCompilationInfo().then(
        (info) => {
          const err = info.messages.find((m) => m.type === 'error');
          if (!err) return null;
          this.programs.delete(key); // let a corrected registration compile afresh
          return new ShaderCompileError(shader, err.lineNum, err.message, code);
        },
        (e: Error) => e,
      ),
    );
    const layout = this.device.createBindGroupLayout({
      label: shader,
      entries: reflection.bindings.map((type, binding) => ({
        binding,
        visibility: 4 /* GPUShaderStage.COMPUTE */,
        buffer: { type },
      })),
    });
    const pipeline = this.device.createComputePipeline({
      label: key,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: {
        module,
        entryPoint: 'main',
        constants: Object.fromEntries(Object.entries(constants).map(([k, v]) => [k, Number(v)])),
      },
    });
    this.errors.watch(this.device.popErrorScope(), (m) => `WebGPU validation error creating '${shader}': ${m}`);
    prog = { key, pipeline, layout, reflection };
    this.programs.set(key, prog);
    return prog;
  }

  clear(): void {
    this.programs.clear();
  }
}

/** The cache key of (shader, constants): the constants in name order, so that call sites listing them in another
 *  order share one pipeline. Built for every dispatch, so without the intermediate arrays JSON would make. */
export function programKey(shader: string, constants: Constants): string {
  const names = Object.keys(constants).sort();
  let key = shader + '{';
  for (const n of names) key += n + ':' + constants[n] + ';';
  return key + '}';
}
