// Public API of the kiosk agent.

export { OperatorClient, type OperatorReply } from './adapters/operator-api/client.js';
export { OperatorApi, type OperatorListen } from './adapters/operator-api/server.js';
export { checkJournalIntegrity, type JournalIntegrity } from './adapters/sqlite/integrity.js';
export { KioskDb } from './adapters/sqlite/kiosk-db.js';
export { type HqPublicKey, KioskAgent, type KioskAgentOptions, systemClock } from './agent.js';
export { makeReceiptNumber, verifyReceiptNumber } from './domain/tx/receipt.js';
export type * from './ports/operator.js';
