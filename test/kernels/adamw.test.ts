// Fused kernel `adamw`: the cases of adamw-cases.ts on the GPU and on the Float64 reference.
import { adamwKernel } from '../../src/nn/kernels/adamw.ts';
import { describeKernel } from '../helpers/conformance.ts';
import { adamwCases } from './adamw-cases.ts';

describeKernel(adamwKernel, adamwCases);
