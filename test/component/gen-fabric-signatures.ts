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

/**
 * Earlier shapes of the WIT that hosts of this version still run, each as an edit of the current
 * WIT: a component built against one is accepted item by item. Add one here when the WIT changes
 * compatibly (a host that still reads the old shape), with the change that made it, newest first:
 * each shape is the one before it with its edit applied (a component older than two changes has
 * neither).
 */
export const EARLIER_SHAPES: Array<{ change: string, edit: (wit: string) => string }> = [
  {
    // Tasks gained `memo` (issue 19): parseManifest reads a task without it as not memoised.
    change: 'task-info without memo',
    edit: (wit) => {
      const old = wit.replace(/(record task-info \{[^}]*?streaming: bool,)[^}]*?(\n {2}\})/, '$1$2')
      if (old === wit) throw new Error('EARLIER_SHAPES: task-info has no memo field to remove: update the edit')
      return old
    }
  },
  {
    // Actor classes gained `streaming` (issue 12, item 2); parseManifest reads a class without it
    // as having no streaming methods.
    change: 'actor-class without streaming',
    edit: (wit) => {
      const old = wit.replace(/(record actor-class \{[^}]*?methods: list<string>,)[^}]*?(\n {2}\})/, '$1$2')
      if (old === wit) throw new Error('EARLIER_SHAPES: actor-class has no streaming field to remove: update the edit')
      return old
    }
  }
]

/** Interface (unversioned) → item → rendered types accepted (the current one first). */
export async function fabricSignatures (wit?: string): Promise<Record<string, Record<string, string[]>>> {
  const source = wit ?? await readFile(WIT_PATH, 'utf8')
  const table: Record<string, Record<string, string[]>> = {}
  const shapes = [source]
  for (const e of EARLIER_SHAPES) shapes.push(e.edit(shapes[shapes.length - 1]!))
  for (const shape of shapes) {
    const reference = await componentNew(await componentEmbed({ dummy: true, witSource: shape, world: FABRIC_WORLD }))
    const { imports, exports } = inspectComponent(reference)
    const budget = new TypeBudget(1e6, 1e6)
    for (const [name, e] of [...imports, ...exports]) {
      if (e.sort !== 'instance' || !name.startsWith(`${FABRIC_WIT_PACKAGE}/`)) continue
      const iface = name.slice(FABRIC_WIT_PACKAGE.length + 1).replace(/@.*$/, '')
      const names = resourceNames(e.type)
      const items = table[iface] ??= {}
      for (const [item, x] of e.type.exports) {
        const rendered = renderExtern(x, names, budget)
        const accepted = items[item] ??= []
        if (!accepted.includes(rendered)) accepted.push(rendered)
      }
    }
  }
  return table
}

/** The text of src/component/fabric-signatures.ts for `table`. */
export function signaturesSource (table: Record<string, Record<string, string[]>>): string {
  const lines = [
    '// GENERATED from wit/fabric.wit by test/component/gen-fabric-signatures.ts: do not edit. After a WIT',
    '// change run `npx tsx test/component/gen-fabric-signatures.ts` (fabric-signatures.spec.ts fails until then).',
    '//',
    '// Every item of every fabric:core interface with its type as validate.ts renders it: what a guest',
    '// may import (a subset of each interface, each item exactly so) and must export (guest, exactly).',
    '// Each item lists the shape of the current WIT first, then earlier shapes this host still runs',
    `// (${EARLIER_SHAPES.map((e) => e.change).join('; ')}).`,
    '',
    '/** Interface (unversioned) → item → rendered types accepted (the current one first). */',
    'export const FABRIC_SIGNATURES: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {'
  ]
  const ifaces = Object.entries(table)
  const key = (k: string): string => /^[a-z][a-z0-9]*$/.test(k) ? k : `'${k}'`
  ifaces.forEach(([iface, items], i) => {
    lines.push(`  ${key(iface)}: {`)
    const entries = Object.entries(items)
    entries.forEach(([item, types], j) => {
      const comma = j < entries.length - 1 ? ',' : ''
      if (types.length === 1) {
        lines.push(`    ${key(item)}: ['${types[0]}']${comma}`)
      } else {
        lines.push(`    ${key(item)}: [`)
        types.forEach((t, k) => lines.push(`      '${t}'${k < types.length - 1 ? ',' : ''}`))
        lines.push(`    ]${comma}`)
      }
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
