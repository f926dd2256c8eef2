// The package's version, read from package.json two levels up from src/node and dist/node alike: what
// `lcd-webgpu --version` prints and the report records.
import { createRequire } from 'node:module';

export const PACKAGE_VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
