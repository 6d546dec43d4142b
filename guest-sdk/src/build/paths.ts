// Where the SDK's own files live, resolved from this module so builds work from any directory.
import { fileURLToPath } from 'node:url'

export const SDK_ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const WIT_DIR = fileURLToPath(new URL('../../../wit/', import.meta.url))
export const GUEST_INDEX = fileURLToPath(new URL('../index.ts', import.meta.url))
export const GUEST_RUNTIME = fileURLToPath(new URL('../runtime.ts', import.meta.url))
