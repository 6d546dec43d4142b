// `fabric build <entry> [-o out.wasm] [--lang ts|as]`
import path from 'node:path'
import type { Command } from 'commander'
import type { GuestLanguage } from '../../guest-sdk/src/build/index.js'

export function registerBuild (program: Command): void {
  program
    .command('build')
    .description('compile a guest (TypeScript on QuickJS, or AssemblyScript) into a fabric component and its driver types')
    .argument('<entry>', 'the guest entry file (.ts or .js; AssemblyScript with --lang as)')
    .option('-o, --out <file>', 'where to write the component (the .d.ts goes beside it)')
    .option('--lang <lang>', "guest language: 'ts' (QuickJS) or 'as' (AssemblyScript, for CPU-heavy code)", 'ts')
    .option('--no-types', 'do not write the .d.ts')
    .action(async (entry: string, opts: { out?: string, lang: string, types: boolean }) => {
      if (opts.lang !== 'ts' && opts.lang !== 'as') {
        program.error(`unknown --lang '${opts.lang}': use 'ts' or 'as'`)
      }
      // Loaded here, not at startup: the build pulls in TypeScript and the component toolchains.
      const { buildComponent, BuildError } = await import('../../guest-sdk/src/build/index.js')
      try {
        const r = await buildComponent({ entry, out: opts.out, lang: opts.lang as GuestLanguage, noTypes: !opts.types })
        const rel = (p: string): string => path.relative(process.cwd(), p)
        process.stdout.write(`built ${rel(r.component)} (${(r.bytes / 1024).toFixed(1)} KiB) in ${(r.milliseconds / 1000).toFixed(2)} s` +
          (r.declaration === undefined ? '\n' : `, types in ${rel(r.declaration)}\n`))
      } catch (err) {
        if (err instanceof BuildError) {
          process.stderr.write(`fabric build: ${err.message}\n`)
          process.exitCode = 1
          return
        }
        throw err
      }
    })
}
