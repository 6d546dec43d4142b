// The guest-build toolchain is optional in an installed package (peer dependencies marked optional:
// a driver-only install runs components without it). `fabric build` checks for it first and names
// exactly what to install, instead of failing deep inside with "Cannot find package".
import fs from 'node:fs'
import path from 'node:path'
import { BuildError } from './build-error.js'
import { PACKAGE_NAME, PACKAGE_ROOT } from './paths.js'

/** What each guest language needs to build (besides the package's own dependencies). */
export const TOOLCHAIN: Record<'ts' | 'as', readonly string[]> = {
  ts: ['componentize-qjs', 'typescript'],
  as: ['assemblyscript']
}

/**
 * Whether `name` is installed where Node would find it from this package: in a node_modules
 * folder at or above the package's root. Checked by looking, not by importing: loading
 * TypeScript just to see that it is there would cost a second.
 */
export function isInstalled (name: string, from = PACKAGE_ROOT): boolean {
  let dir = path.resolve(from)
  for (;;) {
    if (fs.existsSync(path.join(dir, 'node_modules', name, 'package.json'))) return true
    const up = path.dirname(dir)
    if (up === dir) return false
    dir = up
  }
}

/**
 * The exact versions this package is tested with, for the install command: its devDependencies (the
 * checkout's toolchain; npm keeps the field in the published package.json). The peerDependencies
 * hold the ranges it accepts.
 */
function testedVersions (): Record<string, string> {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> }
    return pkg.devDependencies ?? {}
  } catch {
    return {}
  }
}

/**
 * Checks that the toolchain for `lang` is installed.
 *
 * @throws {BuildError} naming the missing packages and the `npm install` command that adds them
 * @example
 * requireToolchain('ts') // before buildQuickJs(entry)
 */
export function requireToolchain (lang: 'ts' | 'as'): void {
  const missing = TOOLCHAIN[lang].filter(name => !isInstalled(name))
  if (missing.length === 0) return
  const versions = testedVersions()
  const specs = missing.map(name => versions[name] === undefined ? name : `${name}@${versions[name]}`)
  throw new BuildError(`the guest toolchain is not installed: ${missing.join(', ')} ` +
    `(optional peer dependencies of ${PACKAGE_NAME}: a driver-only install runs components but cannot build them). ` +
    `Install it in your project: npm install --save-dev ${specs.join(' ')}`)
}
