// `fabric build`: a guest entry in, a component and its driver types out.
import fs from 'node:fs/promises'
import path from 'node:path'
import { declareTypeScriptGuest, type DeclarationFiles } from './declarations.js'
import { buildQuickJs } from './build-qjs.js'
import { BuildError } from './build-error.js'
import { requireToolchain } from './toolchain.js'
import { moduleDeclaration } from './module-declaration.js'

export { BuildError, type BuildDiagnostic } from './build-error.js'
export { cachedBuild } from './cached-build.js'
export { requireToolchain, isInstalled, TOOLCHAIN } from './toolchain.js'

/** The guest languages `fabric build` knows. */
export type GuestLanguage = 'ts' | 'as'

/** Options of {@link buildComponent}. */
export interface BuildInit {
  /** The guest's entry file. */
  entry: string
  /**
   * Where to write the component; the `.d.ts` goes beside it.
   * @default `build/<entry name>.wasm`
   */
  out?: string
  /**
   * `ts` (TypeScript/JavaScript on QuickJS) or `as` (AssemblyScript, for CPU-heavy code).
   * @default 'ts'
   */
  lang?: GuestLanguage
  /** Skip writing the `.d.ts` and its types folder. @default false */
  noTypes?: boolean
}

/** What a build produced. */
export interface BuildResult {
  component: string
  declaration?: string
  bytes: number
  milliseconds: number
}

async function writeAtomic (file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`
  await fs.writeFile(tmp, data)
  await fs.rename(tmp, file)
}

async function writeTypes (out: string, entry: string, files: DeclarationFiles, entryDecl: string): Promise<string> {
  const base = out.replace(/\.wasm$/, '')
  const typesDir = `${base}.types`
  await fs.rm(typesDir, { recursive: true, force: true })
  for (const [rel, text] of files) {
    const file = path.join(typesDir, rel)
    await fs.mkdir(path.dirname(file), { recursive: true })
    await fs.writeFile(file, text)
  }
  const declaration = `${base}.d.ts`
  const source = path.relative(path.dirname(declaration), entry).split(path.sep).join('/')
  await writeAtomic(declaration, moduleDeclaration(source, path.basename(typesDir), entryDecl))
  return declaration
}

/**
 * Build a guest into a fabric component (and the `.d.ts` that types it for the driver).
 * Builds are deterministic: the same sources give byte-identical output.
 *
 * @throws {BuildError} with the user's file:line:col for type, bundle and compile errors
 * @example
 * await buildComponent({ entry: 'src/tasks.ts', out: 'build/tasks.wasm' })
 */
export async function buildComponent (init: BuildInit): Promise<BuildResult> {
  const started = performance.now()
  const entry = path.resolve(init.entry)
  try {
    await fs.access(entry)
  } catch {
    throw new BuildError(`entry file not found: ${init.entry}`)
  }
  const lang = init.lang ?? 'ts'
  const out = path.resolve(init.out ?? path.join('build', path.basename(entry).replace(/\.[^.]+$/, '') + '.wasm'))
  if (!out.endsWith('.wasm')) throw new BuildError(`output must end in .wasm: ${init.out ?? out}`)

  if (lang !== 'ts' && lang !== 'as') {
    throw new BuildError(`unknown guest language '${String(lang)}': use 'ts' (QuickJS) or 'as' (AssemblyScript)`)
  }
  // The toolchain is optional in an install: say what is missing before the build needs it.
  requireToolchain(lang)
  let component: Uint8Array
  let types: { files: DeclarationFiles, entry: string } | undefined
  if (lang === 'ts') {
    types = init.noTypes === true ? undefined : declareTypeScriptGuest(entry)
    component = await buildQuickJs(entry)
  } else {
    const { buildAssemblyScript } = await import('./build-as.js')
    const built = await buildAssemblyScript(entry, {})
    component = built.component
    const entryDecl = path.basename(entry).replace(/\.[^.]+$/, '') + '.d.ts'
    types = { files: new Map([[entryDecl, built.declarations]]), entry: entryDecl }
  }

  await fs.mkdir(path.dirname(out), { recursive: true })
  await writeAtomic(out, component)
  const declaration = types === undefined || init.noTypes === true ? undefined : await writeTypes(out, entry, types.files, types.entry)
  return { component: out, declaration, bytes: component.byteLength, milliseconds: performance.now() - started }
}
