// `hq audit signatures`: re-check every stored event's own signature and chain link (read-only).
import { auditStation } from '../../app/audit.js';
import { HqError, type HqProblem } from '../../errors.js';
import { configFlag, type HqCommand, usageError, withStore } from '../command.js';

export const auditSignaturesCommand: HqCommand = {
  name: 'audit signatures',
  summary: "re-check every stored event's own signature and every chain link (offline, read-only)",
  usage: 'hq audit signatures [--station ID] --config FILE',
  flags: {
    ...configFlag,
    station: { type: 'string', valueName: 'ID', description: 'one station only (default: all)' },
  },
  positionals: 0,
  async run(parsed, io, json) {
    return await withStore(parsed, async (store) => {
      const only = typeof parsed.values.station === 'string' ? parsed.values.station : undefined;
      const stations = (await store.listStations()).filter((s) => only === undefined || s.stationId === only);
      if (only !== undefined && stations.length === 0) {
        throw usageError([
          { code: 'HQ_CLI_USAGE', field: '--station', message: `no station ${only} is enrolled` },
        ]);
      }
      const audits = [];
      for (const station of stations) {
        audits.push(
          auditStation(
            station.stationId,
            station.publicKeyPem,
            await store.eventsOfStation(station.stationId),
          ),
        );
      }
      const lines = audits.map(
        (a) =>
          `${a.stationId.padEnd(12)} events ${String(a.eventsChecked).padStart(7)}  signatures invalid ${a.signaturesInvalid.length}  ` +
          `links checked ${a.linksChecked}, broken ${a.linksBroken.length}, unlinked ${a.unlinked}`,
      );
      // The per-station lines go out even when problems follow: they say what was checked.
      if (!json) io.out(`${lines.join('\n')}\n`);
      const problems: HqProblem[] = [];
      for (const a of audits) {
        for (const bad of a.signaturesInvalid) {
          problems.push({
            code: 'HQ_AUDIT_SIGNATURE_INVALID',
            field: `${a.stationId}#${bad.seq}`,
            message: `event ${bad.eventId}: its own signature or stored hash does not verify`,
          });
        }
        for (const bad of a.linksBroken) {
          problems.push({
            code: 'HQ_DISCREPANCY_CHAIN_BROKEN',
            field: `${a.stationId}#${bad.seq}`,
            message: `event ${bad.eventId} links to an envelope other than the stored seq ${bad.seq - 1}`,
          });
        }
      }
      if (problems.length > 0)
        throw new HqError('HQ_AUDIT_SIGNATURE_INVALID', 'the audit found problems', { problems });
      return { data: { stations: audits }, text: '' };
    });
  },
};
