// Test entry for the e2e tests: a `fabric` command with the join, status, keygen, list, summary and logs commands registered
// (src/cli/main.ts wires them for users; this keeps the tests independent of that file).
import { Command } from 'commander'
import { registerJoin } from '../../src/cli/join.js'
import { registerStatus } from '../../src/cli/status.js'
import { registerKeygen } from '../../src/cli/keygen.js'
import { registerList } from '../../src/cli/list.js'
import { registerLogs } from '../../src/cli/logs.js'

const program = new Command()
program.name('fabric').showHelpAfterError()
registerJoin(program)
registerStatus(program)
registerKeygen(program)
registerList(program)
registerLogs(program)
await program.parseAsync(process.argv)
