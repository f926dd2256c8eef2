// out = op(alpha · a + beta) elementwise (alpha = 1, beta = 0 for a plain op); OP 0 returns the affine map itself.
override WG: u32 = 64u;
override OP: u32 = 0u;   // see unaryOp

struct Params { n: u32, alpha: f32, beta: f32, pad: u32 }
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

//#include activation.wgsl

fn unaryOp(x: f32) -> f32 {
  switch OP {
    case 1u: { return -x; }
    case 2u: { return exp(x); }
    case 3u: { return log(x); }
    case 4u: { return tanh_safe(x); }
    case 5u: { return x * sigmoid(x); }
    case 6u: { return x * x; }
    case 7u: { return sqrt(x); }
    case 8u: { return max(x, 0.0); }
    case 9u: { return abs(x); }
    case 10u: { return sigmoid(x); }
    case 11u: { return softplus(x); }
    case 12u: { return sin(x); }
    case 13u: { return cos(x); }
    case 14u: { return 1.0 / x; }
    default: { return x; }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (i >= p.n) { return; }
  out[i] = unaryOp(p.alpha * a[i] + p.beta);
}
