// One linear walk over a component binary before anything else reads it: every core module (nested
// components' too) validated by V8, every name checked, and the types of the component's imports
// and exports evaluated, so that validate.ts can compare them with the fabric's world. Bounded:
// size, section, module, nesting and type-evaluation limits (constants.ts); each byte is read once,
// except the core modules, which V8 validates once each. Over 500 lines: the walk is one reader over
// one binary (sections, nested components, the type evaluator share its cursor and limits); split, each
// part would re-read what the others know.
//
// Names matter beyond tidiness: jco writes core-module import and export names into the JavaScript
// glue it generates, unescaped (jco-transpile 0.15: an export named `x'];code;//` runs `code` when
// the component is instantiated). So core names are held to a small alphabet here, and component
// names to the component model's grammar, before the transpiler ever sees them.
import { BinaryEndError, COMPONENT_VERSION, CORE_MODULE_VERSION, Reader, readPreamble } from './binary.js'
import {
  TypeBudget, isValType, substituteExterns,
  type ComponentType, type Extern, type FuncType, type InstanceType, type PrimitiveName, type ResourceType, type TypeDef, type ValType
} from './component-types.js'
import {
  MAX_COMPONENT_BYTES, MAX_COMPONENT_DEPTH, MAX_COMPONENT_SECTIONS, MAX_CORE_MODULES, MAX_NAME_BYTES, MAX_TYPE_STEPS
} from './constants.js'
import { InvalidComponentError } from './errors.js'
import './v8-features.js'

/** Limits of one inspection (defaults in constants.ts). */
export interface InspectLimits {
  /** @default MAX_COMPONENT_BYTES (64 MiB) */
  maxBytes?: number
  /** @default MAX_COMPONENT_DEPTH (16) */
  maxDepth?: number
  /** @default MAX_COMPONENT_SECTIONS (100,000) */
  maxSections?: number
  /** @default MAX_CORE_MODULES (1,000) */
  maxCoreModules?: number
  /** @default MAX_TYPE_STEPS (1,000,000) */
  maxTypeSteps?: number
}

/** What the walk learned. */
export interface ComponentInspection {
  /** The top-level imports and exports, in binary order, with their types. */
  imports: Map<string, Extern>
  exports: Map<string, Extern>
  /** Core modules validated, nested components' included. */
  coreModules: number
  /** Sections read, nested components' included. */
  sections: number
  /** Type-evaluation steps left for the caller's comparisons (the same budget). */
  budget: TypeBudget
}

const HINT = 'rebuild it with `fabric build`'
// Largest invalid core module compiled to learn why it is invalid (~10 ms per 1.3 MB).
const EXPLAIN_MAX_BYTES = 4 * 1024 * 1024

// Section ids of the component binary format (design/mvp/Binary.md, encoding 0x0d).
const Section = { Custom: 0, CoreModule: 1, CoreInstance: 2, CoreType: 3, Component: 4, Instance: 5, Alias: 6, Type: 7, Canon: 8, Start: 9, Import: 10, Export: 11, Value: 12 } as const

const PRIMITIVES: Record<number, PrimitiveName> = {
  0x7f: 'bool', 0x7e: 's8', 0x7d: 'u8', 0x7c: 's16', 0x7b: 'u16', 0x7a: 's32', 0x79: 'u32', 0x78: 's64', 0x77: 'u64', 0x76: 'f32', 0x75: 'f64', 0x74: 'char', 0x73: 'string'
}
const PRIMITIVE_TYPES: Record<string, ValType> = Object.fromEntries(Object.values(PRIMITIVES).map((name) => [name, { kind: 'primitive', name }]))

/** Type opcodes of features the fabric's transpiler and Node 20 cannot run, by what they are. */
const UNSUPPORTED_TYPES: Record<number, string> = {
  0x64: 'error-context (async)', 0x67: 'fixed-length lists', 0x6c: 'unions (a pre-release encoding)', 0x66: 'streams (async)', 0x65: 'futures (async)', 0x63: 'maps', 0x43: 'async functions'
}

// A label: words of lower-case or upper-case letters and digits, joined by '-' (`task-error`).
const LABEL = String.raw`[a-z][a-z0-9]*(?:-(?:[a-z][a-z0-9]*|[0-9]+|[A-Z][A-Z0-9]*))*|[A-Z][A-Z0-9]*(?:-(?:[a-z][a-z0-9]*|[0-9]+|[A-Z][A-Z0-9]*))*`
const LABEL_RE = new RegExp(`^(?:${LABEL})$`)
const SEMVER = String.raw`(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?`
// An import or export name: a plain label, a resource function, or an interface (`ns:pkg/iface@1.2.3`).
const EXTERN_NAME_RE = new RegExp(
  `^(?:(?:${LABEL})|\\[(?:constructor)\\](?:${LABEL})|\\[(?:method|static)\\](?:${LABEL})\\.(?:${LABEL})|` +
  `(?:(?:${LABEL}):)+(?:${LABEL})(?:/(?:${LABEL}))+(?:@${SEMVER})?)$`
)
// Core names as toolchains write them (`cabi_post_fabric:core/guest@0.1.0#call`, `[export]$root`,
// `__main_module__`): nothing that can end a JavaScript string, comment or template.
const CORE_NAME_RE = /^[A-Za-z0-9_.:/@#$|\-[\]<>=+,% ]*$/

interface Counters {
  sections: number
  coreModules: number
  limits: Required<InspectLimits>
  budget: TypeBudget
}

/** The index spaces of one scope: a component, or a component or instance type being declared. */
class Scope {
  readonly types: TypeDef[] = []
  readonly funcs: FuncType[] = []
  readonly instances: InstanceType[] = []
  readonly components: ComponentType[] = []
  readonly imports = new Map<string, Extern>()
  readonly exports = new Map<string, Extern>()
  readonly depth: number

  constructor (readonly parent: Scope | undefined, readonly where: string) {
    this.depth = parent === undefined ? 0 : parent.depth + 1
  }
}

/**
 * Walk a component binary: validate its core modules, check its names, evaluate the types of its
 * imports and exports. Synchronous and linear in the size of the bytes.
 *
 * @throws {InvalidComponentError} reasons `too-large`, `truncated`, `malformed`, `invalid-core-module`,
 *   `bad-name` or `unsupported-feature`, each message naming where in the component the problem is.
 * @example
 * const { imports, exports } = inspectComponent(bytes)
 * exports.get('fabric:core/guest@0.1.0')?.sort // 'instance'
 */
export function inspectComponent (bytes: Uint8Array, limits: InspectLimits = {}): ComponentInspection {
  const l: Required<InspectLimits> = {
    maxBytes: limits.maxBytes ?? MAX_COMPONENT_BYTES,
    maxDepth: limits.maxDepth ?? MAX_COMPONENT_DEPTH,
    maxSections: limits.maxSections ?? MAX_COMPONENT_SECTIONS,
    maxCoreModules: limits.maxCoreModules ?? MAX_CORE_MODULES,
    maxTypeSteps: limits.maxTypeSteps ?? MAX_TYPE_STEPS
  }
  if (bytes.length > l.maxBytes) {
    throw tooLarge(`the component is ${mib(bytes.length)} MiB, over the limit of ${mib(l.maxBytes)} MiB`)
  }
  const counters: Counters = { sections: 0, coreModules: 0, limits: l, budget: new TypeBudget(l.maxTypeSteps, l.maxTypeSteps) }
  const root = new Scope(undefined, 'the component')
  walk(new Reader(bytes, 0), bytes.length, root, counters)
  return { imports: root.imports, exports: root.exports, coreModules: counters.coreModules, sections: counters.sections, budget: counters.budget }
}

/** Walk the component whose preamble starts at `r.offset` and whose bytes end at `end`. */
function walk (r: Reader, end: number, scope: Scope, c: Counters): ComponentType {
  const at = r.offset
  try {
    const preamble = readPreamble(r.bytes.subarray(at, end))
    if (preamble?.kind !== 'component' || preamble.version !== COMPONENT_VERSION) {
      throw malformed(scope, at, 'a nested component without a component preamble of encoding 0x0d')
    }
  } catch (err) {
    if (err instanceof BinaryEndError) throw truncated(scope, at, err.message)
    throw err
  }
  r.offset = at + 8
  while (r.offset < end) {
    const start = r.offset
    let id: number
    let sectionEnd: number
    try {
      id = r.byte()
      const size = r.u32()
      sectionEnd = r.offset + size
    } catch (err) {
      throw decodeError(scope, start, err)
    }
    if (sectionEnd > end) throw truncated(scope, start, `section ${id} declares ${sectionEnd - r.offset} bytes but only ${end - r.offset} remain`)
    if (++c.sections > c.limits.maxSections) throw tooLarge(`the component has more than ${c.limits.maxSections} sections`)
    const section = new Reader(r.bytes.subarray(0, sectionEnd), r.offset)
    try {
      readSection(id, section, sectionEnd, scope, c)
    } catch (err) {
      throw decodeError(scope, start, err)
    }
    if (section.offset !== sectionEnd) throw malformed(scope, start, `section ${id} has ${sectionEnd - section.offset} bytes after its contents`)
    r.offset = sectionEnd
  }
  return { kind: 'component', imports: scope.imports, exports: scope.exports }
}

function readSection (id: number, r: Reader, end: number, scope: Scope, c: Counters): void {
  switch (id) {
    case Section.Custom:
    case Section.CoreType:
      // Custom sections carry names and producers; core types only type core imports, which a
      // component's own modules are checked for directly. Neither reaches the glue.
      r.offset = end
      return
    case Section.CoreModule: {
      if (++c.coreModules > c.limits.maxCoreModules) throw tooLarge(`the component has more than ${c.limits.maxCoreModules} core modules`)
      checkCoreModule(r.bytes.subarray(r.offset, end), r.offset, scope, c.coreModules - 1)
      r.offset = end
      return
    }
    case Section.Component: {
      const inner = new Scope(scope, `nested component ${scope.components.length} of ${scope.where}`)
      checkDepth(inner, c)
      scope.components.push(walk(r, end, inner, c))
      return
    }
    case Section.CoreInstance: return vec(r, () => readCoreInstance(r))
    case Section.Instance: return vec(r, () => { scope.instances.push(readInstance(r, scope, c)) })
    case Section.Alias: return vec(r, () => readAlias(r, scope))
    case Section.Type: return vec(r, () => { scope.types.push(readDefType(r, scope, c)) })
    case Section.Canon: return vec(r, () => readCanon(r, scope))
    case Section.Import: return vec(r, () => {
      const name = readExternName(r)
      declare(scope, scope.imports, name, readExternType(r, scope, name), 'import')
    })
    case Section.Export: return vec(r, () => readExport(r, scope))
    case Section.Start:
    case Section.Value:
      throw unsupported(`${id === Section.Start ? 'a start function' : 'value definitions'} (a component-model feature no host runs yet)`)
    default:
      throw new Malformed(`unknown section id ${id}`)
  }
}

/** A structural problem, turned into an InvalidComponentError naming the scope and offset by `walk`. */
class Malformed extends Error {}

function vec (r: Reader, item: () => void): void {
  const n = r.u32()
  // Every item takes at least one byte: a count larger than the bytes left is a lie.
  if (n > r.bytes.length - r.offset) throw new BinaryEndError(`a vector of ${n} items with ${r.bytes.length - r.offset} bytes left`)
  for (let i = 0; i < n; i++) item()
}

function checkDepth (scope: Scope, c: Counters): void {
  if (scope.depth > c.limits.maxDepth) throw tooLarge(`components and types are nested more than ${c.limits.maxDepth} deep`)
}

// ---- core modules ------------------------------------------------------------------------------

function checkCoreModule (module: Uint8Array, offset: number, scope: Scope, index: number): void {
  const label = `core module ${index} (in ${scope.where}, at offset 0x${offset.toString(16)})`
  const preamble = (() => { try { return readPreamble(module) } catch { return undefined } })()
  if (preamble?.kind !== 'core-module' || preamble.version !== CORE_MODULE_VERSION) {
    throw new InvalidComponentError(`${label} is not a WebAssembly core module of version 1: the component is damaged; ${HINT}`, { reason: 'invalid-core-module' })
  }
  if (!WebAssembly.validate(module as Uint8Array<ArrayBuffer>)) {
    // Only on failure, and only for modules small enough to compile quickly on this thread:
    // compiling says what is wrong and where ("Compiling function #12 failed: ...").
    let why = 'WebAssembly.validate refused it'
    if (module.length <= EXPLAIN_MAX_BYTES) {
      try {
        void new WebAssembly.Module(module as Uint8Array<ArrayBuffer>)
      } catch (err) {
        why = (err as Error).message.replace(/^WebAssembly\.Module\(\): /, '')
      }
    }
    throw new InvalidComponentError(
      `${label} is not valid WebAssembly (${why}): the component is damaged or was built for features this host's V8 ` +
      `(Node ${process.versions.node}) lacks; fetch it again or ${HINT}`,
      { reason: 'invalid-core-module' }
    )
  }
  try {
    checkCoreNames(module)
  } catch (err) {
    if (err instanceof InvalidComponentError) {
      err.message = `${label}: ${err.message}`
      throw err
    }
    throw new InvalidComponentError(`${label} is malformed (${(err as Error).message}): ${HINT}`, { reason: 'malformed', cause: err })
  }
}

/** The import and export names of a (valid) core module. */
function checkCoreNames (module: Uint8Array): void {
  const r = new Reader(module, 8)
  while (!r.done) {
    const id = r.byte()
    const size = r.u32()
    const end = r.offset + size
    if (id === 2) {
      const s = new Reader(module.subarray(0, end), r.offset)
      vec(s, () => {
        coreName(s, 'import module')
        coreName(s, 'import')
        skipImportDesc(s)
      })
    } else if (id === 7) {
      const s = new Reader(module.subarray(0, end), r.offset)
      vec(s, () => {
        coreName(s, 'export')
        s.byte()
        s.u32()
      })
    }
    r.offset = end
  }
}

function skipImportDesc (r: Reader): void {
  const kind = r.byte()
  switch (kind) {
    case 0x00: r.u32(); return // function: type index
    case 0x01: skipRefType(r); skipLimits(r); return // table
    case 0x02: skipLimits(r); return // memory
    case 0x03: skipValType(r); r.byte(); return // global: type, mutability
    case 0x04: r.byte(); r.u32(); return // tag: attribute, type index
    default: throw new RangeError(`unknown core import kind 0x${kind.toString(16)}`)
  }
}

function skipLimits (r: Reader): void {
  const flags = r.byte()
  r.skipSigned(64)
  if ((flags & 0x01) !== 0) r.skipSigned(64)
  if ((flags & 0x08) !== 0) r.u32() // custom page size
}

function skipValType (r: Reader): void {
  const b = r.byte()
  if (b === 0x63 || b === 0x64) r.skipSigned(33) // (ref null? heaptype)
}

function skipRefType (r: Reader): void {
  skipValType(r)
}

function coreName (r: Reader, what: string): string {
  const name = r.name(MAX_NAME_BYTES)
  if (!CORE_NAME_RE.test(name)) {
    throw new InvalidComponentError(
      `the core ${what} name ${JSON.stringify(name)} has characters the fabric refuses (quotes, backslashes, braces, ` +
      `backticks, line breaks or non-ASCII): toolchains never write them, and jco copies core names into generated JavaScript unescaped. ${capitalize(HINT)}`,
      { reason: 'bad-name' }
    )
  }
  return name
}

function readCoreInstance (r: Reader): void {
  const kind = r.byte()
  if (kind === 0x00) {
    r.u32() // module index
    vec(r, () => {
      coreName(r, 'instantiation argument')
      const sort = r.byte()
      if (sort !== 0x12) throw new Malformed(`a core instantiation argument of sort 0x${sort.toString(16)}, not an instance`)
      r.u32()
    })
  } else if (kind === 0x01) {
    vec(r, () => {
      coreName(r, 'instance export')
      r.byte()
      r.u32()
    })
  } else {
    throw new Malformed(`unknown core instance kind 0x${kind.toString(16)}`)
  }
}

// ---- names -------------------------------------------------------------------------------------

/** `nameattributes`: 0x00/0x01 and a name; 0x02 adds attributes (implements, version suffix, id). */
function readExternName (r: Reader): string {
  const form = r.byte()
  if (form > 0x02) throw new Malformed(`unknown import/export name form 0x${form.toString(16)}`)
  const name = externName(r.name(MAX_NAME_BYTES))
  if (form === 0x02) {
    vec(r, () => {
      const kind = r.byte()
      if (kind > 0x02) throw new Malformed(`unknown name attribute 0x${kind.toString(16)}`)
      r.name(MAX_NAME_BYTES)
    })
  }
  return name
}

function externName (name: string): string {
  if (!EXTERN_NAME_RE.test(name)) {
    throw new InvalidComponentError(
      `the import or export name ${JSON.stringify(name)} is not a component-model name (a kebab-case label such as \`run-task\`, ` +
      `\`[method]actor.invoke\`, or an interface such as \`fabric:core/log@0.1.0\`). ${capitalize(HINT)}`,
      { reason: 'bad-name' }
    )
  }
  return name
}

function label (r: Reader): string {
  const name = r.name(MAX_NAME_BYTES)
  if (!LABEL_RE.test(name)) {
    throw new InvalidComponentError(
      `the field, case or parameter name ${JSON.stringify(name)} is not a kebab-case label (words of letters and digits joined by '-'). ${capitalize(HINT)}`,
      { reason: 'bad-name' }
    )
  }
  return name
}

// ---- types -------------------------------------------------------------------------------------

function typeAt (scope: Scope, index: number): TypeDef {
  const t = scope.types[index]
  if (t === undefined) throw new Malformed(`type index ${index} is out of range (${scope.types.length} types defined)`)
  return t
}

function readValType (r: Reader, scope: Scope): ValType {
  const b = r.peek()
  if ((b & 0xc0) === 0x40) {
    // A one-byte negative SLEB128: a type code, not an index.
    r.byte()
    const name = PRIMITIVES[b]
    if (name !== undefined) return PRIMITIVE_TYPES[name]!
    if (UNSUPPORTED_TYPES[b] !== undefined) throw unsupported(UNSUPPORTED_TYPES[b])
    throw new Malformed(`unknown value type 0x${b.toString(16)}`)
  }
  const index = r.u32()
  const t = typeAt(scope, index)
  if (!isValType(t)) throw new Malformed(`type ${index} is a ${t.kind}, used where a value type belongs`)
  return t
}

function optional<T> (r: Reader, read: () => T): T | undefined {
  const flag = r.byte()
  if (flag === 0x00) return undefined
  if (flag === 0x01) return read()
  throw new Malformed(`an optional marked 0x${flag.toString(16)}`)
}

function resourceAt (scope: Scope, r: Reader): ResourceType {
  const index = r.u32()
  const t = typeAt(scope, index)
  if (t.kind !== 'resource') throw new Malformed(`a handle to type ${index}, a ${t.kind}, not a resource`)
  return t
}

function readDefType (r: Reader, scope: Scope, c: Counters): TypeDef {
  c.budget.spend()
  const b = r.peek()
  if (PRIMITIVES[b] !== undefined) return readValType(r, scope)
  r.byte()
  switch (b) {
    case 0x72: {
      const fields: Array<[string, ValType]> = []
      vec(r, () => { fields.push([label(r), readValType(r, scope)]) })
      return { kind: 'record', fields }
    }
    case 0x71: {
      const cases: Array<[string, ValType | undefined]> = []
      vec(r, () => {
        cases.push([label(r), optional(r, () => readValType(r, scope))])
        // `refines`, a pre-release field, must be absent.
        if (r.byte() !== 0x00) throw unsupported('variant cases that refine others (a pre-release encoding)')
      })
      return { kind: 'variant', cases }
    }
    case 0x70: return { kind: 'list', element: readValType(r, scope) }
    case 0x6f: {
      const types: ValType[] = []
      vec(r, () => { types.push(readValType(r, scope)) })
      return { kind: 'tuple', types }
    }
    case 0x6e:
    case 0x6d: {
      const names: string[] = []
      vec(r, () => { names.push(label(r)) })
      return b === 0x6e ? { kind: 'flags', names } : { kind: 'enum', names }
    }
    case 0x6b: return { kind: 'option', type: readValType(r, scope) }
    case 0x6a: {
      const ok = optional(r, () => readValType(r, scope))
      const err = optional(r, () => readValType(r, scope))
      return { kind: 'result', ok, err }
    }
    case 0x69: return { kind: 'own', resource: resourceAt(scope, r) }
    case 0x68: return { kind: 'borrow', resource: resourceAt(scope, r) }
    case 0x3f: {
      const rep = r.byte()
      if (rep !== 0x7f) throw new Malformed(`a resource represented by core type 0x${rep.toString(16)}, not i32`)
      optional(r, () => r.u32()) // destructor
      return { kind: 'resource' }
    }
    case 0x40: {
      const params: Array<[string, ValType]> = []
      vec(r, () => { params.push([label(r), readValType(r, scope)]) })
      const form = r.byte()
      let result: ValType | undefined
      if (form === 0x00) result = readValType(r, scope)
      else if (form !== 0x01 || r.byte() !== 0x00) throw unsupported('functions with named results (a pre-release encoding)')
      return { kind: 'func', params, result }
    }
    case 0x41:
    case 0x42: {
      const inner = new Scope(scope, `a ${b === 0x41 ? 'component' : 'instance'} type in ${scope.where}`)
      checkDepth(inner, c)
      vec(r, () => readDecl(r, inner, c, b === 0x41))
      return b === 0x41
        ? { kind: 'component', imports: inner.imports, exports: inner.exports }
        : { kind: 'instance', exports: inner.exports }
    }
    default:
      if (UNSUPPORTED_TYPES[b] !== undefined) throw unsupported(UNSUPPORTED_TYPES[b])
      throw new Malformed(`unknown type form 0x${b.toString(16)}`)
  }
}

/** A declaration inside a component type (imports allowed) or an instance type. */
function readDecl (r: Reader, scope: Scope, c: Counters, component: boolean): void {
  const kind = r.byte()
  switch (kind) {
    case 0x00: throw unsupported('core types declared inside component or instance types')
    case 0x01: scope.types.push(readDefType(r, scope, c)); return
    case 0x02: readAlias(r, scope); return
    case 0x03: {
      if (!component) throw new Malformed('an import declared inside an instance type')
      const name = readExternName(r)
      declare(scope, scope.imports, name, readExternType(r, scope, name), 'import')
      return
    }
    case 0x04: {
      const name = readExternName(r)
      declare(scope, scope.exports, name, readExternType(r, scope, name), 'export')
      return
    }
    default: throw new Malformed(`unknown declaration kind 0x${kind.toString(16)}`)
  }
}

function readExternType (r: Reader, scope: Scope, name: string): Extern {
  const kind = r.byte()
  switch (kind) {
    case 0x00: {
      if (r.byte() !== 0x11) throw new Malformed('a core import or export that is not a module')
      r.u32()
      return { sort: 'module' }
    }
    case 0x01: {
      const t = typeAt(scope, r.u32())
      if (t.kind !== 'func') throw new Malformed(`${name} is declared a function of type ${t.kind}`)
      return { sort: 'func', type: t }
    }
    case 0x02: throw unsupported('value imports and exports')
    case 0x03: {
      const bound = r.byte()
      if (bound === 0x00) return { sort: 'type', type: typeAt(scope, r.u32()) }
      if (bound === 0x01) return { sort: 'type', type: { kind: 'resource', name } }
      throw new Malformed(`unknown type bound 0x${bound.toString(16)}`)
    }
    case 0x04: {
      const t = typeAt(scope, r.u32())
      if (t.kind !== 'component') throw new Malformed(`${name} is declared a component of type ${t.kind}`)
      return { sort: 'component', type: t }
    }
    case 0x05: {
      const t = typeAt(scope, r.u32())
      if (t.kind !== 'instance') throw new Malformed(`${name} is declared an instance of type ${t.kind}`)
      return { sort: 'instance', type: t }
    }
    default: throw new Malformed(`unknown extern kind 0x${kind.toString(16)}`)
  }
}

/** Record an import or export and give it its index (every import and export introduces one). */
function declare (scope: Scope, into: Map<string, Extern>, name: string, e: Extern, what: string): void {
  if (into.has(name)) throw new Malformed(`two ${what}s named ${name}`)
  into.set(name, e)
  push(scope, e)
  if (e.sort === 'type' && e.type.kind === 'resource' && e.type.name === undefined) e.type.name = name
}

function push (scope: Scope, e: Extern): void {
  switch (e.sort) {
    case 'func': scope.funcs.push(e.type); return
    case 'instance': scope.instances.push(e.type); return
    case 'component': scope.components.push(e.type); return
    case 'type': scope.types.push(e.type); return
    case 'module': return
  }
}

// ---- definitions -------------------------------------------------------------------------------

type Sort = 'func' | 'value' | 'type' | 'component' | 'instance' | 'core' | 'module'

function readSort (r: Reader): Sort {
  const b = r.byte()
  switch (b) {
    case 0x00: return r.byte() === 0x11 ? 'module' : 'core'
    case 0x01: return 'func'
    case 0x02: return 'value'
    case 0x03: return 'type'
    case 0x04: return 'component'
    case 0x05: return 'instance'
    default: throw new Malformed(`unknown sort 0x${b.toString(16)}`)
  }
}

/** The item `sort` `index` of `scope`, as an Extern (core items other than modules give undefined). */
function item (scope: Scope, sort: Sort, index: number): Extern | undefined {
  const get = <T>(list: T[], what: string): T => {
    const v = list[index]
    if (v === undefined) throw new Malformed(`${what} index ${index} is out of range (${list.length} defined)`)
    return v
  }
  switch (sort) {
    case 'func': return { sort: 'func', type: get(scope.funcs, 'function') }
    case 'type': return { sort: 'type', type: get(scope.types, 'type') }
    case 'component': return { sort: 'component', type: get(scope.components, 'component') }
    case 'instance': return { sort: 'instance', type: get(scope.instances, 'instance') }
    case 'module': return { sort: 'module' }
    case 'core': return undefined
    case 'value': throw unsupported('values')
  }
}

function readAlias (r: Reader, scope: Scope): void {
  const sort = readSort(r)
  const target = r.byte()
  if (target === 0x00) {
    const index = r.u32()
    const name = r.name(MAX_NAME_BYTES)
    const instance = scope.instances[index]
    if (instance === undefined) throw new Malformed(`alias of instance ${index}, which is out of range (${scope.instances.length} defined)`)
    const e = instance.exports.get(name)
    if (e === undefined || e.sort !== sort) throw new Malformed(`instance ${index} has no ${sort} export named ${name}`)
    push(scope, e)
  } else if (target === 0x01) {
    r.u32()
    coreName(r, 'alias')
  } else if (target === 0x02) {
    const count = r.u32()
    const index = r.u32()
    let outer: Scope | undefined = scope
    for (let i = 0; i < count && outer !== undefined; i++) outer = outer.parent
    if (outer === undefined) throw new Malformed(`an outer alias ${count} scopes out, beyond the outermost`)
    if (sort === 'type') scope.types.push(typeAt(outer, index))
    else if (sort === 'component') {
      const t = outer.components[index]
      if (t === undefined) throw new Malformed(`outer alias of component ${index}, which is out of range`)
      scope.components.push(t)
    } else if (sort !== 'core' && sort !== 'module') throw new Malformed(`an outer alias of a ${sort}`)
  } else {
    throw new Malformed(`unknown alias target 0x${target.toString(16)}`)
  }
}

function readCanon (r: Reader, scope: Scope): void {
  const op = r.byte()
  switch (op) {
    case 0x00: {
      if (r.byte() !== 0x00) throw new Malformed('canon lift of something other than a core function')
      r.u32()
      readCanonOptions(r)
      const t = typeAt(scope, r.u32())
      if (t.kind !== 'func') throw new Malformed(`canon lift to type ${t.kind}, not a function`)
      scope.funcs.push(t)
      return
    }
    case 0x01: {
      if (r.byte() !== 0x00) throw new Malformed('canon lower of something other than a function')
      r.u32()
      readCanonOptions(r)
      return
    }
    case 0x02:
    case 0x03:
    case 0x04:
      r.u32() // resource.new / resource.drop / resource.rep of a resource type: a core function
      return
    default:
      throw unsupported(`canonical built-in 0x${op.toString(16)} (async, threads or error contexts)`)
  }
}

function readCanonOptions (r: Reader): void {
  vec(r, () => {
    const opt = r.byte()
    if (opt <= 0x02) return // string encodings
    if (opt <= 0x05) { r.u32(); return } // memory, realloc, post-return
    throw unsupported(`canonical option 0x${opt.toString(16)} (async)`)
  })
}

function readInstance (r: Reader, scope: Scope, c: Counters): InstanceType {
  const kind = r.byte()
  if (kind === 0x01) {
    const exports = new Map<string, Extern>()
    vec(r, () => {
      const name = readExternName(r)
      const e = item(scope, readSort(r), r.u32())
      if (e === undefined) throw new Malformed(`inline export ${name} of a core item`)
      if (exports.has(name)) throw new Malformed(`two inline exports named ${name}`)
      exports.set(name, e)
    })
    return { kind: 'instance', exports }
  }
  if (kind !== 0x00) throw new Malformed(`unknown instance kind 0x${kind.toString(16)}`)
  const index = r.u32()
  const component = scope.components[index]
  if (component === undefined) throw new Malformed(`instantiation of component ${index}, which is out of range (${scope.components.length} defined)`)
  const args = new Map<string, Extern>()
  vec(r, () => {
    const name = externName(r.name(MAX_NAME_BYTES))
    const e = item(scope, readSort(r), r.u32())
    if (e === undefined) throw new Malformed(`instantiation argument ${name} is a core item`)
    args.set(name, e)
  })
  // The component's abstract resource imports become the resources passed in: its exports' types
  // are rewritten accordingly.
  const map = new Map<ResourceType, ResourceType>()
  for (const [name, imported] of component.imports) {
    const arg = args.get(name)
    if (arg !== undefined) bindResources(imported, arg, map)
  }
  return { kind: 'instance', exports: substituteExterns(component.exports, map, new Map(), c.budget) }
}

/** Pair each abstract resource of an import with the resource its argument supplies. */
function bindResources (imported: Extern, arg: Extern, map: Map<ResourceType, ResourceType>): void {
  if (imported.sort === 'type' && arg.sort === 'type') {
    if (imported.type.kind === 'resource' && arg.type.kind === 'resource' && imported.type !== arg.type) map.set(imported.type, arg.type)
  } else if (imported.sort === 'instance' && arg.sort === 'instance') {
    for (const [name, e] of imported.type.exports) {
      const supplied = arg.type.exports.get(name)
      if (supplied !== undefined) bindResources(e, supplied, map)
    }
  }
}

function readExport (r: Reader, scope: Scope): void {
  const name = readExternName(r)
  const sort = readSort(r)
  const index = r.u32()
  const e = item(scope, sort, index)
  const ascribed = optional(r, () => readExternType(r, scope, name))
  if (e === undefined) throw new Malformed(`export ${name} of a core item other than a module`)
  let out: Extern = e
  if (ascribed !== undefined) {
    if (ascribed.sort !== e.sort) throw new Malformed(`export ${name} is a ${e.sort} ascribed the type of a ${ascribed.sort}`)
    out = ascribed
  }
  declare(scope, scope.exports, name, out, 'export')
}

// ---- errors ------------------------------------------------------------------------------------

function decodeError (scope: Scope, offset: number, err: unknown): unknown {
  if (err instanceof InvalidComponentError) return err
  if (err instanceof BinaryEndError) return truncated(scope, offset, err.message)
  if (err instanceof Malformed || err instanceof RangeError) return malformed(scope, offset, err.message)
  return err
}

function truncated (scope: Scope, offset: number, detail: string): InvalidComponentError {
  return new InvalidComponentError(
    `the component is truncated or damaged (${detail}, in the section at offset 0x${offset.toString(16)} of ${scope.where}): ` +
    'the file was probably cut short by an interrupted download or copy; fetch or build it again',
    { reason: 'truncated' }
  )
}

function malformed (scope: Scope, offset: number, detail: string): InvalidComponentError {
  return new InvalidComponentError(
    `the component is malformed: ${detail} (in the section at offset 0x${offset.toString(16)} of ${scope.where}); ${HINT}`,
    { reason: 'malformed' }
  )
}

function tooLarge (detail: string): InvalidComponentError {
  return new InvalidComponentError(`${detail}: the fabric refuses it before decoding further; a guest built with \`fabric build\` stays far below`, { reason: 'too-large' })
}

function unsupported (what: string): InvalidComponentError {
  return new InvalidComponentError(
    `the component uses ${what}, which this host's transpiler (jco) and Node ${process.versions.node} do not run: build it for the fabric's world with \`fabric build\``,
    { reason: 'unsupported-feature' }
  )
}

function mib (n: number): string {
  return (n / 1048576).toFixed(1)
}

function capitalize (s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}
