// `fabric bench [names...] [--quick] [--json out.json] [--results-dir dir]`: run the benchmark
// suite (bench/run.ts) in a child process with the TypeScript loader, streaming its output and
// exiting with its code. The report lands in bench/results/ of the package (see docs/benchmarks.md).
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'

/** The runner, relative to this file: <package root>/bench/run.ts. */
export const benchRunner = fileURLToPath(new URL('../../bench/run.ts', import.meta.url))
/** The package root: the child runs there (benchmarks start their own `--import tsx` children). */
const packageRoot = fileURLToPath(new URL('../../', import.meta.url))

/** The tsx loader as a URL node's --import accepts from any working directory ('tsx' as a fallback). */
function tsxLoader (): string {
  try {
    return import.meta.resolve('tsx')
  } catch {
    return 'tsx'
  }
}

/**
 * Run the runner with `args` (paths in them already absolute: it runs in the package root);
 * resolves with its exit code (130 / 143 when interrupted).
 */
export async function runBench (args: string[]): Promise<number> {
  return await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsxLoader(), benchRunner, ...args], { stdio: 'inherit', cwd: packageRoot })
    // Pass SIGINT / SIGTERM on to the child and wait for it to exit (Ctrl-C reaches it anyway).
    const forward = (signal: NodeJS.Signals): void => { child.kill(signal) }
    process.on('SIGINT', forward)
    process.on('SIGTERM', forward)
    const done = (): void => { process.off('SIGINT', forward); process.off('SIGTERM', forward) }
    child.on('error', err => { done(); reject(err) })
    child.on('exit', (code, signal) => {
      done()
      resolve(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1))
    })
  })
}

export function registerBench (program: Command): void {
  program
    .command('bench')
    .description("run the benchmarks (bench/*.bench.ts) against same-run baselines and Ray's published figures; writes a JSON + markdown report and SVG charts to bench/results/")
    .argument('[names...]', 'benchmarks to run (default: all), e.g. component ray')
    .option('--quick', 'fewer rounds and smaller sizes (under 2 minutes on 2 cores)')
    .option('--json <file>', 'also write the combined JSON report to this file')
    .option('--results-dir <dir>', 'where to write the report and charts (default: bench/results in the package)')
    .action(async (names: string[], opts: { quick?: boolean, json?: string, resultsDir?: string }) => {
      if (!fs.existsSync(benchRunner)) {
        program.error(`fabric bench: the benchmark suite is not here (${benchRunner}); it ships with the source repository, not the package`)
      }
      const args = [...names]
      if (opts.quick === true) args.push('--quick')
      // Paths are the caller's, relative to where `fabric bench` was run.
      if (opts.json !== undefined) args.push('--json', path.resolve(opts.json))
      if (opts.resultsDir !== undefined) args.push('--results-dir', path.resolve(opts.resultsDir))
      process.exitCode = await runBench(args)
    })
}
