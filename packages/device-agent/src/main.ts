// The kiosk agent process: reads the device config (src/config), opens the journal, the UK key
// (PKCS#11), the serial card reader and PIN pad, starts the agent (MQTT link, recovery, daily
// close) and the local operator API; stops cleanly on SIGTERM/SIGINT. A SIGKILL is fine too:
// the journal makes the restart safe.
//
// Settings the device config does not hold yet come from the environment:
//   BIANMIN_MQTT_PASSWORD_FILE    the station's broker password (username = station id)
//   BIANMIN_OPERATOR_TOKEN_FILE   the operator credential for the local API (>= 16 characters)
//   BIANMIN_CARD_TOKEN_KEY_FILE   the card-token HMAC key (hex, >= 16 bytes)
//   BIANMIN_TPK_KEY_ID            key id of the TPK loaded into the PIN pad (default TPK1)
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fingerprint, publicKeySpkiDer } from '@bianmin/wire';
import { OperatorApi } from './adapters/operator-api/server.js';
import { Pkcs11Signer } from './adapters/pkcs11/pkcs11-signer.js';
import { KioskDb } from './adapters/sqlite/kiosk-db.js';
import { KioskAgent, systemClock } from './agent.js';
import { serialPeripherals } from './cli/peripherals.js';
import { loadConfigFile } from './config/load.js';
import { operatorTokenFileBytesMax } from './limits.js';
import { createLogger } from './logging.js';

function readSmallFile(path: string | undefined, what: string): string {
  if (path === undefined) throw new Error(`${what}: environment variable not set`);
  return readFileSync(path, 'utf8').slice(0, operatorTokenFileBytesMax).trim();
}

export async function runAgentProcess(configPath: string): Promise<void> {
  const report = loadConfigFile(configPath);
  if (report.config === undefined || report.config === null) {
    process.stderr.write(`${JSON.stringify(report.problems)}\n`);
    process.exitCode = 1;
    return;
  }
  const config = report.config;
  const logger = createLogger({ name: 'kiosk-agent', level: config.log.level, dir: config.log.dir });
  const signer = new Pkcs11Signer({
    modulePath: config.token.modulePath,
    token: {
      ...(config.token.label === undefined ? {} : { label: config.token.label }),
      ...(config.token.serial === undefined ? {} : { serial: config.token.serial }),
    },
    keyLabel: config.token.keyLabel,
    pin: config.token.userPin,
    logger,
  });
  signer.open();
  const publicKey = await signer.publicKey();
  const hqPem = readFileSync(config.hq.configPublicKeyPath, 'utf8');
  const peripherals = serialPeripherals(() => logger);
  const cardReader = peripherals.cardReader(config);
  const pinPad = peripherals.pinPad(config);
  cardReader.start();
  pinPad.start();
  const db = new KioskDb({ path: config.journal.path });
  const agent = await KioskAgent.open({
    stationId: config.station.id,
    keyId: publicKey.fingerprintSha256Hex,
    db,
    signer,
    cardReader,
    pinPad,
    clock: systemClock,
    logger,
    hqPublicKeys: [{ keyId: fingerprint(publicKeySpkiDer(hqPem)), publicKey: hqPem }],
    cardTokenKey: Buffer.from(
      readSmallFile(process.env.BIANMIN_CARD_TOKEN_KEY_FILE, 'card token key'),
      'hex',
    ),
    tpkKeyId: process.env.BIANMIN_TPK_KEY_ID ?? 'TPK1',
    mqtt: {
      brokerUrl: config.mqtt.url,
      username: config.station.id,
      password: readSmallFile(process.env.BIANMIN_MQTT_PASSWORD_FILE, 'mqtt password'),
    },
  });
  const api = new OperatorApi({
    listen: { kind: 'unix', socketPath: config.operatorApi.socketPath },
    token: readSmallFile(process.env.BIANMIN_OPERATOR_TOKEN_FILE, 'operator token'),
    operator: agent,
    logger,
  });
  await api.listen();
  agent.start();
  logger.info({ stationId: config.station.id }, 'kiosk agent running');
  const shutdown = async () => {
    await api.close();
    await agent.stop();
    await cardReader.stop();
    await pinPad.stop();
    await signer.close();
    db.close();
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
}

if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const configPath = process.argv[2] ?? process.env.BIANMIN_CONFIG ?? '/etc/bianmin/kiosk.json';
  runAgentProcess(configPath).catch((error: unknown) => {
    process.stderr.write(
      `kiosk agent failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  });
}
