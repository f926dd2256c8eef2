// Reduction along one axis of a tensor viewed as [outer, len, inner]; one invocation per output element,
// summing in a fixed order (index ascending), so results are bit-reproducible across runs and adapters.
// A sum, mean or sum of squares leaves multiplied by `scale` (1 by default; a mean-square loss's 1/n without a pass).
// logsumexp uses the streaming form: keep the running max m and s = Σ exp(x − m), rescaling s when m grows.
override WG: u32 = 64u;
override OP: u32 = 0u;   // 0 sum, 1 mean, 2 max, 3 logsumexp, 4 sum of squares
// ACCUMULATE (sums, means, sums of squares): out += the result instead of out = it (a training loop's running loss,
// out + r in the order binary add would form it, without its pass).
override ACCUMULATE: bool = false;

struct Params { outer: u32, len: u32, inner: u32, scale: f32 } // scale: sums, means and sums of squares times it
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let o = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (o >= p.outer * p.inner) { return; }
  let io = o / p.inner; let ii = o % p.inner;
  let base = io * p.len * p.inner + ii;
  if (OP == 2u) {
    var m = -0x1.fffffep+127f;
    for (var k = 0u; k < p.len; k++) { m = max(m, a[base + k * p.inner]); }
    out[o] = m; return;
  }
  if (OP == 3u) {
    var m = -0x1.fffffep+127f; var s = 0.0;
    for (var k = 0u; k < p.len; k++) {
      let x = a[base + k * p.inner];
      if (x > m) { s = s * exp(m - x) + 1.0; m = x; } else { s = s + exp(x - m); }
    }
    out[o] = m + log(s); return;
  }
  var s = 0.0;
  for (var k = 0u; k < p.len; k++) {
    let x = a[base + k * p.inner];
    s = s + select(x, x * x, OP == 4u);
  }
  let r = select(s, s / f32(p.len), OP == 1u) * p.scale;
  if (ACCUMULATE) { out[o] = out[o] + r; } else { out[o] = r; }
}
