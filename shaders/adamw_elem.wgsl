// One element's AdamW step (included by adamw.wgsl and adamw_vec4.wgsl, which differ only in how they load):
//   g  ← clip · g
//   m  ← β1 m + (1−β1) g           v ← β2 v + (1−β2) g²
//   p  ← p − lr · ( m/(1−β1ᵗ) / (√(v/(1−β2ᵗ)) + ε) + wd · p )
// The includer binds `p: Params` and `gnormSq` (‖g‖² over all parameters, read when clipping).
struct Params { n: u32, lr: f32, b1: f32, b2: f32, eps: f32, wd: f32, bc1: f32, bc2: f32, maxNorm: f32, pad0: u32, pad1: u32, pad2: u32 }
struct AdamElem { param: f32, m: f32, v: f32 }

fn adamw_elem(param: f32, g: f32, m: f32, v: f32, clip: f32) -> AdamElem {
  let gi = g * clip;
  let mi = p.b1 * m + (1.0 - p.b1) * gi;
  let vi = p.b2 * v + (1.0 - p.b2) * gi * gi;
  let upd = (mi / p.bc1) / (sqrt(vi / p.bc2) + p.eps) + p.wd * param;
  return AdamElem(param - p.lr * upd, mi, vi);
}

// min(1, maxNorm / ‖g‖) from ‖g‖² on the device (maxNorm 0: no clipping, gnormSq not read)
fn adamw_clip() -> f32 {
  var clip = 1.0;
  if (p.maxNorm > 0.0) {
    let norm = sqrt(gnormSq[0]);
    if (norm > p.maxNorm) { clip = p.maxNorm / norm; }
  }
  return clip;
}
