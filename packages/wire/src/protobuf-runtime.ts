// Configures the protobufjs runtime shared by the generated code: int64 fields decode to plain
// JS numbers, never Long objects (docs/decisions/wire-int64-as-number.md).
//
// Why here and not with pbjs --force-number alone: protobufjs 8 ships `long` as a dependency,
// and when util.Long is present the generated decoders return Long objects whatever the
// generation flags say, while the .d.ts says `number`. Removing Long and reconfiguring makes
// the runtime match the types. A value beyond 2^53 then decodes to an unsafe number, which the
// validators refuse (WIRE_BAD_FIELD): nothing is silently rounded into the ledger.
// This module must be evaluated before ../generated/bianmin.js (see generated.ts), because the
// generated classes read util.Long once at load time for their int64 defaults.
import protobuf from 'protobufjs/minimal.js';

protobuf.util.Long = undefined as unknown as typeof protobuf.util.Long;
protobuf.configure();

export const protobufLongsAreNumbers = true;
