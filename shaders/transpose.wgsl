// out[b, j, i] = a[b, i, j] for a batch of R×C matrices (one invocation per element of the output).
override WG: u32 = 64u;
struct Params { n: u32, R: u32, C: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(num_workgroups) nwg: vec3u) {
  let o = (wid.y * nwg.x + wid.x) * WG + lid.x;
  if (o >= p.n) { return; }
  let rc = p.R * p.C;
  let b = o / rc; let r = o % rc;
  let j = r / p.R; let i = r % p.R;      // output is C×R: row j, column i
  out[o] = a[b * rc + i * p.C + j];
}
