// The one door to the generated protobuf code (../generated/bianmin.js, from proto/ by
// scripts/proto-gen.sh). It imports ./protobuf-runtime.js first, which switches protobufjs to
// plain-number int64, so every default and every decoded int64 below is a JS number; then it
// makes the secret-carrying AuthorisationRequest unprintable (secrets.ts).
import './protobuf-runtime.js';
import { bianmin } from '../generated/bianmin.js';
import { redactAuthorisationRequest } from './secrets.js';

redactAuthorisationRequest(bianmin.v1.AuthorisationRequest);

export { bianmin };
/** The `bianmin.v1` protobuf namespace: message classes with encode/decode, and enums. */
export const v1 = bianmin.v1;
