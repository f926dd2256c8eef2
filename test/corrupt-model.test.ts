// A damaged model file is named as such, per tensor, instead of loading and predicting NaN: bytes changed in place
// (length kept) fail the per-tensor CRC-32 written with the file; a non-finite weight is refused by name.
import { describe, it, expect } from 'vitest';
import { decodeSafetensors, encodeSafetensors, assertFiniteTensors, CHECKSUM_KEY } from '../src/io/safetensors.ts';
import { memoryStore } from '../src/io/file-store.ts';
import { LCD } from '../src/lcd/model.ts';
import { CpuBackend } from '../src/ops/cpu-backend.ts';
import { linearScreen } from '../src/sim/linear.ts';

const tensors = () => ({
  a: { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
  b: { shape: [4], data: Float32Array.from([0.5, -1, 2, 7]) },
});

describe('damaged model files', () => {
  it('round-trips tensors and user metadata; the checksum table stays internal', () => {
    const { tensors: t, metadata } = decodeSafetensors(encodeSafetensors(tensors(), { note: 'x' }));
    expect(Array.from(t.b!.data)).toEqual([0.5, -1, 2, 7]);
    expect(metadata).toEqual({ note: 'x' });
  });

  it('names the tensor whose bytes were overwritten in place', () => {
    const bytes = encodeSafetensors(tensors());
    // the data section is the last 40 bytes: a (24 bytes, sorted first), then b (16 bytes)
    for (const [offset, name] of [
      [bytes.length - 40 + 5, 'a'],
      [bytes.length - 3, 'b'],
    ] as const) {
      const bad = bytes.slice();
      bad[offset] = bad[offset]! ^ 0x40;
      expect(() => decodeSafetensors(bad, 'w.safetensors')).toThrow(
        new RegExp(`w.safetensors: tensor '${name}' is corrupt`),
      );
    }
  });

  it('reads files from other tools (no checksum table) unchecked', () => {
    const bytes = encodeSafetensors(tensors());
    const text = new TextDecoder().decode(bytes);
    expect(text).toContain(CHECKSUM_KEY);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(text.slice(8, 8 + n)) as Record<string, unknown>;
    delete header.__metadata__;
    let json = JSON.stringify(header);
    json += ' '.repeat(n - json.length);
    const plain = bytes.slice();
    plain.set(new TextEncoder().encode(json), 8);
    plain[plain.length - 1] = plain[plain.length - 1]! ^ 0x01; // changed, but nothing to check it against
    expect(decodeSafetensors(plain).tensors.b!.shape).toEqual([4]);
  });

  it('refuses a non-finite weight by name', () => {
    const t = tensors();
    t.b.data[2] = NaN;
    expect(() => assertFiniteTensors(t, 'm')).toThrow(/m: tensor 'b' holds a non-finite value \(NaN at index 2\)/);
  });

  it('LCD.load refuses a saved model with a damaged weight file', async () => {
    const { screen } = linearScreen({ d: 4, perturbed: 2, cellsPerEnv: 16, seed: 0 });
    const B = new CpuBackend();
    const lcd = await new LCD({ steps: 2, hidden: 8, batchSize: 8 }).fit(screen, { backend: B });
    const store = memoryStore({}, 'model');
    await lcd.save(store);
    expect(LCD.load(store, B).genes).toEqual(screen.genes);
    const w = store.read('weights.safetensors')!.slice();
    w[w.length - 100] = w[w.length - 100]! ^ 0xff;
    store.write('weights.safetensors', w);
    expect(() => LCD.load(store, B)).toThrow(/weights\.safetensors: tensor '[^']+' is corrupt/);
  });
});
