// `fabric keygen FILE`: a new swarm key for a private fabric (`fabric join --secret FILE` on every
// node; drivers pass it as `swarmKey`). Written readable by its owner only; an existing file is
// never overwritten.
import { writeFile } from 'node:fs/promises'
import type { Command } from 'commander'

export function registerKeygen (program: Command): void {
  program
    .command('keygen')
    .description('write a new swarm key: nodes started with `--secret FILE` form a private fabric that only holders of the file can join')
    .argument('<file>', 'where to write the key (must not exist)')
    .action(async (file: string) => {
      const { newSwarmKey } = await import('../net/index.js')
      try {
        await writeFile(file, newSwarmKey(), { mode: 0o600, flag: 'wx' })
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        process.stderr.write(`fabric keygen: ${code === 'EEXIST' ? `${file} exists already: a key is never overwritten (remove it first, or pick another name)` : (err as Error).message}\n`)
        process.exit(1)
      }
      process.stdout.write(`wrote ${file}: give it to every node (fabric join --secret ${file}) and driver of the fabric; keep it secret\n`)
    })
}
