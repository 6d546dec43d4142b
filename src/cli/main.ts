// The CLI entry: wires the commands (one file each) into commander.
import { Command } from 'commander'
import { registerBuild } from './build.js'
import { registerRun } from './run.js'
import { registerBench } from './bench.js'
import { registerJoin } from './join.js'
import { registerStatus } from './status.js'
import { registerList } from './list.js'
import { registerLogs } from './logs.js'
import { registerKeygen } from './keygen.js'
import { registerSubmit } from './submit.js'
import { registerJobs } from './jobs.js'
import { registerServe } from './serve.js'
import { packageInfo, registerInit } from './init.js'

export async function main (argv: string[]): Promise<void> {
  const program = new Command()
  program
    .name('fabric')
    .description('a compute fabric for TypeScript: tasks and actors as sandboxed WebAssembly components')
    .version(packageInfo().version)
    .showHelpAfterError()
  registerBuild(program)
  registerRun(program)
  registerBench(program)
  registerJoin(program)
  registerStatus(program)
  registerList(program)
  registerLogs(program)
  registerInit(program)
  registerKeygen(program)
  registerSubmit(program)
  registerJobs(program)
  registerServe(program)
  await program.parseAsync(argv)
}
