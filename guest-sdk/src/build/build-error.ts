// BuildError: a failed `fabric build`, with the user's source locations in the message.
import path from 'node:path'

/** One problem found while building, located in the user's source where possible. */
export interface BuildDiagnostic {
  file?: string
  line?: number
  column?: number
  message: string
}

/** Thrown when `fabric build` cannot produce a component; `diagnostics` point at the user's source. */
export class BuildError extends Error {
  override name = 'BuildError'
  readonly diagnostics: BuildDiagnostic[]

  constructor (summary: string, diagnostics: BuildDiagnostic[] = []) {
    super(diagnostics.length === 0 ? summary : `${summary}\n${diagnostics.map(formatDiagnostic).join('\n')}`)
    this.diagnostics = diagnostics
  }
}

export function formatDiagnostic (d: BuildDiagnostic): string {
  const where = d.file === undefined ? '' : `${d.file}${d.line === undefined ? '' : `:${d.line}${d.column === undefined ? '' : `:${d.column}`}`}: `
  return `  ${where}${d.message}`
}

/** How paths appear in messages: relative to the working directory when inside it. */
export function displayPath (file: string, cwd = process.cwd()): string {
  const rel = path.relative(cwd, file)
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file
}
