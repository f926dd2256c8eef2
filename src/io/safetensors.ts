// Minimal safetensors (https://github.com/huggingface/safetensors) for F32 tensors: an 8-byte little-endian header
// length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__?}, then the raw little-endian data.
// Bytes in, bytes out: the file helpers live in src/node/ and the model code goes through a FileStore.
// Every file this project writes carries a CRC-32 of each tensor's bytes in __metadata__ (key CHECKSUM_KEY); reading
// verifies them, so bytes changed in place (a bad disk, a partial overwrite) are named per tensor instead of loading
// as garbage weights. Files from other tools, without the key, are read unchecked.
import CRC32 from 'crc-32';
import { InputError } from '../core/errors.ts';

export const CHECKSUM_KEY = 'lcd_webgpu_crc32';

const crc32 = (d: Float32Array): number => CRC32.buf(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)) >>> 0;

export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

export function encodeSafetensors(
  tensors: Record<string, NamedTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  const names = Object.keys(tensors).sort();
  for (const name of names) {
    const t = tensors[name]!;
    const bytes = t.data.length * 4;
    if (t.shape.reduce((a, b) => a * b, 1) !== t.data.length)
      throw new Error(`safetensors: '${name}' has ${t.data.length} values for shape [${t.shape}]`);
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  header.__metadata__ = {
    ...metadata,
    [CHECKSUM_KEY]: JSON.stringify(Object.fromEntries(names.map((n) => [n, crc32(tensors[n]!.data)]))),
  };
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // align the data section to 8 bytes (ASCII padding)
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors[name]!.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    pos += d.byteLength;
  }
  return out;
}

export function decodeSafetensors(
  bytes: Uint8Array,
  source = 'safetensors',
): { tensors: Record<string, NamedTensor>; metadata: Record<string, string> } {
  if (bytes.length < 8) throw new InputError(`${source}: file too short to be safetensors (${bytes.length} bytes)`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (8 + n > bytes.length)
    throw new InputError(`${source}: header length ${n} runs past the end of the file (truncated?)`);
  let header: Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>
  >;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch {
    throw new InputError(`${source}: header is not valid JSON (not a safetensors file?)`);
  }
  const base = 8 + n;
  const metadata = (header.__metadata__ as Record<string, string> | undefined) ?? {};
  let sums: Record<string, number> | null = null;
  if (metadata[CHECKSUM_KEY])
    try {
      sums = JSON.parse(metadata[CHECKSUM_KEY]) as Record<string, number>;
    } catch {
      throw new InputError(`${source}: the checksum table in the header is damaged (the file is corrupt)`);
    }
  const tensors: Record<string, NamedTensor> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const {
      dtype,
      shape,
      data_offsets: [b, e],
    } = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (dtype !== 'F32') throw new InputError(`${source}: tensor '${name}' has dtype ${dtype}; only F32 is supported`);
    if (base + e > bytes.length)
      throw new InputError(`${source}: tensor '${name}' runs past the end of the file (truncated?)`);
    const copy = bytes.slice(base + b, base + e);
    const data = new Float32Array(copy.buffer, copy.byteOffset, (e - b) / 4);
    if (sums && sums[name] !== crc32(data))
      throw new InputError(
        `${source}: tensor '${name}' is corrupt (its bytes do not match the checksum written with the file); restore the file or train again`,
      );
    tensors[name] = { shape, data };
  }
  const { [CHECKSUM_KEY]: _, ...userMetadata } = metadata;
  return { tensors, metadata: userMetadata };
}

/** Model weights must be finite: a NaN or ∞ can only produce NaN predictions. Names the first bad tensor. */
export function assertFiniteTensors(tensors: Record<string, NamedTensor>, source: string): void {
  for (const [name, t] of Object.entries(tensors)) {
    const bad = t.data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0)
      throw new InputError(
        `${source}: tensor '${name}' holds a non-finite value (${t.data[bad]} at index ${bad}); the model is unusable, train again`,
      );
  }
}
