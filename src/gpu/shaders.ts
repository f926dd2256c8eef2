// Shader sources by name, with `//#include name.wgsl` lines expanded (each file included once).
// Built-in shaders come from the generated bundle; registerShader adds user kernels (or overrides) at run time.
import { SHADER_SOURCES } from './shaders.gen.ts';

const extra = new Map<string, string>();

export function registerShader(name: string, source: string): void {
  extra.set(name, source);
}

export function shaderNames(): string[] {
  return [...new Set([...Object.keys(SHADER_SOURCES), ...extra.keys()])];
}

export function shaderSource(name: string, seen: Set<string> = new Set()): string {
  const src = extra.get(name) ?? SHADER_SOURCES[name];
  if (src === undefined) throw new Error(`unknown shader '${name}' (known: ${shaderNames().join(', ')})`);
  seen.add(name);
  return src.replace(/^\/\/#include\s+(\S+)\.wgsl\s*$/gm, (_m, inc: string) =>
    seen.has(inc) ? '' : shaderSource(inc, seen),
  );
}
