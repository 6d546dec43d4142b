// The asc step of `fabric build --lang as`, run inside a worker thread (see as-compile-worker.ts):
// compiles the generated glue, and through it the user's entry and the SDK, all in memory.
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import asc, { type Transform } from 'assemblyscript/asc'
import binaryen from 'assemblyscript/binaryen'
import { displayPath, type BuildDiagnostic } from './build-error.js'
import { GLUE_EXPORT_NAMES } from './as-glue.js'

/** What the builder asks the compiler worker. */
export interface CompileRequest {
  id: number
  entryDir: string
  glue: string
  optimize: boolean
  /** The builder's working directory: diagnostics name files relative to it. */
  cwd: string
  /**
   * The AssemblyScript SDK's folder (guest-sdk/as). Passed in: this module runs from a bundle in
   * the cache, so its own location says nothing about where the SDK is.
   */
  sdkDir: string
}

/** The compiler worker's answer: the core module, the user's errors, or a fabric bug. */
export type CompileReply =
  | { id: number, ok: true, binary: Uint8Array }
  | { id: number, ok: false, diagnostics: BuildDiagnostic[], internal?: undefined }
  | { id: number, ok: false, internal: string, diagnostics?: undefined }

/** The AssemblyScript SDK ('fabric/guest-as'), shipped as source next to this package. */

// asc resolves `import ... from 'fabric/guest-as/x'` as package `fabric`, file `guest-as/x.ts`,
// looked up in node_modules folders and then in each `--path` folder. The build passes this
// folder, which exists only inside its readFile hook and maps onto the SDK, so the import works
// from anywhere, whether or not the fabric package is installed next to the guest.
const packagesDir = (sdkDir: string): string => path.join(sdkDir, '.packages')
/** The SDK as asc names its files in diagnostics. */
const SDK_INTERNAL_PREFIX = '~lib/fabric/guest-as/'

/** The glue is compiled as the entry point, as if it sat next to the user's entry. */
const GLUE_FILE = '__fabric_glue__.ts'

const DIAGNOSTIC_ERROR = 3 // assemblyscript's DiagnosticCategory.Error

/** 1-based line and column of `offset` in `text`. */
function lineColumn (text: string, offset: number): { line: number, column: number } {
  let line = 1
  let lineStart = 0
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++
    lineStart = i + 1
  }
  return { line, column: offset - lineStart + 1 }
}


/** Compiles the glue (and through it the user's entry and the SDK) with asc, all in memory. */
export async function compile ({ id, entryDir, glue, optimize, cwd, sdkDir }: CompileRequest): Promise<CompileReply> {
  const PACKAGES_DIR = packagesDir(sdkDir)
  const SDK_PACKAGE_DIR = path.join(PACKAGES_DIR, 'fabric', 'guest-as') + path.sep
  const glueFile = path.join(entryDir, GLUE_FILE)
  const sources = new Map<string, string>() // absolute path -> text of each file read, to locate diagnostics
  let binary: Uint8Array | undefined
  const diagnostics: BuildDiagnostic[] = []
  const internalErrors: string[] = []

  const sourceFile = (normalizedPath: string): string => normalizedPath.startsWith(SDK_INTERNAL_PREFIX)
    ? path.join(sdkDir, normalizedPath.slice(SDK_INTERNAL_PREFIX.length))
    : path.resolve(entryDir, normalizedPath)

  const args = [
    GLUE_FILE,
    '--baseDir', entryDir,
    '--outFile', 'guest.wasm',
    '--path', PACKAGES_DIR,
    '--runtime', 'incremental',
    // AssemblyScript imports these from "env" by default; the SDK provides them over fabric:core.
    '--use', `abort=${SDK_INTERNAL_PREFIX}index/fabricAbort`,
    '--use', `trace=${SDK_INTERNAL_PREFIX}index/fabricTrace`,
    '--use', `seed=${SDK_INTERNAL_PREFIX}index/fabricSeed`,
    '--noColors',
    // Fixed-width SIMD (v128, f32x4, ...) is standard WebAssembly that V8 runs natively: guests
    // may use it for their hot loops.
    '--enable', 'simd',
    ...(optimize ? ['-O3'] : [])
  ]
  const result = await asc.main(args, {
    readFile: async (filename, baseDir) => {
      const file = path.resolve(baseDir, filename)
      if (file === glueFile) return glue
      const target = file.startsWith(SDK_PACKAGE_DIR) ? path.join(sdkDir, file.slice(SDK_PACKAGE_DIR.length)) : file
      // Paths under the virtual packages folder that are not the SDK do not exist.
      if (target.startsWith(PACKAGES_DIR)) return null
      try {
        const text = await readFile(target, 'utf8')
        sources.set(target, text)
        return text
      } catch {
        return null
      }
    },
    writeFile: (filename, contents) => {
      if (filename === 'guest.wasm') binary = contents as Uint8Array
    },
    listFiles: () => [],
    reportDiagnostic: (d) => {
      if (d.category !== DIAGNOSTIC_ERROR) return
      const range = d.range
      if (range === null) {
        internalErrors.push(d.message)
        return
      }
      const normalized = range.source.normalizedPath
      if (normalized === GLUE_FILE) {
        internalErrors.push(`${d.message} (in the generated glue at offset ${range.start})`)
        return
      }
      const file = sourceFile(normalized)
      const text = sources.get(file)
      const { line, column } = text === undefined ? { line: 0, column: 0 } : lineColumn(text, range.start)
      diagnostics.push({ file: displayPath(file, cwd), line, column, message: d.message })
    },
    // asc only calls the hooks a transform object defines; the other members are for subclasses.
    transforms: [renameGlueExports as Transform]
  })

  if (diagnostics.length > 0) return { id, ok: false, diagnostics }
  if (internalErrors.length > 0 || result.error !== null || binary === undefined) {
    // Not the user's code: a glue the compiler rejects is a bug in this build step.
    const detail = internalErrors.length > 0 ? internalErrors.join('\n') : (result.error?.message ?? 'no output')
    return { id, ok: false, internal: `AssemblyScript compilation failed in the generated glue (a fabric bug, please report it):\n${detail}\n${result.stderr.toString()}` }
  }
  return { id, ok: true, binary }
}

/**
 * Renames the glue's exports to their canonical-ABI names on the module asc built, before it is
 * optimised and emitted (binaryen's JS API: asc itself cannot spell `#`, `[` or `]`).
 */
const renameGlueExports: Pick<Transform, 'afterCompile'> = {
  afterCompile (module: binaryen.Module): void {
    for (const [safe, canonical] of Object.entries(GLUE_EXPORT_NAMES)) {
      const ref = module.getExport(safe)
      if (ref === 0) throw new Error(`the glue lacks its export ${safe}`)
      const internalName = binaryen.getExportInfo(ref).value
      module.removeExport(safe)
      module.addFunctionExport(internalName, canonical)
    }
  }
}

