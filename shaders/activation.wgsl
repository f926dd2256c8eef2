// Activation functions shared by the fused matmul epilogue and the unary kernel.
// tanh is evaluated through exp on a clamped argument: |x| > 15 gives ±1 in f32 anyway, and the clamp keeps
// exp from overflowing to inf/inf = NaN on implementations that build tanh from exp.
fn tanh_safe(x: f32) -> f32 {
  let c = clamp(x, -15.0, 15.0);
  let e = exp(2.0 * c);
  return (e - 1.0) / (e + 1.0);
}
fn sigmoid(x: f32) -> f32 {
  // Branches keep exp's argument ≤ 0 so neither tail overflows.
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let e = exp(x);
  return e / (1.0 + e);
}
// softplus(x) = log(1 + eˣ), with exp's argument ≤ 0 (f32: relative accuracy lost below x ≈ −8, where 1 + e^x rounds)
fn softplus(x: f32) -> f32 { return max(x, 0.0) + log(1.0 + exp(-abs(x))); }
// Backward through an activation: dz from dy, tanh's from its output y, SiLU's from its input x. The binary kernel's
// tanhGrad / siluGrad and the matmul epilogues' gates (GATE_TANH, GATE_SILU) are these, so they agree bit for bit.
fn tanh_grad(y: f32, dy: f32) -> f32 { return dy * (1.0 - y * y); }
fn silu_grad(x: f32, dy: f32) -> f32 { let s = sigmoid(x); return dy * s * (1.0 + x * (1.0 - s)); }
fn activate(x: f32, act: u32) -> f32 {
  switch act {
    case 1u: { return tanh_safe(x); }
    case 2u: { return x * sigmoid(x); }
    case 3u: { return max(x, 0.0); }
    default: { return x; }
  }
}
