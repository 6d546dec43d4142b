// `fabric build --lang as`: compiles an AssemblyScript guest into a fabric:core component.
//
//   entry.ts --(TypeScript parser)--> exported signatures --> glue module + declarations
//   glue + entry + SDK --(asc, in memory)--> core module --(rename exports)--> wit embed --> component
//
// Runtime choice: AssemblyScript's default incremental GC. Tasks may allocate freely inside one
// call (the collector runs as they go, with its shadow stack keeping live locals safe), actor
// instances stay rooted in the glue's actor table, and everything that crosses the boundary is
// untracked heap memory freed by the canonical-ABI post-returns (see guest-sdk/as/abi.ts). The stub
// runtime would never free and leak across calls; the minimal one would only collect between calls.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import { componentEmbed, componentNew } from '@bytecodealliance/jco-transpile/wasm-tools'
import { workerScript } from '../../../src/exec/worker-script.js'
import { BuildError, displayPath } from './build-error.js'
import { PACKAGE_NAME, SDK_ROOT, WIT_DIR } from './paths.js'
import { parseAsExports } from './as-signatures.js'
import { generateGlue, generateDeclarations } from './as-glue.js'
import type { CompileReply, CompileRequest } from './as-compile.js'

/** Options of {@link buildAssemblyScript}. */
export interface BuildAssemblyScriptOptions {
  /**
   * Directory (or file) holding the fabric:core WIT package.
   * @default the package's own wit/ folder
   */
  witDir?: string
  /**
   * Optimise with `-O3`.
   * @default true
   */
  optimize?: boolean
}

export interface BuildAssemblyScriptResult {
  /** The component's bytes (identical for identical inputs). */
  component: Uint8Array
  /** A TypeScript declaration file typing the guest's exports for the driver. */
  declarations: string
}

/** The only import modules a fabric guest may have. */
const ALLOWED_IMPORT = /^(fabric:core\/[a-z-]+@0\.1\.0|\[export\]fabric:core\/guest@0\.1\.0)$/

/**
 * Builds an AssemblyScript guest into a fabric:core component.
 *
 * @param entryPath the guest's entry file: its exported functions become tasks and its exported
 *   classes actor classes
 * @throws {BuildError} with `file:line:col: message` lines when the guest does not compile or
 *   uses a type that cannot cross the boundary
 * @example
 * const { component, declarations } = await buildAssemblyScript('guests/math.ts', { witDir: 'wit' })
 */
export async function buildAssemblyScript (entryPath: string, opts: BuildAssemblyScriptOptions): Promise<BuildAssemblyScriptResult> {
  const entryFile = path.resolve(entryPath)
  const entryDir = path.dirname(entryFile)
  let entryText: string
  try {
    entryText = await readFile(entryFile, 'utf8')
  } catch (err) {
    throw new BuildError(`cannot read the guest entry ${entryPath}: ${(err as Error).message}`)
  }

  const { exports, diagnostics } = parseAsExports(displayPath(entryFile), entryText)
  if (diagnostics.length > 0) {
    throw new BuildError(`${displayPath(entryFile)} cannot be a fabric guest:`, diagnostics)
  }
  if (exports.functions.length === 0 && exports.classes.length === 0) {
    throw new BuildError(`${displayPath(entryFile)}: exports no functions or classes, so the component would offer nothing`)
  }

  const userModule = './' + path.basename(entryFile).replace(/\.ts$/, '')
  const glue = generateGlue(userModule, exports)
  const core = await compileInWorker({ entryDir, glue, optimize: opts.optimize ?? true })
  checkImports(core)

  const witOpts = { binary: core, witPath: path.resolve(opts.witDir ?? WIT_DIR), world: 'guest-world' }
  let component: Uint8Array
  try {
    component = await componentNew(await componentEmbed(witOpts))
  } catch (err) {
    throw new BuildError(`the compiled guest does not fit the fabric:core guest-world: ${(err as Error).message ?? String(err)}`)
  }
  return { component, declarations: generateDeclarations(exports, PACKAGE_NAME) }
}

// asc and its binaryen are ~100 MB of JavaScript: loaded through the TypeScript loader they take
// ~25 s to import, natively ~1.5 s. So they run in a worker thread (no loader), kept for later builds.
let compiler: Worker | undefined
let nextRequest = 1
const waiting = new Map<number, (reply: CompileReply) => void>()

async function compilerWorker (): Promise<Worker> {
  if (compiler !== undefined) return compiler
  // From dist/ the entry is JavaScript already; from the sources workerScript bundles it.
  const script = await workerScript(new URL(import.meta.url.endsWith('.ts') ? './as-compile-worker.ts' : './as-compile-worker.js', import.meta.url))
  if (compiler !== undefined) return compiler
  const worker = new Worker(script, { execArgv: [] })
  worker.on('message', (reply: CompileReply) => {
    waiting.get(reply.id)?.(reply)
    waiting.delete(reply.id)
    if (waiting.size === 0) worker.unref()
  })
  const fail = (err: Error): void => {
    compiler = undefined
    for (const [id, resolve] of waiting) resolve({ id, ok: false, internal: `the AssemblyScript compiler worker died: ${err.message}` })
    waiting.clear()
  }
  worker.on('error', fail)
  worker.on('exit', (code) => fail(new Error(`exit code ${code}`)))
  worker.unref()
  compiler = worker
  return worker
}

async function compileInWorker (request: Omit<CompileRequest, 'id' | 'cwd' | 'sdkDir'>): Promise<Uint8Array> {
  const worker = await compilerWorker()
  const id = nextRequest++
  const reply = await new Promise<CompileReply>((resolve) => {
    waiting.set(id, resolve)
    worker.ref()
    worker.postMessage({ ...request, id, cwd: process.cwd(), sdkDir: path.join(SDK_ROOT, 'as') } satisfies CompileRequest)
  })
  if (reply.ok) return reply.binary
  if (reply.diagnostics !== undefined) throw new BuildError('AssemblyScript compilation failed:', reply.diagnostics)
  throw new BuildError(reply.internal)
}

/** Refuses a module importing anything but fabric:core (an @external declaration, for instance). */
function checkImports (core: Uint8Array): void {
  const foreign = WebAssembly.Module.imports(new WebAssembly.Module(core as Uint8Array<ArrayBuffer>))
    .filter((imp) => !ALLOWED_IMPORT.test(imp.module))
    .map((imp) => `${imp.module}.${imp.name}`)
  if (foreign.length > 0) {
    throw new BuildError(`the guest imports ${foreign.join(', ')}, which the fabric sandbox does not provide: a guest may only import fabric:core interfaces`)
  }
}
