import type { Redis } from 'ioredis';

/** Channel on which a cancel reaches whichever process runs the job. */
const cancelChannel = 'sluice:cancel';

/** Listens on `connection` (which then serves nothing else) for cancels broadcast by any process. */
export function subscribeToCancels(
  connection: Redis,
  onCancel: (documentId: string) => void,
  onError: (error: unknown) => void,
): void {
  connection.on('message', (_channel: string, documentId: string) => onCancel(documentId));
  connection.subscribe(cancelChannel).catch(onError);
}

/** Tells every process, this one included, to abort the document's running job. */
export async function broadcastCancel(commands: Redis, documentId: string): Promise<void> {
  await commands.publish(cancelChannel, documentId);
}
