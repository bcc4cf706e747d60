// `hq serve`: run the gateway from the config until SIGTERM/SIGINT (docs/hq.md).
import { readFileSync } from 'node:fs';
import { sharedLogOptions } from '@bianmin/wire';
import pino from 'pino';
import { mqttTlsFiles, readCardKeySecret, readSecret, storeLabel } from '../../config.js';
import { releaseApiConfigOf } from '../../config-releases.js';
import { stationDefaultsOf } from '../../config-service-hours.js';
import { startGateway } from '../../main.js';
import { configFlag, type HqCommand, loadConfig, readBankAccountsFile, readTpk } from '../command.js';

/**
 * The gateway's root logger, to stderr unless a stream is given (tests): the line format shared
 * with the kiosk (@bianmin/wire log-format.ts): `time` in Beijing time, `level` labels, redaction.
 */
export function hqLogger(level: string, stream: pino.DestinationStream = pino.destination(2)): pino.Logger {
  return pino({ level, ...sharedLogOptions() }, stream);
}

export const serveCommand: HqCommand = {
  name: 'serve',
  summary: 'run the HQ gateway: ingest, authorisation, acks (until SIGTERM/SIGINT)',
  usage: 'hq serve --config FILE',
  flags: { ...configFlag },
  positionals: 0,
  async run(parsed, io, json) {
    const config = loadConfig(parsed);
    const log = hqLogger(config.logLevel ?? 'info');
    const password = readSecret(config.mqttPasswordFile, 'HQ_MQTT_PASSWORD');
    const bankAccounts =
      config.bankAccountsFile === undefined ? undefined : readBankAccountsFile(config.bankAccountsFile);
    const cardKeySecret = readCardKeySecret(config);
    const mqttTls = mqttTlsFiles(config);
    const gateway = await startGateway({
      ...(mqttTls === undefined ? {} : { mqttTls }),
      store: config.store,
      ...(config.bankDbPath === undefined ? {} : { bankDbPath: config.bankDbPath }),
      brokerUrl: config.brokerUrl,
      clientId: config.clientId,
      hqKeyPem: readFileSync(config.hqKeyFile, 'utf8'),
      tpk: readTpk(config),
      calendarDir: config.calendarDir,
      log,
      ...(config.mqttUsername === undefined ? {} : { mqttUsername: config.mqttUsername }),
      ...(password === undefined ? {} : { mqttPassword: password }),
      ...(config.sharedGroup === undefined ? {} : { sharedGroup: config.sharedGroup }),
      ...(config.broker?.kind === 'nats'
        ? {
            nats: {
              natsUrls: config.broker.natsUrls,
              mqttUrls: config.broker.mqttUrls,
              partitions: config.broker.partitions,
            },
          }
        : {}),
      ...(config.verifyWorkers === undefined ? {} : { verifyWorkers: config.verifyWorkers }),
      ...(config.verifyEverySignature === undefined
        ? {}
        : { verifyEverySignature: config.verifyEverySignature }),
      ...(bankAccounts === undefined ? {} : { bankAccounts }),
      ...(cardKeySecret === undefined ? {} : { cardKeySecret }),
      ...(config.stationSilenceMsMax === undefined
        ? {}
        : { stationSilenceMsMax: config.stationSilenceMsMax }),
      ...(config.http === undefined ? {} : { http: config.http }),
      ...(config.alertWebhookUrl === undefined ? {} : { alertWebhookUrl: config.alertWebhookUrl }),
      ...(config.releasesBaseUrl === undefined ? {} : { releasesBaseUrl: config.releasesBaseUrl }),
      stationDefaults: stationDefaultsOf(config.serviceHours),
      ...(config.releases === undefined ? {} : { releases: releaseApiConfigOf(config.releases) }),
    });
    gateway.pipeline.on('fatal', () => {
      process.exitCode = 1;
      void gateway.stop().finally(() => process.exit(1));
    });
    io.err(
      `hq: serving (stations: ${gateway.pipeline.stationIds().length}, store: ${storeLabel(config.store)}${gateway.httpUrl === undefined ? '' : `, API: ${gateway.httpUrl}`})\n`,
    );
    // "ready" on stdout is what supervisors and tests wait for.
    if (!json) io.out('ready\n');
    else io.out(`${JSON.stringify({ ok: true, command: 'serve', ready: true })}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    await gateway.stop();
    return { data: { stopped: true, counters: gateway.pipeline.counters }, text: '' };
  },
};
