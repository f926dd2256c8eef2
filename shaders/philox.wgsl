// Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11), the counter-based
// generator also used by JAX. The TypeScript twin in src/reference/philox.ts produces the same bits.
const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;

// 32×32 → 64-bit product as (hi, lo), from 16-bit halves (WGSL has no 64-bit integers).
fn mulhilo(a: u32, b: u32) -> vec2u {
  let a0 = a & 0xFFFFu; let a1 = a >> 16u; let b0 = b & 0xFFFFu; let b1 = b >> 16u;
  let p00 = a0 * b0; let p01 = a0 * b1; let p10 = a1 * b0; let p11 = a1 * b1;
  let mid = (p00 >> 16u) + (p01 & 0xFFFFu) + (p10 & 0xFFFFu);
  let hi = p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
  return vec2u(hi, a * b);
}

fn philox4x32(counter: vec4u, key: vec2u) -> vec4u {
  var c = counter; var k = key;
  for (var r = 0u; r < 10u; r++) {
    let p0 = mulhilo(PHILOX_M0, c.x);
    let p1 = mulhilo(PHILOX_M1, c.z);
    c = vec4u(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
    k = k + vec2u(PHILOX_W0, PHILOX_W1);
  }
  return c;
}

// Uniform in the open interval (0, 1) from the top 24 bits: exact in f32 and never 0 (log-safe).
fn u01(x: u32) -> f32 { return (f32(x >> 8u) + 0.5) * 5.9604644775390625e-8; }

// Four standard normals from one Philox block by Box–Muller on the pairs (x, y) and (z, w).
fn philoxNormal4(counter: vec4u, key: vec2u) -> vec4f {
  let bits = philox4x32(counter, key);
  let r0 = sqrt(-2.0 * log(u01(bits.x))); let t0 = 6.283185307179586 * u01(bits.y);
  let r1 = sqrt(-2.0 * log(u01(bits.z))); let t1 = 6.283185307179586 * u01(bits.w);
  return vec4f(r0 * cos(t0), r0 * sin(t0), r1 * cos(t1), r1 * sin(t1));
}
