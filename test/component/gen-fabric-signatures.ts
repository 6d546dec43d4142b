// Generates src/component/fabric-signatures.ts from wit/fabric.wit: a component is built from the
// WIT alone (wasm-tools' dummy module), walked by inspect.ts, and every item of every fabric:core
// interface rendered as validate.ts compares it. The spec fabric-signatures.spec.ts checks the
// committed table against this; run `npx tsx test/component/gen-fabric-signatures.ts` after a WIT
// change.
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { componentEmbed, componentNew } from '@bytecodealliance/jco-transpile/wasm-tools'
import { inspectComponent } from '../../src/component/inspect.js'
import { TypeBudget, renderExtern, resourceNames } from '../../src/component/component-types.js'
import { FABRIC_WIT_PACKAGE, FABRIC_WORLD } from '../../src/component/interface.js'

export const WIT_PATH = fileURLToPath(new URL('../../wit/fabric.wit', import.meta.url))
export const TABLE_PATH = fileURLToPath(new URL('../../src/component/fabric-signatures.ts', import.meta.url))

/** Interface (unversioned) → item → rendered type, for every interface of the fabric's world. */
export async function fabricSignatures (wit?: string): Promise<Record<string, Record<string, string>>> {
  const source = wit ?? await readFile(WIT_PATH, 'utf8')
  const reference = await componentNew(await componentEmbed({ dummy: true, witSource: source, world: FABRIC_WORLD }))
  const { imports, exports } = inspectComponent(reference)
  const budget = new TypeBudget(1e6, 1e6)
  const table: Record<string, Record<string, string>> = {}
  for (const [name, e] of [...imports, ...exports]) {
    if (e.sort !== 'instance' || !name.startsWith(`${FABRIC_WIT_PACKAGE}/`)) continue
    const iface = name.slice(FABRIC_WIT_PACKAGE.length + 1).replace(/@.*$/, '')
    const names = resourceNames(e.type)
    table[iface] = Object.fromEntries([...e.type.exports].map(([item, x]) => [item, renderExtern(x, names, budget)]))
  }
  return table
}

/** The text of src/component/fabric-signatures.ts for `table`. */
export function signaturesSource (table: Record<string, Record<string, string>>): string {
  const lines = [
    '// GENERATED from wit/fabric.wit by test/component/gen-fabric-signatures.ts: do not edit. After a WIT',
    '// change run `npx tsx test/component/gen-fabric-signatures.ts` (fabric-signatures.spec.ts fails until then).',
    '//',
    '// Every item of every fabric:core interface with its type as validate.ts renders it: what a guest',
    '// may import (a subset of each interface, each item exactly so) and must export (guest, exactly).',
    '',
    '/** Interface (unversioned) → item → rendered type. */',
    'export const FABRIC_SIGNATURES: Readonly<Record<string, Readonly<Record<string, string>>>> = {'
  ]
  const ifaces = Object.entries(table)
  const key = (k: string): string => /^[a-z][a-z0-9]*$/.test(k) ? k : `'${k}'`
  ifaces.forEach(([iface, items], i) => {
    lines.push(`  ${key(iface)}: {`)
    const entries = Object.entries(items)
    entries.forEach(([item, type], j) => {
      lines.push(`    ${key(item)}: '${type}'${j < entries.length - 1 ? ',' : ''}`)
    })
    lines.push(`  }${i < ifaces.length - 1 ? ',' : ''}`)
  })
  lines.push('}', '')
  return lines.join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await writeFile(TABLE_PATH, signaturesSource(await fabricSignatures()))
  process.stdout.write(`wrote ${TABLE_PATH}\n`)
}
