// Validation in three steps, cheapest first: the preamble and section framing (microseconds), then
// one walk over the whole binary (inspect.ts: core modules validated, names checked, types of
// imports and exports evaluated; ~10 ms for a 2 MB QuickJS guest, only when the component is not
// in the cache), then the fabric's rules: which interfaces it may import and must export (pure,
// re-run on every load so a rule change also applies to cached components), and their types
// against the fabric's WIT (fabric-signatures.ts).
import { ALLOWED_IMPORTS, FABRIC_WIT_PACKAGE, FABRIC_WIT_VERSION, FABRIC_WORLD, type ComponentWorld } from './interface.js'
import { BinaryEndError, COMPONENT_VERSION, readPreamble, readSections } from './binary.js'
import { renderExtern, resourceNames, type Extern, type TypeBudget } from './component-types.js'
import { InvalidComponentError } from './errors.js'
import { FABRIC_SIGNATURES } from './fabric-signatures.js'
import { inspectComponent, type ComponentInspection, type InspectLimits } from './inspect.js'

const BUILD_HINT = `build it with \`fabric build\`, or for world ${FABRIC_WIT_PACKAGE}/${FABRIC_WORLD}@${FABRIC_WIT_VERSION} (wit/fabric.wit) with another component toolchain`

/**
 * Check that `bytes` look like a complete component binary: WebAssembly magic, the component
 * encoding and top-level sections that fit the bytes. Does not decode the contents.
 *
 * @throws {InvalidComponentError} reason `empty`, `not-wasm`, `core-module`, `unsupported-encoding`
 *   or `truncated`.
 */
export function checkComponentHeader (bytes: Uint8Array): void {
  if (bytes.length === 0) {
    throw new InvalidComponentError('the component is empty (0 bytes): check the path, or rebuild it with `fabric build`', { reason: 'empty' })
  }
  let preamble
  try {
    preamble = readPreamble(bytes)
  } catch (err) {
    throw truncated((err as Error).message, err)
  }
  if (preamble === undefined) {
    const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ')
    throw new InvalidComponentError(
      `not a WebAssembly binary: it starts with bytes ${head}, not the magic 00 61 73 6d (\\0asm); pass the .wasm file that \`fabric build\` wrote`,
      { reason: 'not-wasm' }
    )
  }
  if (preamble.kind === 'core-module') {
    throw new InvalidComponentError(
      'this is a core WebAssembly module, not a component: build it with `fabric build` or wrap it with `jco new`',
      { reason: 'core-module' }
    )
  }
  if (preamble.kind === 'unknown-layer' || preamble.version !== COMPONENT_VERSION) {
    const what = preamble.kind === 'unknown-layer' ? `layer ${preamble.layer}, version 0x${preamble.version.toString(16)}` : `component encoding version 0x${preamble.version.toString(16)}`
    throw new InvalidComponentError(
      `unsupported WebAssembly binary (${what}); the fabric reads components of encoding version 0x${COMPONENT_VERSION.toString(16)}: rebuild it with a current toolchain`,
      { reason: 'unsupported-encoding' }
    )
  }
  try {
    readSections(bytes)
  } catch (err) {
    if (err instanceof BinaryEndError || err instanceof RangeError) throw truncated(err.message, err)
    throw err
  }
}

function truncated (detail: string, cause: unknown): InvalidComponentError {
  return new InvalidComponentError(
    `the component is truncated or damaged (${detail}): the file was probably cut short by an interrupted download or copy; fetch or build it again`,
    { reason: 'truncated', cause }
  )
}

interface QualifiedName { namespace: string, pkg: string, iface: string, version?: string }

function parseQualified (name: string): QualifiedName | undefined {
  const m = /^([a-z][a-z0-9-]*):([a-z][a-z0-9-]*(?::[a-z][a-z0-9-]*)*)\/([^@]+)(?:@(.+))?$/.exec(name)
  if (m === null) return undefined
  return { namespace: m[1], pkg: m[2], iface: m[3], version: m[4] }
}

/** For 0.x packages every minor is breaking (semver); from 1.0 on, the major. Patches always mix. */
function versionCompatible (version: string | undefined): boolean {
  if (version === undefined) return false
  const [hostMajor, hostMinor] = FABRIC_WIT_VERSION.split('.')
  const [major, minor] = version.split(/[.+-]/)
  if (major !== hostMajor) return false
  return hostMajor !== '0' || minor === hostMinor
}

const FABRIC_PREFIX = `${FABRIC_WIT_PACKAGE}/`
const GUEST_EXPORT = `${FABRIC_WIT_PACKAGE}/guest@${FABRIC_WIT_VERSION}`

function listNames (names: string[], max = 8): string {
  if (names.length === 0) return 'nothing'
  const shown = names.slice(0, max).join(', ')
  return names.length > max ? `${shown} and ${names.length - max} more` : shown
}

/**
 * Apply the fabric's rules to a component's world: it must export `fabric:core/guest` at a
 * compatible version and import nothing but the `fabric:core` interfaces the host serves. Other
 * exports (QuickJS components export `init`) are allowed: the host never calls them.
 *
 * @throws {InvalidComponentError} reason `wrong-world`, `incompatible-version` or `forbidden-import`.
 */
export function checkComponentWorld (world: ComponentWorld): void {
  const guestExports = world.exports.filter((e) => e.startsWith(`${FABRIC_PREFIX}guest@`) || e === `${FABRIC_PREFIX}guest`)
  if (guestExports.length === 0) {
    const packages = new Set<string>()
    for (const name of [...world.exports, ...world.imports]) {
      const q = parseQualified(name)
      if (q !== undefined && `${q.namespace}:${q.pkg}` !== FABRIC_WIT_PACKAGE) packages.add(`${q.namespace}:${q.pkg}`)
    }
    const target = packages.size > 0
      ? `it targets a world of ${listNames([...packages])}`
      : 'it targets a world of its own'
    throw new InvalidComponentError(
      `the component does not export ${GUEST_EXPORT}, so the fabric cannot call it: it exports ${listNames(world.exports)} ` +
      `and imports ${listNames(world.imports)}; ${target}. ${capitalize(BUILD_HINT)}`,
      { reason: 'wrong-world' }
    )
  }
  if (!guestExports.some((e) => versionCompatible(parseQualified(e)?.version))) {
    throw incompatible(guestExports)
  }

  const forbidden = world.imports.filter((name) => {
    const q = parseQualified(name)
    return q === undefined || !name.startsWith(FABRIC_PREFIX) || !(ALLOWED_IMPORTS as readonly string[]).includes(q.iface)
  })
  if (forbidden.length > 0) {
    const grants = ALLOWED_IMPORTS.map((i) => `${FABRIC_PREFIX}${i}`).join(', ')
    const kinds = describeForbidden(forbidden)
    throw new InvalidComponentError(
      `the component imports ${listNames(forbidden)}, which the fabric does not grant: ${kinds}. ` +
      `A guest may import only ${grants}. Rebuild it with WASI stubbed (\`fabric build\` does this; componentize-qjs: stubWasi: true) ` +
      'and pass data in arguments or through fabric:core/objects',
      { reason: 'forbidden-import' }
    )
  }
  const wrongVersion = world.imports.filter((name) => !versionCompatible(parseQualified(name)?.version))
  if (wrongVersion.length > 0) throw incompatible(wrongVersion)
}

function incompatible (names: string[]): InvalidComponentError {
  return new InvalidComponentError(
    `the component was built against ${listNames(names)}, but this host serves ${FABRIC_WIT_PACKAGE}@${FABRIC_WIT_VERSION} ` +
    `(compatible: ${compatibleRange()}): rebuild it against this fabric's wit/fabric.wit, or run it on a fabric of that version`,
    { reason: 'incompatible-version' }
  )
}

function compatibleRange (): string {
  const [major, minor] = FABRIC_WIT_VERSION.split('.')
  return major === '0' ? `${major}.${minor}.x` : `${major}.x`
}

function describeForbidden (names: string[]): string {
  const denied = new Set<string>()
  for (const name of names) {
    const q = parseQualified(name)
    if (q === undefined) denied.add('host functions outside any interface')
    else if (q.pkg === 'filesystem') denied.add('no filesystem access')
    else if (q.pkg === 'sockets' || q.pkg === 'http') denied.add('no network (socket) access')
    else if (q.namespace === 'wasi') denied.add(`no WASI ${q.pkg} access`)
    else denied.add(`no ${q.namespace}:${q.pkg} interfaces`)
  }
  return [...denied].join(', ')
}

function capitalize (s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}

/** The names of a component's imports and exports, in the order the binary gives them. */
export function worldOf (inspection: Pick<ComponentInspection, 'imports' | 'exports'>): ComponentWorld {
  return { imports: [...inspection.imports.keys()], exports: [...inspection.exports.keys()] }
}

const GUEST_EXPORT_UNVERSIONED = `${FABRIC_PREFIX}guest`

/** Most characters of a type shown in an error message (a hostile one may be huge). */
const SHOWN_TYPE_CHARS = 300

/**
 * Check the types of a component's fabric:core imports and of its fabric:core/guest export against
 * the fabric's WIT: an imported interface may leave items out (the host serves them all), but every
 * item it names must have exactly the fabric's type; the guest export must have all its items and
 * nothing else. Run after {@link checkComponentWorld}, which has checked the names.
 *
 * @throws {InvalidComponentError} reason `signature-mismatch`, naming the interface, the item, and
 *   the expected and found types.
 */
export function checkComponentSignatures (inspection: ComponentInspection): void {
  for (const [name, e] of inspection.imports) checkInterface(name, e, 'import', inspection.budget)
  // Other exports (QuickJS guests export `init`) are never called by the host: only names matter.
  for (const [name, e] of inspection.exports) {
    if (name === GUEST_EXPORT_UNVERSIONED || name.startsWith(`${GUEST_EXPORT_UNVERSIONED}@`)) checkInterface(name, e, 'export', inspection.budget)
  }
}

function checkInterface (name: string, e: Extern, direction: 'import' | 'export', budget: TypeBudget): void {
  if (!name.startsWith(FABRIC_PREFIX)) return // checkComponentWorld refuses foreign imports
  const iface = name.slice(FABRIC_PREFIX.length).replace(/@.*$/, '')
  const expected = Object.hasOwn(FABRIC_SIGNATURES, iface) ? FABRIC_SIGNATURES[iface] : undefined
  const fix = `rebuild it against this fabric's wit/fabric.wit (${FABRIC_WIT_PACKAGE}@${FABRIC_WIT_VERSION}) with \`fabric build\``
  if (expected === undefined) return // checkComponentWorld refuses interfaces the fabric does not have
  if (e.sort !== 'instance') {
    throw mismatch(`the component ${direction}s ${name} as a ${e.sort === 'module' ? 'core module' : e.sort}, but it is an interface (an instance): ${fix}`)
  }
  const names = resourceNames(e.type)
  for (const [item, x] of e.type.exports) {
    const accepted = Object.hasOwn(expected, item) ? expected[item] : undefined
    if (accepted === undefined) {
      const has = Object.keys(expected)
      throw mismatch(
        `the component ${direction}s ${name} with an item \`${item}\` that the fabric's ${FABRIC_PREFIX}${iface} does not have ` +
        `(it has ${has.slice(0, 12).join(', ')}${has.length > 12 ? ', ...' : ''}): ${fix}`
      )
    }
    const found = renderExtern(x, names, budget)
    if (!accepted.includes(found)) {
      const earlier = accepted.length > 1 ? ` (or one of ${accepted.length - 1} earlier shape${accepted.length > 2 ? 's' : ''} this host still runs)` : ''
      throw mismatch(
        `the component ${direction}s ${name} with \`${item}\` of another type than the fabric's WIT gives it: ` +
        `expected ${shorten(accepted[0]!)}${earlier}, found ${shorten(found)}; ${fix}`
      )
    }
  }
  if (direction === 'export') {
    const missing = Object.keys(expected).filter((item) => !e.type.exports.has(item))
    if (missing.length > 0) {
      throw mismatch(`the component exports ${name} without ${missing.map((m) => `\`${m}\``).join(', ')}, which the fabric calls: ${fix}`)
    }
  }
}

function shorten (type: string): string {
  return type.length > SHOWN_TYPE_CHARS ? `${type.slice(0, SHOWN_TYPE_CHARS)}... (${type.length} chars)` : type
}

function mismatch (message: string): InvalidComponentError {
  return new InvalidComponentError(message, { reason: 'signature-mismatch' })
}

/**
 * Validate a component fully and synchronously: header, the walk (core modules, names, types),
 * the rules on its world, its signatures. {@link loadComponent} calls this for components not in
 * its cache.
 *
 * @returns the component's world.
 * @throws {InvalidComponentError} with a `reason` naming what is wrong.
 */
export function validateComponentSync (bytes: Uint8Array, limits: InspectLimits = {}): ComponentWorld {
  checkComponentHeader(bytes)
  const inspection = inspectComponent(bytes, limits)
  const world = worldOf(inspection)
  checkComponentWorld(world)
  checkComponentSignatures(inspection)
  return world
}

/**
 * Validate a component without running it (the same checks as {@link loadComponent} makes).
 *
 * @returns the component's world.
 * @throws {InvalidComponentError} with a `reason` naming what is wrong.
 * @example
 * const world = await validateComponent(await readFile('hello.wasm'))
 * world.exports // ['init', 'fabric:core/guest@0.1.0']
 */
export async function validateComponent (bytes: Uint8Array, limits: InspectLimits = {}): Promise<ComponentWorld> {
  return validateComponentSync(bytes, limits)
}
