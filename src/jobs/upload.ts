// What `fabric submit` sends: the driver bundled into one ES module (esbuild; `wasm-fabric` kept
// external, so the job uses the node's own copy of the package) placed beside the driver in the
// working directory, and the working directory's files (not node_modules, .git or symlinks),
// components (`.wasm`) named by their CID so a node that has one is not sent it again.
import fs from 'node:fs'
import path from 'node:path'
import { cidOfBytes } from '../objects/cid.js'
import { MAX_JOB_FILES } from './constants.js'
import { checkJobPath } from './protocol.js'
import type { JobFile } from './interface.js'

/** A file to send: where its bytes come from. */
export type UploadFile = JobFile & { source: string | Uint8Array }

export interface Upload {
  files: UploadFile[]
  /** The bundle's path among the files (what the node runs). */
  entry: string
  /** The driver's path as the user knows it (relative to the working directory when inside it). */
  driver: string
  bytes: number
}

/** Directories never sent: the node provides the package, and history is not the job's business. */
const SKIPPED_DIRS = new Set(['node_modules', '.git'])

/** Thrown (as a plain Error with this name) for a driver that does not bundle, or a working directory that cannot be sent. */
export class UploadError extends Error {
  override name = 'UploadError'
}

/**
 * The working directory's files and the bundled driver.
 *
 * @throws UploadError naming the problem (a bundling error with its location, too many files, a bad path)
 */
export async function prepareUpload (driverFile: string, workingDir = path.dirname(driverFile)): Promise<Upload> {
  const driver = path.resolve(driverFile)
  const root = path.resolve(workingDir)
  if (!fs.existsSync(driver) || !fs.statSync(driver).isFile()) throw new UploadError(`no such driver file: ${driverFile}`)
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UploadError(`no such working directory: ${workingDir}`)
  const files: UploadFile[] = []
  for (const rel of walk(root)) {
    const abs = path.join(root, ...rel.split('/'))
    const size = fs.statSync(abs).size
    const f: UploadFile = { path: rel, size, source: abs }
    if (rel.endsWith('.wasm')) f.cid = await cidOfBytes(fs.readFileSync(abs))
    if ((fs.statSync(abs).mode & 0o100) !== 0) f.executable = true
    files.push(f)
  }
  const relDriver = path.relative(root, driver)
  const inside = !relDriver.startsWith('..') && !path.isAbsolute(relDriver)
  const shown = inside ? relDriver.split(path.sep).join('/') : path.basename(driver)
  // Beside the driver, so its `import.meta.url`-relative paths find the same files.
  const base = inside ? shown.replace(/\.[^./]+$/, '') : path.basename(driver).replace(/\.[^./]+$/, '')
  let entry = `${base}.fabric-job.mjs`
  const taken = new Set(files.map(f => f.path))
  for (let n = 2; taken.has(entry); n++) entry = `${base}.fabric-job-${n}.mjs`
  const bundle = await bundleDriver(driver)
  files.push({ path: checkJobPath(entry), size: bundle.byteLength, source: bundle })
  return { files, entry, driver: shown, bytes: files.reduce((n, f) => n + f.size, 0) }
}

/** Bundle the driver into one ES module; `wasm-fabric` (and its subpaths) stays an import. */
export async function bundleDriver (driver: string): Promise<Uint8Array> {
  const esbuild = await import('esbuild')
  let result
  try {
    result = await esbuild.build({
      entryPoints: [driver],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      external: ['wasm-fabric', 'wasm-fabric/*'],
      // CommonJS dependencies bundled into an ES module still call require().
      banner: { js: "import { createRequire as __fabricRequire } from 'node:module'; const require = __fabricRequire(import.meta.url);" },
      logLevel: 'silent'
    })
  } catch (err) {
    const errors = (err as { errors?: Array<{ text: string, location?: { file: string, line: number, column: number } | null }> }).errors ?? []
    const first = errors[0]
    const where = first?.location == null ? '' : `${first.location.file}:${first.location.line}:${first.location.column}: `
    throw new UploadError(`cannot bundle ${driver}: ${first === undefined ? (err as Error).message : where + first.text}${errors.length > 1 ? ` (and ${errors.length - 1} more errors)` : ''}`)
  }
  return result.outputFiles[0]!.contents
}

/** Relative POSIX paths of the regular files under `root`, sorted. */
function walk (root: string): string[] {
  const out: string[] = []
  const visit = (dir: string, prefix: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = prefix === '' ? e.name : `${prefix}/${e.name}`
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name)) visit(path.join(dir, e.name), rel)
      } else if (e.isFile()) {
        if (out.length >= MAX_JOB_FILES) throw new UploadError(`${root} has over ${MAX_JOB_FILES} files: submit a smaller --working-dir`)
        try {
          out.push(checkJobPath(rel))
        } catch (err) {
          throw new UploadError(`${root}: cannot send ${rel}: ${(err as Error).message}`)
        }
      }
    }
  }
  visit(root, '')
  return out
}
