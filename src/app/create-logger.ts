import { pino } from 'pino';
import type { Logger } from '../ports/logger.js';

/** Structured JSON logs on stderr, so stdout stays for what a command prints. */
export function createLogger(level: string): Logger & { flush(): void } {
  return pino({ level, base: { service: 'sluice' } }, pino.destination({ fd: 2, sync: true }));
}
