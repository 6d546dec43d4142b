// Where the SDK's own files live, resolved from this module so builds work from any directory, both
// from the sources (guest-sdk/src/build/) and from the built package (dist/guest-sdk/src/build/).
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const builtPart = path.join('dist', 'guest-sdk', 'src', 'build')

/** Whether this code runs from dist/ (compiled JavaScript) rather than from the TypeScript sources. */
export const FROM_DIST = here.endsWith(path.sep + builtPart)
/** The package's root folder (the one holding package.json, wit/ and guest-sdk/). */
export const PACKAGE_ROOT = FROM_DIST ? here.slice(0, -builtPart.length) : path.join(here, '..', '..', '..') + path.sep
/** The package's npm name: what guests import `<name>/guest` from and drivers `<name>`. */
export const PACKAGE_NAME = (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { name: string }).name
export const SDK_ROOT = path.join(PACKAGE_ROOT, 'guest-sdk') + path.sep
export const WIT_DIR = path.join(PACKAGE_ROOT, 'wit') + path.sep
// Guests are bundled from the SDK's TypeScript sources either way (esbuild reads TypeScript), so a
// guest built in a checkout and one built with the installed package are the same component.
export const GUEST_INDEX = path.join(SDK_ROOT, 'src', 'index.ts')
export const GUEST_RUNTIME = path.join(SDK_ROOT, 'src', 'runtime.ts')
/**
 * The import names a guest may use for the SDK: `<name>/guest`, and `fabric/guest`, its name
 * before the package was published under its own name (kept so older guests still build).
 */
export const GUEST_IMPORTS = [...new Set([`${PACKAGE_NAME}/guest`, 'fabric/guest'])]
/** The SDK's neural-network module (`<name>/guest/nn`), by the same names. */
export const GUEST_NN = path.join(SDK_ROOT, 'src', 'nn', 'index.ts')
export const GUEST_NN_IMPORTS = GUEST_IMPORTS.map(name => `${name}/nn`)
/** The SDK's reinforcement-learning module (`<name>/guest/rl`). */
export const GUEST_RL = path.join(SDK_ROOT, 'src', 'rl', 'index.ts')
export const GUEST_RL_IMPORTS = GUEST_IMPORTS.map(name => `${name}/rl`)
