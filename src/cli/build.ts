// `fabric build <entry...> [-o out.wasm] [--lang ts|as]`: one guest, or several one after another
// (each to build/<name>.wasm) with a bar over them on stderr when it is a terminal.
import path from 'node:path'
import type { Command } from 'commander'
import type { GuestLanguage } from '../../guest-sdk/src/build/index.js'

export function registerBuild (program: Command): void {
  program
    .command('build')
    .description('compile guests (TypeScript on QuickJS, or AssemblyScript) into fabric components and their driver types')
    .argument('<entry...>', 'the guest entry file(s) (.ts or .js; AssemblyScript with --lang as)')
    .option('-o, --out <file>', 'where to write the component (the .d.ts goes beside it); one entry only')
    .option('--lang <lang>', "guest language: 'ts' (QuickJS) or 'as' (AssemblyScript, for CPU-heavy code)", 'ts')
    .option('--no-types', 'do not write the .d.ts')
    .action(async (entries: string[], opts: { out?: string, lang: string, types: boolean }) => {
      if (opts.lang !== 'ts' && opts.lang !== 'as') {
        program.error(`unknown --lang '${opts.lang}': use 'ts' or 'as'`)
      }
      if (opts.out !== undefined && entries.length > 1) {
        program.error(`-o names one component, and ${entries.length} entries were given: build them without -o (each goes to build/<name>.wasm), or one at a time`)
      }
      // Loaded here, not at startup: the build pulls in TypeScript and the component toolchains.
      const { buildComponent, BuildError } = await import('../../guest-sdk/src/build/index.js')
      const { progressBar } = await import('./progress.js')
      // A bar only for several files: one build has nothing to count.
      const bar = entries.length > 1 ? progressBar(process.stderr, { total: entries.length, label: 'build', unit: 'files' }) : undefined
      const rel = (p: string): string => path.relative(process.cwd(), p)
      try {
        for (const [i, entry] of entries.entries()) {
          bar?.update(i, entry)
          try {
            const r = await buildComponent({ entry, out: opts.out, lang: opts.lang as GuestLanguage, noTypes: !opts.types })
            process.stdout.write(`built ${rel(r.component)} (${(r.bytes / 1024).toFixed(1)} KiB) in ${(r.milliseconds / 1000).toFixed(2)} s` +
              (r.declaration === undefined ? '\n' : `, types in ${rel(r.declaration)}\n`))
          } catch (err) {
            if (!(err instanceof BuildError)) throw err
            // The other files still build: every broken one is reported in one run.
            process.stderr.write(`fabric build: ${err.message}\n`)
            process.exitCode = 1
          }
        }
      } finally {
        bar?.stop()
      }
    })
}
