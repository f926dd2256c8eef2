// out = op(a, b) with NumPy broadcasting over up to 4 dims (shapes right-aligned and padded with 1 by the host;
// a broadcast dim has stride 0). The flat index is folded over a 2-D grid of workgroups.
override WG: u32 = 64u;
override OP: u32 = 0u;   // see binaryOp

struct Params {
  n: u32, s1: u32, s2: u32, s3: u32,        // out shape dims 1..3 (dim 0 implied by n)
  a0: u32, a1: u32, a2: u32, a3: u32,       // element strides of a per out dim
  b0: u32, b1: u32, b2: u32, b3: u32,       // element strides of b per out dim
}
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

//#include activation.wgsl

fn binaryOp(x: f32, y: f32) -> f32 {
  switch OP {
    case 0u: { return x + y; }
    case 1u: { return x - y; }
    case 2u: { return x * y; }
    case 3u: { return x / y; }
    case 4u: { return max(x, y); }
    case 5u: { return min(x, y); }
    case 6u: { return tanh_grad(x, y); }                          // tanh'(z)·dy with x = tanh(z) saved
    case 7u: { return silu_grad(x, y); }                          // silu'(x)·dy
    case 8u: { return select(0.0, y, x > 0.0); }                 // relu'(x)·dy
    case 9u: { return select(0.0, 1.0, x > y); }                 // indicator x > y
    default: { return x; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (i >= p.n) { return; }
  let i3 = i % p.s3; let r3 = i / p.s3;
  let i2 = r3 % p.s2; let r2 = r3 / p.s2;
  let i1 = r2 % p.s1; let i0 = r2 / p.s1;
  let ia = i0 * p.a0 + i1 * p.a1 + i2 * p.a2 + i3 * p.a3;
  let ib = i0 * p.b0 + i1 * p.b1 + i2 * p.b2 + i3 * p.b3;
  out[i] = binaryOp(a[ia], b[ib]);
}
