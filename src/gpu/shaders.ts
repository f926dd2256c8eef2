// Shader sources by name, with `//#include name.wgsl` lines expanded (each file included once).
// Built-in shaders come from the generated bundle; registerShader adds user kernels (or overrides) at run time.
import { SHADER_SOURCES, type BuiltinShaderName } from './shaders.gen.ts';

export type { BuiltinShaderName };
/** A name returned by registerShader: only such names and the built-in ones can be dispatched. */
export type RegisteredShaderName = string & { readonly __registeredShader: true };
/** What Engine.dispatch/program accept: a built-in shader (a generated union type, so a typo fails to compile)
 *  or a name that registerShader returned. */
export type ShaderName = BuiltinShaderName | RegisteredShaderName;

const extra = new Map<string, string>();

/** Add a user kernel (or override a built-in one) at run time; dispatch it by the returned name. */
export function registerShader<N extends string>(name: N, source: string): N & RegisteredShaderName {
  extra.set(name, source);
  return name as N & RegisteredShaderName;
}

export function shaderNames(): string[] {
  return [...new Set([...Object.keys(SHADER_SOURCES), ...extra.keys()])];
}

export function shaderSource(name: string, seen: Set<string> = new Set()): string {
  const src = extra.get(name) ?? (SHADER_SOURCES as Readonly<Record<string, string>>)[name];
  if (src === undefined) throw new Error(`unknown shader '${name}' (known: ${shaderNames().join(', ')})`);
  seen.add(name);
  return src.replace(/^\/\/#include\s+(\S+)\.wgsl\s*$/gm, (_m, inc: string) =>
    seen.has(inc) ? '' : shaderSource(inc, seen),
  );
}
