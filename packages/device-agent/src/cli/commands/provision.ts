// `kiosk provision`: make this kiosk ready to enrol. Validates the config (from --template or the
// existing --config file, with --station-id / --org-code applied), creates the signing key ON the
// token when it has none (never overwriting one), reads the serial numbers of the card reader, the
// PIN pad and the token, writes the device config (pinning the token by serial) and prints the
// enrolment request HQ reads (`hq station enrol`); its shape is in docs/operations.md. The request
// carries `proof`: an EnrolmentRequest wire envelope signed ON the token by the very key it enrols
// (proof of possession, docs/protocol.md "Enrolment"); HQ refuses a request without a valid one.
import { randomBytes } from 'node:crypto';
import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import { newEventId, PayloadType } from '@bianmin/wire';
import { Pkcs11Signer } from '../../adapters/pkcs11/pkcs11-signer.js';
import { type EnsuredKey, ensureSigningKey } from '../../adapters/pkcs11/provision-key.js';
import { checkConfigValue, loadConfigFile } from '../../config/load.js';
import type { DeviceConfig } from '../../config/schema.js';
import { signerOptionsOf, tokenAccessOf } from '../../config/signer-options.js';
import { signEnvelope } from '../../domain/tx/envelope.js';
import { isAgentError } from '../../errors.js';
import type { DeviceIdentity } from '../../ports/card-reader.js';
import { commonFlags, type Problem, stringFlag } from '../args.js';
import { type Command, configFlag, configPathOf } from '../command.js';
import { cliLogger } from '../peripherals.js';
import { exitProblems, reportJson, reportProblems } from '../report.js';

export const enrolmentRequestKind = 'bianmin.kiosk.enrolment-request';
/** The agent version the proof names (the package's version). */
const agentVersionText = '0.1.0';

export interface EnrolmentRequest {
  readonly kind: typeof enrolmentRequestKind;
  readonly version: 1;
  readonly createdAt: string;
  readonly station: { readonly id: string; readonly orgCode: string };
  readonly devices: {
    readonly cardReader: DeviceIdentity;
    readonly pinPad: DeviceIdentity;
    readonly token: {
      readonly label: string;
      readonly serialNumber: string;
      readonly model: string;
      readonly manufacturer: string;
    };
  };
  readonly signingKey: {
    readonly algorithm: 'ECDSA-P256-SHA256';
    readonly keyLabel: string;
    readonly publicKeyPem: string;
    readonly spkiDerBase64: string;
    readonly fingerprintSha256Hex: string;
  };
  /** Base64 of the EnrolmentRequest envelope signed by the key above (proof of possession). */
  readonly proof: string;
}

/** Signs the enrolment request on the token with the key it enrols: HQ's proof of possession. */
async function signEnrolmentProof(config: DeviceConfig, key: EnsuredKey, nowMs: number): Promise<Uint8Array> {
  const signer = new Pkcs11Signer({
    ...signerOptionsOf(config, cliLogger(config), { probe: { enabled: false } }),
    token: { serial: key.token.serial }, // the token the key was just made on
  });
  try {
    const keyId = key.publicKey.fingerprintSha256Hex;
    return await signEnvelope(
      signer,
      { stationId: config.station.id, keyId, seq: 0, eventId: newEventId(nowMs), createdAtMs: nowMs },
      {
        type: PayloadType.PAYLOAD_TYPE_ENROLMENT_REQUEST,
        body: {
          stationId: config.station.id,
          orgCode: config.station.orgCode,
          keyId,
          publicKeySpkiDer: key.publicKey.spkiDer,
          tokenSerial: key.token.serial,
          tokenLabel: key.token.label,
          agentVersion: agentVersionText,
        },
      },
    );
  } finally {
    await signer.close();
  }
}

async function identify(
  name: string,
  timeoutMs: number,
  open: () => {
    start(): void;
    stop(): Promise<void>;
    whenOpen(ms: number): Promise<void>;
    identify(): Promise<DeviceIdentity>;
  },
): Promise<DeviceIdentity | Problem> {
  const driver = open();
  try {
    driver.start();
    await driver.whenOpen(timeoutMs);
    return await driver.identify();
  } catch (error) {
    return {
      code: 'AGENT_CLI_PERIPHERAL_FAILED',
      key: name,
      message: `${isAgentError(error) ? `${error.code}: ` : ''}${(error as Error).message}`,
    };
  } finally {
    await driver.stop().catch(() => undefined);
  }
}

function isProblem(value: DeviceIdentity | Problem): value is Problem {
  return 'code' in value;
}

function writeConfigAtomically(file: string, config: unknown): void {
  const temp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o640 });
  chmodSync(temp, 0o640);
  renameSync(temp, file);
}

export const provisionCommand: Command = {
  name: 'provision',
  summary: 'create the signing key on the token, write the config, print the enrolment request',
  usage: 'provision [--config FILE] [--template FILE] [--station-id ID] [--org-code CODE] [--json]',
  details:
    'Reads the config from --template (default: the --config file itself), applies --station-id and\n' +
    '--org-code, checks it (every problem at once), creates the P-256 signing key ON the token when it\n' +
    'has none (an existing key is never overwritten), reads the reader, PIN pad and token serial\n' +
    "numbers, writes the config to --config (token pinned by serial, the serial devices' serial\n" +
    'numbers recorded for kiosk doctor) and prints the enrolment request\n' +
    'for HQ as JSON on stdout (with --json: inside the result, under "enrolment").',
  flags: {
    ...commonFlags,
    ...configFlag,
    template: { type: 'string', valueName: 'FILE', description: 'config to start from (default: --config)' },
    'station-id': { type: 'string', valueName: 'ID', description: 'station id given by HQ' },
    'org-code': { type: 'string', valueName: 'CODE', description: 'station org code (机构代码) given by HQ' },
  },
  async run(parsed, io, deps) {
    const json = parsed.values.json === true;
    const file = configPathOf(parsed, io);
    const template = stringFlag(parsed, 'template') ?? file;
    if (parsed.positionals.length > 0) {
      return reportProblems(
        io,
        'provision',
        [
          {
            code: 'AGENT_CLI_BAD_ARGUMENT',
            key: parsed.positionals[0]!,
            message: 'provision takes no arguments',
          },
        ],
        json,
        2,
      );
    }
    const loaded = loadConfigFile(template);
    if (loaded.raw === undefined) return reportProblems(io, 'provision', loaded.problems, json, exitProblems);
    const raw = structuredClone(loaded.raw) as Record<string, unknown> & {
      station?: Record<string, unknown>;
    };
    const stationId = stringFlag(parsed, 'station-id');
    const orgCode = stringFlag(parsed, 'org-code');
    if (stationId !== undefined || orgCode !== undefined) {
      const station = typeof raw.station === 'object' && raw.station !== null ? raw.station : {};
      raw.station = {
        ...station,
        ...(stationId === undefined ? {} : { id: stationId }),
        ...(orgCode === undefined ? {} : { orgCode }),
      };
    }
    const checked = checkConfigValue(file, raw);
    if (checked.config === null) return reportProblems(io, 'provision', checked.problems, json, exitProblems);
    const config: DeviceConfig = checked.config;

    const problems: Problem[] = [];
    let key: EnsuredKey | null = null;
    try {
      key = ensureSigningKey(tokenAccessOf(config));
    } catch (error) {
      if (!isAgentError(error)) throw error;
      problems.push({ code: error.code, key: 'token', message: error.message });
    }
    const reader = await identify('card reader', config.serial.cardReader.commandTimeoutMs, () =>
      deps.peripherals.cardReader(config),
    );
    const pad = await identify('pin pad', config.serial.pinPad.commandTimeoutMs, () =>
      deps.peripherals.pinPad(config),
    );
    if (isProblem(reader)) problems.push(reader);
    if (isProblem(pad)) problems.push(pad);
    if (problems.length > 0 || key === null || isProblem(reader) || isProblem(pad)) {
      return reportProblems(io, 'provision', problems, json, exitProblems, {
        keyCreated: key?.created ?? false,
      });
    }

    let proof: Uint8Array;
    try {
      proof = await signEnrolmentProof(config, key, io.nowMs());
    } catch (error) {
      if (!isAgentError(error)) throw error;
      return reportProblems(
        io,
        'provision',
        [{ code: error.code, key: 'token', message: error.message }],
        json,
        exitProblems,
        {
          keyCreated: key.created,
        },
      );
    }
    // Pinned in the config: the token by serial, and each serial device's serial number, which
    // kiosk doctor compares with the device that answers (a swapped device or cable FAILs).
    const rawConfig = raw as { serial?: { cardReader?: object; pinPad?: object } };
    const pinned = {
      ...(raw as object),
      serial: {
        ...rawConfig.serial,
        cardReader: { ...rawConfig.serial?.cardReader, serialNumber: reader.serialNumber },
        pinPad: { ...rawConfig.serial?.pinPad, serialNumber: pad.serialNumber },
      },
      token: { ...config.token, serial: key.token.serial },
    };
    writeConfigAtomically(file, pinned);
    const enrolment: EnrolmentRequest = {
      kind: enrolmentRequestKind,
      version: 1,
      createdAt: new Date(io.nowMs()).toISOString(),
      station: { id: config.station.id, orgCode: config.station.orgCode },
      devices: {
        cardReader: {
          model: reader.model,
          serialNumber: reader.serialNumber,
          firmwareVersion: reader.firmwareVersion,
        },
        pinPad: { model: pad.model, serialNumber: pad.serialNumber, firmwareVersion: pad.firmwareVersion },
        token: {
          label: key.token.label,
          serialNumber: key.token.serial,
          model: key.token.model,
          manufacturer: key.token.manufacturer,
        },
      },
      signingKey: {
        algorithm: 'ECDSA-P256-SHA256',
        keyLabel: config.token.keyLabel,
        publicKeyPem: key.publicKey.pem,
        spkiDerBase64: Buffer.from(key.publicKey.spkiDer).toString('base64'),
        fingerprintSha256Hex: key.publicKey.fingerprintSha256Hex,
      },
      proof: Buffer.from(proof).toString('base64'),
    };
    if (json) {
      reportJson(io, 'provision', { configWritten: file, keyCreated: key.created, enrolment });
    } else {
      io.err(
        `kiosk provision: ${key.created ? 'created the signing key on' : 'kept the existing signing key on'} token ` +
          `${key.token.serial}; wrote ${file}\nkey fingerprint ${key.publicKey.fingerprintSha256Hex}\n` +
          'send the enrolment request below to HQ (hq station enrol):\n',
      );
      io.out(`${JSON.stringify(enrolment, null, 2)}\n`);
    }
    return 0;
  },
};
