// One step of an exponential moving average in place, one element per invocation (the step: ema_step.wgsl).
alias Elem = f32;

//#include ema_step.wgsl
