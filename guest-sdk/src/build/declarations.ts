// Type-checks a TypeScript guest and writes the `.d.ts` that types its exports for the driver:
// the entry's declarations (TypeScript's own declaration emit) plus a wrapper that maps them
// through `GuestModule` (tasks become `.remote()` functions, actor classes `.create()`).
import { createRequire } from 'node:module'
import path from 'node:path'
import type TS from 'typescript'
import { BuildError, type BuildDiagnostic } from './build-error.js'
import { GUEST_IMPORTS, GUEST_INDEX, GUEST_NN, GUEST_NN_IMPORTS, GUEST_RL, GUEST_RL_IMPORTS, PACKAGE_NAME, PACKAGE_ROOT, SDK_ROOT } from './paths.js'

/** Declaration files keyed by path relative to the types folder. */
export type DeclarationFiles = Map<string, string>

// TypeScript is an optional peer dependency (index.ts checks for it and names it when missing), so it
// is loaded on first use, not when this module is imported. It is a CommonJS package: `require`
// loads it synchronously, as declareTypeScriptGuest needs.
let typescript: typeof TS | undefined
function loadTypeScript (): typeof TS {
  typescript ??= createRequire(import.meta.url)('typescript') as typeof TS
  return typescript
}

const compilerOptions = (ts: typeof TS): TS.CompilerOptions => ({
  strict: true,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2022.d.ts'],
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  allowImportingTsExtensions: true,
  declaration: true,
  emitDeclarationOnly: true,
  skipLibCheck: true,
  types: [],
  paths: Object.fromEntries([...GUEST_IMPORTS.map(name => [name, [GUEST_INDEX]]), ...GUEST_NN_IMPORTS.map(name => [name, [GUEST_NN]]), ...GUEST_RL_IMPORTS.map(name => [name, [GUEST_RL]])])
})

function toDiagnostic (d: TS.Diagnostic): BuildDiagnostic {
  const ts = loadTypeScript()
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n')
  if (d.file === undefined || d.start === undefined) return { message }
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start)
  return { file: d.file.fileName, line: line + 1, column: character + 1, message }
}

// The SDK's own sources (guest-sdk/ and the src/ modules it bundles) are not the user's; the
// libraries' own guests (src/libs/<lib>/guest/, built like users' components) are.
const SDK_DIRS = [SDK_ROOT, path.join(PACKAGE_ROOT, 'src') + path.sep, path.join(PACKAGE_ROOT, 'dist') + path.sep]
const LIB_GUESTS = new RegExp(`^${escape(path.join(PACKAGE_ROOT, 'src', 'libs') + path.sep)}[^${escape(path.sep)}]+${escape(path.sep)}guest${escape(path.sep)}`)

function isUserFile (file: string): boolean {
  const abs = path.resolve(file)
  if (LIB_GUESTS.test(abs)) return true
  return !SDK_DIRS.some(dir => abs.startsWith(dir)) && !abs.includes(`${path.sep}node_modules${path.sep}`)
}

function escape (s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

// A guest may import the SDK under its legacy name ('fabric/guest'); the declarations name the
// package as a driver's project installs it, or their types would not resolve there.
const LEGACY_IMPORT = /(['"])fabric\/guest(\/nn|\/rl)?\1/g
function canonicalGuestImports (text: string): string {
  return PACKAGE_NAME === 'fabric' ? text : text.replace(LEGACY_IMPORT, `$1${PACKAGE_NAME}/guest$2$1`)
}

/**
 * Type-check `entry` (guests run in QuickJS: ES2022, no DOM, no Node globals) and return the
 * declarations of the user's files, relative to their common folder, plus the entry's path there.
 *
 * @throws {BuildError} with file:line:col for every type error
 */
export function declareTypeScriptGuest (entry: string): { files: DeclarationFiles, entry: string } {
  const abs = path.resolve(entry)
  const ts = loadTypeScript()
  const program = ts.createProgram([abs], compilerOptions(ts))
  // Only the user's files: the SDK is checked by its own CI.
  const diagnostics = ts.getPreEmitDiagnostics(program).filter(d => d.file === undefined || isUserFile(d.file.fileName))
  if (diagnostics.length > 0) {
    throw new BuildError(`type errors in ${entry}`, diagnostics.map(toDiagnostic))
  }
  const emitted = new Map<string, string>()
  const result = program.emit(undefined, (fileName, text) => {
    if (isUserFile(fileName)) emitted.set(path.resolve(fileName), canonicalGuestImports(text))
  }, undefined, true)
  if (result.diagnostics.length > 0) {
    throw new BuildError(`cannot emit declarations for ${entry}`, result.diagnostics.map(toDiagnostic))
  }
  const names = [...emitted.keys()]
  const root = names.reduce((common, f) => {
    let dir = common
    while (!f.startsWith(dir + path.sep)) dir = path.dirname(dir)
    return dir
  }, path.dirname(abs))
  const files: DeclarationFiles = new Map()
  for (const name of names.sort()) files.set(path.relative(root, name), emitted.get(name)!)
  const entryDecl = path.relative(root, abs).replace(/\.(m|c)?[tj]sx?$/, '.d.ts')
  if (!files.has(entryDecl)) throw new BuildError(`no declarations were emitted for ${entry}`)
  return { files, entry: entryDecl }
}

export { moduleDeclaration } from './module-declaration.js'
