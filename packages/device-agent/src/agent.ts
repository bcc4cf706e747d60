// The kiosk agent as the rest of the repo opens it: the facade (app/kiosk-agent.ts, ports only)
// wired to the real link to HQ (MQTT, or `makeLink` in tests) after the journal's integrity check.
import type { WorkingCalendar } from '@bianmin/core-ledger';
import { downTopic, upTopic } from '@bianmin/wire';
import { MqttLink, type MqttLinkOptions } from './adapters/mqtt/mqtt-link.js';
import type { MqttTlsFiles } from './adapters/mqtt/tls.js';
import { checkOpenDb } from './adapters/sqlite/integrity.js';
import type { KioskDb } from './adapters/sqlite/kiosk-db.js';
import { StoreMaintenance } from './adapters/sqlite/maintenance.js';
import { KioskAgentCore, type KioskAgentPorts } from './app/kiosk-agent.js';
import { loadCalendar } from './config/calendar.js';
import { AgentError } from './errors.js';
import {
  downlinkRenewTimeoutMs,
  downlinkStallMsInitial,
  downlinkStallMsMax,
  linkBackoffMsInitial,
  linkBackoffMsMax,
  linkConnectTimeoutMs,
  linkHeartbeatMs,
  linkKeepaliveSeconds,
  outboxAckFlushMs,
  outboxAckTimeoutMs,
  outboxInFlightCountMax,
} from './limits.js';
import type { PublisherPort } from './ports/publisher.js';

export { systemClock } from './adapters/system/clock.js';
export type { HqPublicKey } from './app/hq-inbox.js';

export interface KioskAgentOptions extends KioskAgentPorts {
  /** The SQLite journal: its integrity is checked before the agent opens (the facade sees only its ports). */
  readonly db: KioskDb;
  readonly mqtt: {
    readonly brokerUrl: string;
    /** Brokers in the order tried (config mqtt.urls); default [brokerUrl]. */
    readonly brokerUrls?: readonly string[];
    readonly username?: string;
    readonly password?: string;
    /** TLS files of the broker link (config mqtt.tls). */
    readonly tls?: MqttTlsFiles;
    readonly windowMax?: number;
    readonly ackTimeoutMs?: number;
    readonly heartbeatMs?: number;
    readonly backoffMsInitial?: number;
    readonly backoffMsMax?: number;
  };
  /** Folder of the working-day calendars (cn-YYYY.json) when `calendar` is not given. Default: data/calendar. */
  readonly calendarDir?: string;
  /** Replaces the MQTT link (tests). */
  readonly makeLink?: (options: MqttLinkOptions) => PublisherPort;
}

export class KioskAgent extends KioskAgentCore {
  /** WAL checkpoints and writes a full disk postponed, retried on a timer (issue 9). */
  #maintenance: StoreMaintenance | null = null;

  /**
   * Opens the agent: checks the journal (throws AGENT_JOURNAL_CHAIN_BROKEN / AGENT_OUTBOX_GAP and
   * the other integrity codes), rebuilds state from the journal, loads the last good HQ config,
   * and settles every withdrawal a previous process died in. Does not connect.
   */
  static async open(options: KioskAgentOptions): Promise<KioskAgent> {
    const integrity = checkOpenDb(options.db, 'kiosk.db');
    if (integrity.status === 'corrupt') {
      throw new AgentError(integrity.code, integrity.detail, {
        details: { badIndex: integrity.badIndex ?? -1 },
      });
    }
    const agent = new KioskAgent(
      { ...options, calendar: options.calendar ?? defaultCalendar(options) },
      (status) => {
        const linkOptions = mqttLinkOptions(options, status);
        return options.makeLink === undefined ? new MqttLink(linkOptions) : options.makeLink(linkOptions);
      },
    );
    agent.#maintenance = new StoreMaintenance({
      db: options.db,
      clock: options.clock,
      logger: options.logger,
    });
    await agent.init();
    return agent;
  }

  override start(): void {
    super.start();
    this.#maintenance?.start();
  }

  override async stop(): Promise<void> {
    this.#maintenance?.stop();
    await super.stop();
  }
}

/** data/calendar of the repository, read once per open; what cannot be read is logged (R6 changes then refused). */
function defaultCalendar(options: KioskAgentOptions): WorkingCalendar {
  const loaded = loadCalendar(options.calendarDir);
  for (const problem of loaded.problems)
    options.logger.warn({ code: 'AGENT_CALENDAR_UNAVAILABLE', problem }, 'working-day calendar incomplete');
  return loaded.calendar;
}

/** The MQTT link of one station: its topics, the outbox, limits from limits.ts unless overridden. */
function mqttLinkOptions(options: KioskAgentOptions, status: MqttLinkOptions['status']): MqttLinkOptions {
  const st = options.stationId;
  const mqtt = options.mqtt;
  return {
    brokerUrl: mqtt.brokerUrl,
    ...(mqtt.brokerUrls === undefined ? {} : { brokerUrls: mqtt.brokerUrls }),
    stationId: st,
    ...(mqtt.username === undefined ? {} : { username: mqtt.username }),
    ...(mqtt.password === undefined ? {} : { password: mqtt.password }),
    ...(mqtt.tls === undefined ? {} : { tls: mqtt.tls }),
    topics: {
      event: upTopic(st, 'event'),
      birth: upTopic(st, 'birth'),
      death: upTopic(st, 'death'),
      telemetry: upTopic(st, 'telemetry'),
      subscribe: [
        downTopic(st, 'ack'),
        downTopic(st, 'auth-resp'),
        downTopic(st, 'config'),
        downTopic(st, 'cmd'),
      ],
      ack: downTopic(st, 'ack'),
      authResponse: downTopic(st, 'auth-resp'),
    },
    outbox: options.db,
    status,
    clock: options.clock,
    logger: options.logger,
    windowMax: mqtt.windowMax ?? outboxInFlightCountMax,
    ackTimeoutMs: mqtt.ackTimeoutMs ?? outboxAckTimeoutMs,
    heartbeatMs: mqtt.heartbeatMs ?? linkHeartbeatMs,
    backoffMsInitial: mqtt.backoffMsInitial ?? linkBackoffMsInitial,
    backoffMsMax: mqtt.backoffMsMax ?? linkBackoffMsMax,
    connectTimeoutMs: linkConnectTimeoutMs,
    keepaliveSeconds: linkKeepaliveSeconds,
    ackFlushMs: outboxAckFlushMs,
    downlinkStall: { stallMsInitial: downlinkStallMsInitial, stallMsMax: downlinkStallMsMax },
    downlinkRenewTimeoutMs,
  };
}
