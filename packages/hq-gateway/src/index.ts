// Public API of the HQ gateway. Embed it (the demo does, next to an aedes broker):
//
//   import { startGateway } from '@bianmin/hq-gateway';
//   const hq = await startGateway({ dbPath, brokerUrl: 'mqtt://127.0.0.1:1883', hqKeyPem, tpk });
//   await hq.operations.enrol(enrolmentRequestJson);          // binds the kiosk's key
//   await hq.operations.purchaseQuota('ST0001', 100_000);      // R3, then the signed config is sent
//   hq.pipeline.on('reconciled', ({ stationId, differences }) => …);
//   await hq.flush(); console.log((await dailyReport(hq.store, '2026-11-28')).text);
//   await hq.stop();
//
// docs/hq.md describes how it works.
export { type BankAccountSeed, BankSimulator } from './adapters/bank-sim/bank-sim.js';
export { generateHqKeyPem, hqKeyFromPem, type LoadedHqKey, readHqKey } from './adapters/crypto/hq-key.js';
export { VerifyPool } from './adapters/crypto/verify-pool.js';
export { MqttLink } from './adapters/mqtt/mqtt-link.js';
export { SqliteStore } from './adapters/sqlite/sqlite-store.js';
export { IngestPipeline, type PipelineCounters } from './app/ingest-pipeline.js';
export { createLedgerMirror } from './app/ledger-mirror-factory.js';
export { HqOperations, type StationDefaults, stationDefaults } from './app/operations.js';
export { dailyReport, statusReport } from './cli/reports.js';
export { checkHqConfig, type HqConfig, readHqConfig } from './config.js';
export { enrolmentRequestKind, parseEnrolmentRequest } from './domain/enrolment.js';
export type * from './domain/types.js';
export { type HqCode, HqError, type HqProblem, hqCodes } from './errors.js';
export * as hqLimits from './limits.js';
export {
  defaultCalendarDir,
  type Gateway,
  type GatewayOptions,
  loadCalendarYears,
  startGateway,
} from './main.js';
export type { BankCore } from './ports/bank-core.js';
export type { Store } from './ports/store.js';
