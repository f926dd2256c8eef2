// lcd-webgpu, Node entry: the browser entry's library, Dawn (npm `webgpu`) registered as the GPU, and helpers for
// the local file system (h5ad paths, model folders, CLIPR output folders; every write atomic).
export * from './browser.ts';
export { registerDawn } from './node/dawn.ts';
export { folderStore } from './node/folder-store.ts';
export { readH5ad, writeH5ad } from './node/h5ad.ts';
export { writeCliprOutputs } from './node/clipr-files.ts';
export { writeFileAtomic } from './node/atomic.ts';
