// ema.wgsl's step with four consecutive elements per invocation: one vec4 load per buffer instead of four scalar ones
// (on a software adapter the loads cost more than the arithmetic); the same bits (ema_step.wgsl). p.n counts vec4s.
alias Elem = vec4f;

//#include ema_step.wgsl
