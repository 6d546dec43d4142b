// Reads the exported task and actor signatures of an AssemblyScript guest's entry file.
//
// AssemblyScript is syntactically TypeScript, so TypeScript's parser reads it (only the syntax is
// used; AssemblyScript's compiler checks the types later). Every exported function becomes a task,
// every exported class an actor class whose public methods are its actor methods.
import ts from 'typescript'
import type { BuildDiagnostic } from './build-error.js'

/** A value type that may cross the boundary, and how the glue and the declarations handle it. */
export interface AsValueType {
  /** Canonical AssemblyScript spelling, for messages (`Array<f64>`). */
  name: string
  /** CborReader method that decodes an argument of this type (absent for `void`). */
  read?: string
  /** CborWriter method that encodes a result of this type (absent for `void`). */
  write?: string
  /** TypeScript type of an argument in the generated declarations. */
  tsParam: string
  /** TypeScript type of a result in the generated declarations. */
  tsResult: string
}

const VALUE_TYPES: AsValueType[] = [
  { name: 'i32', read: 'readI32', write: 'writeI32', tsParam: 'number', tsResult: 'number' },
  { name: 'u32', read: 'readU32', write: 'writeU32', tsParam: 'number', tsResult: 'number' },
  // The host decodes integers beyond 2^53 as bigint, so a 64-bit result may arrive as either.
  { name: 'i64', read: 'readI64', write: 'writeI64', tsParam: 'number | bigint', tsResult: 'number | bigint' },
  { name: 'u64', read: 'readU64', write: 'writeU64', tsParam: 'number | bigint', tsResult: 'number | bigint' },
  { name: 'f32', read: 'readF32', write: 'writeF32', tsParam: 'number', tsResult: 'number' },
  { name: 'f64', read: 'readF64', write: 'writeF64', tsParam: 'number', tsResult: 'number' },
  { name: 'bool', read: 'readBool', write: 'writeBool', tsParam: 'boolean', tsResult: 'boolean' },
  { name: 'string', read: 'readString', write: 'writeString', tsParam: 'string', tsResult: 'string' },
  { name: 'Uint8Array', read: 'readUint8Array', write: 'writeUint8Array', tsParam: 'Uint8Array', tsResult: 'Uint8Array' },
  { name: 'Float32Array', read: 'readFloat32Array', write: 'writeFloat32Array', tsParam: 'Float32Array', tsResult: 'Float32Array' },
  { name: 'Float64Array', read: 'readFloat64Array', write: 'writeFloat64Array', tsParam: 'Float64Array', tsResult: 'Float64Array' },
  { name: 'Int32Array', read: 'readInt32Array', write: 'writeInt32Array', tsParam: 'Int32Array', tsResult: 'Int32Array' },
  { name: 'Array<f64>', read: 'readF64Array', write: 'writeF64Array', tsParam: 'number[]', tsResult: 'number[]' },
  { name: 'Array<i32>', read: 'readI32Array', write: 'writeI32Array', tsParam: 'number[]', tsResult: 'number[]' },
  { name: 'Array<string>', read: 'readStringArray', write: 'writeStringArray', tsParam: 'string[]', tsResult: 'string[]' }
]

const VOID: AsValueType = { name: 'void', tsParam: 'undefined', tsResult: 'undefined' }

const BY_NAME = new Map(VALUE_TYPES.map((t) => [t.name, t]))

/** Names of the supported parameter types, for error messages and docs. */
export const SUPPORTED_TYPES = VALUE_TYPES.map((t) => t.name)

export interface AsParam {
  name: string
  type: AsValueType
}

export interface AsFunction {
  name: string
  params: AsParam[]
  result: AsValueType
}

export interface AsClass {
  name: string
  /** Constructor parameters: the actor's create arguments. */
  ctorParams: AsParam[]
  methods: AsFunction[]
}

export interface AsExports {
  functions: AsFunction[]
  classes: AsClass[]
}


/** Normalises a type as written (`f64[]`, `Array< f64 >`) to the table's spelling. */
function normaliseType (text: string): string {
  const compact = text.replace(/\s+/g, '')
  const arrayOf = /^(.+)\[\]$/.exec(compact)
  return arrayOf !== null ? `Array<${arrayOf[1]}>` : compact
}

function hasModifier (node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node)?.some((m) => m.kind === kind) ?? false)
}

/**
 * Parses `text` (the content of `file`) and returns its exported tasks and actor classes, or the
 * problems that keep it from being a guest (unsupported types, missing annotations, ...).
 */
export function parseAsExports (file: string, text: string): { exports: AsExports, diagnostics: BuildDiagnostic[] } {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const diagnostics: BuildDiagnostic[] = []
  const report = (node: ts.Node, message: string): void => {
    const { line, character } = source.getLineAndCharacterOfPosition(node.getStart(source))
    diagnostics.push({ file, line: line + 1, column: character + 1, message })
  }

  const valueType = (node: ts.TypeNode | undefined, at: ts.Node, what: string, allowVoid: boolean): AsValueType | undefined => {
    if (node === undefined) {
      report(at, `${what} needs a type annotation`)
      return undefined
    }
    const name = normaliseType(node.getText(source))
    if (allowVoid && name === 'void') return VOID
    const type = BY_NAME.get(name)
    if (type === undefined) {
      report(node, `${what} has unsupported type '${name}' (supported: ${SUPPORTED_TYPES.join(', ')}${allowVoid ? ', void' : ''})`)
    }
    return type
  }

  const params = (owner: string, list: ts.NodeArray<ts.ParameterDeclaration>): AsParam[] | undefined => {
    const out: AsParam[] = []
    let ok = true
    for (const p of list) {
      if (!ts.isIdentifier(p.name)) {
        report(p, `${owner}: destructured parameters are not supported`)
        ok = false
        continue
      }
      const name = p.name.text
      if (p.dotDotDotToken !== undefined) {
        report(p, `${owner}: parameter '${name}' is a rest parameter, which is not supported`)
        ok = false
        continue
      }
      const type = valueType(p.type, p, `${owner}: parameter '${name}'`, false)
      if (type === undefined) ok = false
      else out.push({ name, type })
    }
    return ok ? out : undefined
  }

  const exports: AsExports = { functions: [], classes: [] }
  for (const stmt of source.statements) {
    if (ts.isExportDeclaration(stmt) || ts.isExportAssignment(stmt)) {
      report(stmt, 'export lists, re-exports and default exports are not supported: export each task or actor class where it is declared (`export function ...`, `export class ...`)')
      continue
    }
    if (!hasModifier(stmt, ts.SyntaxKind.ExportKeyword) || hasModifier(stmt, ts.SyntaxKind.DeclareKeyword)) continue

    if (ts.isFunctionDeclaration(stmt) && stmt.name !== undefined && stmt.body !== undefined) {
      const name = stmt.name.text
      if (stmt.typeParameters !== undefined) {
        report(stmt.name, `task '${name}' is generic, which a task cannot be`)
        continue
      }
      const ps = params(`task '${name}'`, stmt.parameters)
      const result = valueType(stmt.type, stmt.name, `task '${name}': the return type`, true)
      if (ps !== undefined && result !== undefined) exports.functions.push({ name, params: ps, result })
      continue
    }

    if (ts.isClassDeclaration(stmt) && stmt.name !== undefined) {
      const name = stmt.name.text
      if (stmt.typeParameters !== undefined || hasModifier(stmt, ts.SyntaxKind.AbstractKeyword)) {
        report(stmt.name, `actor class '${name}' is generic or abstract, which an actor class cannot be`)
        continue
      }
      const ctor = stmt.members.find(ts.isConstructorDeclaration)
      const ctorParams = ctor === undefined ? [] : params(`actor class '${name}': constructor`, ctor.parameters)
      const methods: AsFunction[] = []
      for (const m of stmt.members) {
        if (!ts.isMethodDeclaration(m) || !ts.isIdentifier(m.name)) continue
        if (hasModifier(m, ts.SyntaxKind.StaticKeyword) || hasModifier(m, ts.SyntaxKind.PrivateKeyword) ||
          hasModifier(m, ts.SyntaxKind.ProtectedKeyword)) continue
        const owner = `actor method '${name}.${m.name.text}'`
        if (m.typeParameters !== undefined) {
          report(m.name, `${owner} is generic (make it private to keep it out of the actor's interface)`)
          continue
        }
        const ps = params(owner, m.parameters)
        const result = valueType(m.type, m.name, `${owner}: the return type`, true)
        if (ps !== undefined && result !== undefined) methods.push({ name: m.name.text, params: ps, result })
      }
      if (ctorParams !== undefined) exports.classes.push({ name, ctorParams, methods })
    }
    // Other exports (constants, enums, types, namespaces) are not part of the guest interface.
  }
  return { exports, diagnostics }
}
