// Minimal WGSL reflection: the bindings and the `struct Params` of a shader, so that bind-group layouts and
// uniform packing are derived from the WGSL itself instead of being hand-maintained beside it.
// Params structs are restricted to 4-byte scalars (u32, i32, f32), which makes the layout a plain sequence.

export type ScalarType = 'u32' | 'i32' | 'f32';
export interface ParamField {
  name: string;
  type: ScalarType;
}
export type BindingKind = 'read-only-storage' | 'storage' | 'uniform';
export interface Reflection {
  bindings: BindingKind[];
  params: ParamField[];
}

export function reflectShader(rawSource: string, name: string): Reflection {
  const source = rawSource.replace(/\/\/[^\n]*/g, ''); // comments may contain commas and braces
  const bindings: BindingKind[] = [];
  const re = /@group\(0\)\s*@binding\((\d+)\)\s*var<([^>]+)>/g;
  for (const m of source.matchAll(re)) {
    const idx = Number(m[1]);
    const decl = m[2]!.replace(/\s/g, '');
    bindings[idx] = decl === 'uniform' ? 'uniform' : decl.endsWith(',read') ? 'read-only-storage' : 'storage';
  }
  for (let i = 0; i < bindings.length; i++)
    if (!bindings[i]) throw new Error(`shader '${name}': binding ${i} missing (bindings must be dense)`);
  const params: ParamField[] = [];
  const struct = /struct\s+Params\s*\{([^}]*)\}/.exec(source);
  if (struct) {
    for (const f of struct[1]!.split(',')) {
      const m = /^\s*(\w+)\s*:\s*(\w+)\s*$/.exec(f);
      if (!m) continue;
      const t = m[2]!;
      if (t !== 'u32' && t !== 'i32' && t !== 'f32')
        throw new Error(`shader '${name}': Params field '${m[1]}' has type ${t}; only 4-byte scalars are allowed`);
      params.push({ name: m[1]!, type: t });
    }
  }
  return { bindings, params };
}

/** Pack named values into the std140-compatible byte layout of a scalar-only Params struct (size rounded to 16). */
export function packParams(fields: ParamField[], values: Record<string, number>, shader: string): ArrayBuffer {
  const buf = new ArrayBuffer(Math.max(16, Math.ceil((fields.length * 4) / 16) * 16));
  packParamsInto(new DataView(buf), 0, fields, values, shader);
  return buf;
}

/** The field names of each Params struct, for the unknown-name check (the struct's fields array is the key). */
const fieldNames = new WeakMap<ParamField[], Set<string>>();

/** packParams into `view` at byte `offset` (little-endian, as WGSL's uniform layout on every adapter): no
 *  allocation per dispatch, which is most of what recording a small dispatch costs on the host. */
export function packParamsInto(
  view: DataView,
  offset: number,
  fields: ParamField[],
  values: Record<string, number>,
  shader: string,
): void {
  let known = fieldNames.get(fields);
  if (!known) fieldNames.set(fields, (known = new Set(fields.map((x) => x.name))));
  for (const k in values) if (!known.has(k)) throw new Error(`shader '${shader}': no Params field '${k}'`);
  for (let idx = 0; idx < fields.length; idx++) {
    const field = fields[idx]!,
      v = values[field.name],
      at = offset + 4 * idx;
    if (v === undefined) {
      if (field.name.startsWith('pad')) {
        view.setUint32(at, 0, true);
        continue;
      }
      throw new Error(`shader '${shader}': Params field '${field.name}' not provided`);
    }
    if (field.type === 'f32') view.setFloat32(at, v, true);
    else if (field.type === 'i32') view.setInt32(at, v, true);
    else {
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
        throw new Error(`shader '${shader}': Params.${field.name} = ${v} is not a u32`);
      view.setUint32(at, v, true);
    }
  }
}
