// Public API of the kiosk agent: a deliberate list (package.json "exports" names no other entry
// except ./testing and the executables). Scripts and tests outside this package import only this.

export { OperatorClient, type OperatorReply } from './adapters/operator-api/client.js';
export { OperatorApi, type OperatorListen } from './adapters/operator-api/server.js';
export { Pkcs11Signer, type Pkcs11SignerOptions } from './adapters/pkcs11/pkcs11-signer.js';
export { CardReaderDriver } from './adapters/serial/card-reader-driver.js';
export { PinPadDriver } from './adapters/serial/pin-pad-driver.js';
export { checkJournalIntegrity, type JournalIntegrity } from './adapters/sqlite/integrity.js';
export { KioskDb } from './adapters/sqlite/kiosk-db.js';
export { type HqPublicKey, KioskAgent, type KioskAgentOptions, systemClock } from './agent.js';
export { Pan } from './domain/pin/pan.js';
export { PinBlock } from './domain/pin/secret.js';
export { makeReceiptNumber, verifyReceiptNumber } from './domain/tx/receipt.js';
export { createLogger, Secret } from './logging.js';
export type { ClockPort, TimerHandle } from './ports/clock.js';
export type * from './ports/operator.js';
