import { setFlagsFromString } from 'node:v8';

/** The environment variable, read by `bin/sluice.js` before anything else loads (and by the config). */
export const semiSpaceGrowthVariable = 'SLUICE_SEMI_SPACE_GROWTH_FACTOR';

/** The largest factor accepted: V8's semi-spaces stop at 16 MiB whatever the factor. */
export const maxSemiSpaceGrowthFactor = 16;

/**
 * How many times over V8 may grow the young generation's semi-spaces when many of their objects survive
 * a scavenge, from the 1 MiB they start at up to 16 MiB each (for every thread of this process). V8's
 * own factor, 2, soon takes an ingesting process to two 16 MiB semi-spaces, large beside its live heap;
 * kept at 1 MiB, the process peaks lower for no more CPU (measured in BENCH.md).
 *
 * The flag is read each time V8 would grow the young generation, but a process that has loaded its
 * modules has grown it already: `bin/sluice.js` sets it before it loads the CLI.
 */
export function setSemiSpaceGrowth(factor: number): void {
  setFlagsFromString(`--semi-space-growth-factor=${factor}`);
}

/**
 * The factor for a `sluice <command>` process: the environment's, or else 1, except for `serve`, which
 * keeps V8's own. Small semi-spaces fill sooner, and the thread answering uploads paused for scavenges
 * often enough to raise the upload p99 (measured in BENCH.md). A value that is not a whole number from 1
 * to 16 is left alone here: the configuration, loaded next, names it as invalid.
 */
export function semiSpaceGrowthFor(command: string | undefined, env: NodeJS.ProcessEnv): number | undefined {
  const raw = env[semiSpaceGrowthVariable];
  if (raw === undefined || raw === '') {
    return command === 'serve' ? undefined : 1;
  }
  const factor = Number(raw);
  return Number.isInteger(factor) && factor >= 1 && factor <= maxSemiSpaceGrowthFactor ? factor : undefined;
}

/** What `bin/sluice.js` runs first, for the command on its command line. */
export function applySemiSpaceGrowth(command: string | undefined, env: NodeJS.ProcessEnv = process.env): void {
  const factor = semiSpaceGrowthFor(command, env);
  if (factor !== undefined) {
    setSemiSpaceGrowth(factor);
  }
}
