// Fuzzes component validation (src/component/validate.ts, inspect.ts, binary.ts) with mutated
// components: checkComponentHeader, then validateComponentSync (the walk over the whole binary:
// core modules, names, types; then the fabric's rules on the world and its signatures). The first
// input byte picks the limits: the defaults, or tight ones so the limit checks are reached too.
// Checks: every step returns or throws InvalidComponentError, in bounded time; readSections'
// sections tile the bytes after the preamble; a component accepted exports fabric:core/guest and
// imports only fabric:core interfaces; and the header check never refuses what the walk accepts.
import { checkComponentHeader, validateComponentSync } from '../src/component/validate.js'
import type { InspectLimits } from '../src/component/inspect.js'
import { readPreamble, readSections } from '../src/component/binary.js'
import { check, pick, show, typed } from './support/contract.js'

const COMPONENT_ERRORS = ['InvalidComponentError'] as const
const LIMITS: InspectLimits[] = [{}, { maxBytes: 4096, maxDepth: 2, maxSections: 16, maxCoreModules: 1, maxTypeSteps: 200 }]

export function fuzz (data: Uint8Array): void {
  const { choice, rest: bytes } = pick(data, LIMITS.length)
  const header = typed('checkComponentHeader', COMPONENT_ERRORS, () => checkComponentHeader(bytes))
  const world = typed('validateComponentSync', COMPONENT_ERRORS, () => validateComponentSync(bytes, LIMITS[choice]))
  if (header.ok) {
    check(readPreamble(bytes)?.kind === 'component', `checkComponentHeader accepted a ${readPreamble(bytes)?.kind ?? 'non-wasm'} preamble`)
    let at = 8
    for (const s of readSections(bytes)) {
      check(s.start === at && s.start < s.payloadStart && s.payloadStart <= s.end, `section ${show(s)} does not follow offset ${at}`)
      at = s.end
    }
    check(at === bytes.length, `sections end at ${at} of ${bytes.length} bytes`)
  }
  if (!world.ok) return
  check(header.ok, 'validateComponentSync accepted bytes checkComponentHeader refuses')
  check(world.value.exports.some((e) => e.startsWith('fabric:core/guest')), `accepted a component that does not export fabric:core/guest: ${show(world.value)}`)
  check(world.value.imports.every((i) => i.startsWith('fabric:core/')), `accepted a component with a foreign import: ${show(world.value)}`)
}
