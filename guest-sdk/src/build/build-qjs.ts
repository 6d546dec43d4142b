// The QuickJS path of `fabric build`: bundle the user's entry with the guest runtime (esbuild),
// then componentize it against the fabric world with componentize-qjs (sync build, WASI stubbed).
import path from 'node:path'
import { build as esbuild, type Message, type Plugin } from 'esbuild'
import { BuildError, type BuildDiagnostic } from './build-error.js'
import { GUEST_IMPORTS, GUEST_INDEX, GUEST_NN, GUEST_NN_IMPORTS, GUEST_RL, GUEST_RL_IMPORTS, GUEST_RUNTIME, PACKAGE_NAME, SDK_ROOT, WIT_DIR } from './paths.js'

/** The WIT world of guests that use tensors (the whole fabric:core world). */
export const GUEST_WORLD = 'guest-world'
/** The world of guests that do not: the same without the gpu import. */
export const PLAIN_GUEST_WORLD = 'plain-guest-world'

/** The world a bundle needs: the gpu import stays in a bundle only where the guest uses it. */
export function worldOf (bundle: string): string {
  return bundle.includes('fabric:core/gpu') || bundle.includes('fabric:core/collective') ? GUEST_WORLD : PLAIN_GUEST_WORLD
}

// The gpu import is free of side effects: esbuild drops it from bundles that use no tensor
// function (the SDK's index re-exports them all), so such guests can target the plain world.
const pureGpuImport: Plugin = {
  name: 'pure-gpu-import',
  setup (b) {
    b.onResolve({ filter: /^fabric:core\/(gpu|collective)@/ }, (args) => ({ path: args.path, external: true, sideEffects: false }))
  }
}

function toDiagnostic (m: Message): BuildDiagnostic {
  return m.location === null
    ? { message: m.text }
    : { file: m.location.file, line: m.location.line, column: m.location.column + 1, message: m.text }
}

/**
 * Bundle a TypeScript/JavaScript guest entry and its imports into one ES module whose only
 * external imports are the fabric:core host interfaces.
 */
export async function bundleGuest (entry: string): Promise<string> {
  const abs = path.resolve(entry)
  // QuickJS has no TextEncoder/TextDecoder (cborg needs them): install the polyfill before
  // anything else evaluates.
  const stub = [
    "import 'fast-text-encoding'",
    `import * as user from ${JSON.stringify(abs)}`,
    `import { makeGuest } from ${JSON.stringify(GUEST_RUNTIME)}`,
    'export const guest = makeGuest(user)'
  ].join('\n')
  try {
    const result = await esbuild({
      stdin: { contents: stub, resolveDir: SDK_ROOT, sourcefile: 'fabric-guest-entry.js', loader: 'js' },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      mainFields: ['module', 'main'],
      conditions: ['import', 'default'],
      external: ['fabric:core/*'],
      plugins: [pureGpuImport],
      alias: Object.fromEntries([...GUEST_IMPORTS.map(name => [name, GUEST_INDEX]), ...GUEST_NN_IMPORTS.map(name => [name, GUEST_NN]), ...GUEST_RL_IMPORTS.map(name => [name, GUEST_RL])]),
      // The polyfill (and some packages) look for Node's `global`; QuickJS has `globalThis`.
      define: { global: 'globalThis' },
      legalComments: 'none',
      charset: 'utf8',
      logLevel: 'silent'
    })
    return result.outputFiles[0]!.text
  } catch (err) {
    const errors = (err as { errors?: Message[] }).errors
    if (Array.isArray(errors) && errors.length > 0) {
      throw new BuildError(`cannot bundle ${entry}: guests may import only '${PACKAGE_NAME}/guest' (and '/guest/nn'), their own files and pure-JS packages (no Node built-ins: the sandbox has no filesystem or network)`, errors.map(toDiagnostic))
    }
    throw err
  }
}

/** Build a QuickJS component from a guest entry. Returns the component bytes. */
export async function buildQuickJs (entry: string, options: { witDir?: string } = {}): Promise<Uint8Array> {
  const source = await bundleGuest(entry)
  // An optional peer dependency: loaded here, not when this module is imported (index.ts checks
  // for it first and names it when missing).
  const { componentize } = await import('componentize-qjs')
  try {
    const { component } = await componentize({
      witPath: options.witDir ?? WIT_DIR,
      jsSource: source,
      world: worldOf(source),
      sync: true,
      stubWasi: true
    })
    return new Uint8Array(component.buffer, component.byteOffset, component.byteLength)
  } catch (err) {
    // componentize evaluates the module at build time (Wizer snapshot): an exception thrown by the
    // guest's top-level code surfaces here.
    throw new BuildError(`componentize-qjs failed for ${entry}: ${(err as Error).message}`)
  }
}
