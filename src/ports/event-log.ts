import type { SluiceEvent, StoredEvent } from './event-bus.js';

/** The durable log of progress events that SSE streams replay from. */
export interface EventLog {
  /**
   * Appends to the event log and returns the stored event with its sequence number. A
   * `document.progress` event is stored with the document's counts as they stand when it is logged
   * (appends are serialised), so that concurrent batches, which count and then publish in two steps,
   * never log progress going backwards.
   */
  appendEvent(event: SluiceEvent): Promise<StoredEvent>;
  /** Events of one batch or document after `afterSeq`, oldest first. */
  listEvents(filter: {
    batchId?: string;
    documentId?: string;
    afterSeq: number;
    limit: number;
  }): Promise<StoredEvent[]>;
}
