import { createLedgerEventBus } from '../../src/events/ledger-event-bus.js';
import { describeEventBusContract } from './event-bus-contract.js';

describeEventBusContract(
  'ledger (in-process)',
  async (log) => {
    const listenerErrors: unknown[] = [];
    const bus = createLedgerEventBus(log, (error) => listenerErrors.push(error));
    return { bus, listenerErrors, close: async () => undefined };
  },
  // Embedded mode has one process; events of its worker thread arrive through `deliver`, not the port.
  { acrossInstances: false },
);
