// One element's AdamW step (included by adamw.wgsl and adamw_vec4.wgsl, which differ only in how they load):
//   g  ← clip · g
//   m  ← β1 m + (1−β1) g           v ← β2 v + (1−β2) g²
//   p  ← p − lr · ( m/(1−β1ᵗ) / (√(v/(1−β2ᵗ)) + ε) + wd · p )
// The uniform struct `p` (the caller's Params) holds b1, b2, bc1, bc2, eps, wd and lr.
struct AdamElem { param: f32, m: f32, v: f32 }

fn adamw_elem(param: f32, g: f32, m: f32, v: f32, clip: f32) -> AdamElem {
  let gi = g * clip;
  let mi = p.b1 * m + (1.0 - p.b1) * gi;
  let vi = p.b2 * v + (1.0 - p.b2) * gi * gi;
  let upd = (mi / p.bc1) / (sqrt(vi / p.bc2) + p.eps) + p.wd * param;
  return AdamElem(param - p.lr * upd, mi, vi);
}

// min(1, maxNorm / ‖g‖) from ‖g‖² on the device (maxNorm 0: no clipping)
fn adamw_clip(normSq: f32) -> f32 {
  var clip = 1.0;
  if (p.maxNorm > 0.0) {
    let norm = sqrt(normSq);
    if (norm > p.maxNorm) { clip = p.maxNorm / norm; }
  }
  return clip;
}
