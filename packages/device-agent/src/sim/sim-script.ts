// The JSON script of a device simulator: who the device is, which cards and PINs it has, its delays
// and the faults it injects. Validated at the edge: every problem is reported at once, naming the
// field (R21). The same faults can be added at run time through the control channel (stdin).

export type FaultKind =
  | 'garbage' // random non-newline bytes and a newline before the frame
  | 'bad-crc' // the frame goes out with a wrong CRC (a resend after NAK is correct)
  | 'no-newline' // half of the frame without newline, then the whole frame
  | 'over-long' // a 2 KiB line before the frame
  | 'slow' // the frame goes out delayMs late
  | 'drop' // the frame is not sent at all (the host retransmits or times out)
  | 'vanish'; // the device goes deaf and mute for durationMs (answers nothing, sends nothing)

export interface Fault {
  readonly kind: FaultKind;
  /** Outgoing frame command it applies to ("READ", "CARD_INSERTED", "BUSY", …) or "*". */
  readonly on: string;
  /** How many frames it applies to. */
  count: number;
  readonly delayMs: number;
  readonly durationMs: number;
}

export interface SimCard {
  readonly pan: string;
  readonly expiry: string;
  readonly serviceCode: string;
  /** The reader fails to read this card (READ → ERROR READ_FAILED). */
  readonly readFails: boolean;
}

export type PinAction = 'type' | 'cancel' | 'timeout';

export interface SimPin {
  readonly pan: string;
  readonly pin: string;
  /** type: the customer types the PIN; cancel: presses cancel after one digit; timeout: walks away. */
  readonly action: PinAction;
}

export interface SimScript {
  readonly identity: { readonly model: string; readonly serial: string; readonly firmware: string };
  readonly replyDelayMs: number;
  readonly faults: Fault[];
  // card reader
  readonly cards: readonly SimCard[];
  /** Index of the card in the reader at start, if any. */
  readonly insertOnStart: number | undefined;
  /** On WAIT_CARD with no card in, insert the next card (round robin) after insertDelayMs. */
  readonly autoInsertOnWait: boolean;
  readonly insertDelayMs: number;
  readonly readDelayMs: number;
  // PIN pad
  readonly pins: readonly SimPin[];
  readonly defaultPin: string;
  readonly keyDelayMs: number;
  /** Keys present at power-on (hex, 32 digits), e.g. a test TPK the bank simulator also knows. */
  readonly keys: { readonly tmk: string | undefined; readonly tpk: string | undefined };
}

const faultKinds: readonly FaultKind[] = [
  'garbage',
  'bad-crc',
  'no-newline',
  'over-long',
  'slow',
  'drop',
  'vanish',
];
const pinActions: readonly PinAction[] = ['type', 'cancel', 'timeout'];

type Json = unknown;

class Reader {
  readonly problems: string[] = [];
  constructor(readonly root: Record<string, Json>) {}

  string(
    object: Record<string, Json>,
    key: string,
    path: string,
    fallback: string,
    pattern?: RegExp,
  ): string {
    const value = object[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || (pattern !== undefined && !pattern.test(value))) {
      this.problems.push(
        `${path}${key}: expected a string${pattern === undefined ? '' : ` matching ${pattern}`}`,
      );
      return fallback;
    }
    return value;
  }

  int(object: Record<string, Json>, key: string, path: string, fallback: number): number {
    const value = object[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      this.problems.push(`${path}${key}: expected an integer >= 0`);
      return fallback;
    }
    return value;
  }

  bool(object: Record<string, Json>, key: string, path: string, fallback: boolean): boolean {
    const value = object[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') {
      this.problems.push(`${path}${key}: expected true or false`);
      return fallback;
    }
    return value;
  }

  objects(object: Record<string, Json>, key: string, path: string): Record<string, Json>[] {
    const value = object[key];
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every(isObject)) {
      this.problems.push(`${path}${key}: expected an array of objects`);
      return [];
    }
    return value;
  }

  object(object: Record<string, Json>, key: string, path: string): Record<string, Json> {
    const value = object[key];
    if (value === undefined) return {};
    if (!isObject(value)) {
      this.problems.push(`${path}${key}: expected an object`);
      return {};
    }
    return value;
  }
}

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads one fault (script or control channel); problems are appended to `problems`. */
export function parseFault(value: Json, path: string, problems: string[]): Fault | undefined {
  if (!isObject(value)) {
    problems.push(`${path}: expected an object`);
    return undefined;
  }
  const reader = new Reader(value);
  const kind = reader.string(value, 'kind', path, '');
  if (!faultKinds.includes(kind as FaultKind))
    reader.problems.push(`${path}kind: one of ${faultKinds.join(', ')}`);
  const fault: Fault = {
    kind: kind as FaultKind,
    on: reader.string(value, 'on', path, '*', /^(\*|[A-Z][A-Z0-9_]*)$/),
    count: reader.int(value, 'count', path, 1),
    delayMs: reader.int(value, 'delayMs', path, 2000),
    durationMs: reader.int(value, 'durationMs', path, 3000),
  };
  problems.push(...reader.problems);
  return reader.problems.length === 0 ? fault : undefined;
}

/** Validates a parsed script. Returns the script or every problem found. */
export function parseSimScript(
  value: Json,
): { ok: true; script: SimScript } | { ok: false; problems: string[] } {
  if (!isObject(value)) return { ok: false, problems: ['script: expected a JSON object'] };
  const reader = new Reader(value);
  const identity = reader.object(value, 'identity', '');
  const cards = reader.objects(value, 'cards', '').map((card, index) => ({
    pan: reader.string(card, 'pan', `cards[${index}].`, '', /^[0-9]{12,19}$/),
    expiry: reader.string(card, 'expiry', `cards[${index}].`, '2912', /^[0-9]{4}$/),
    serviceCode: reader.string(card, 'serviceCode', `cards[${index}].`, '220', /^[0-9]{3}$/),
    readFails: reader.bool(card, 'readFails', `cards[${index}].`, false),
  }));
  const pins = reader.objects(value, 'pins', '').map((pin, index) => {
    const action = reader.string(pin, 'action', `pins[${index}].`, 'type');
    if (!pinActions.includes(action as PinAction))
      reader.problems.push(`pins[${index}].action: one of ${pinActions.join(', ')}`);
    return {
      pan: reader.string(pin, 'pan', `pins[${index}].`, '', /^[0-9]{12,19}$/),
      pin: reader.string(pin, 'pin', `pins[${index}].`, '0000', /^[0-9]{4,12}$/),
      action: action as PinAction,
    };
  });
  const faults: Fault[] = [];
  const faultProblems: string[] = [];
  const rawFaults = value.faults;
  if (rawFaults !== undefined && !Array.isArray(rawFaults)) faultProblems.push('faults: expected an array');
  if (Array.isArray(rawFaults)) {
    rawFaults.forEach((raw, index) => {
      const fault = parseFault(raw, `faults[${index}].`, faultProblems);
      if (fault !== undefined) faults.push(fault);
    });
  }
  const keys = reader.object(value, 'keys', '');
  const insertRaw = value.insertOnStart;
  let insertOnStart: number | undefined;
  if (insertRaw !== undefined && insertRaw !== null) {
    insertOnStart = reader.int(value, 'insertOnStart', '', 0);
    if (insertOnStart >= cards.length) reader.problems.push('insertOnStart: no such card');
  }
  const script: SimScript = {
    identity: {
      model: reader.string(identity, 'model', 'identity.', 'SIM-DEVICE', /^[\x20-\x7e]{1,64}$/),
      serial: reader.string(identity, 'serial', 'identity.', 'SIM-0001', /^[\x20-\x7e]{1,64}$/),
      firmware: reader.string(identity, 'firmware', 'identity.', '1.0.0', /^[\x20-\x7e]{1,64}$/),
    },
    replyDelayMs: reader.int(value, 'replyDelayMs', '', 0),
    faults,
    cards,
    insertOnStart,
    autoInsertOnWait: reader.bool(value, 'autoInsertOnWait', '', false),
    insertDelayMs: reader.int(value, 'insertDelayMs', '', 50),
    readDelayMs: reader.int(value, 'readDelayMs', '', 20),
    pins,
    defaultPin: reader.string(value, 'defaultPin', '', '1234', /^[0-9]{4,12}$/),
    keyDelayMs: reader.int(value, 'keyDelayMs', '', 20),
    keys: {
      tmk: keys.tmk === undefined ? undefined : reader.string(keys, 'tmk', 'keys.', '', /^[0-9A-Fa-f]{32}$/),
      tpk: keys.tpk === undefined ? undefined : reader.string(keys, 'tpk', 'keys.', '', /^[0-9A-Fa-f]{32}$/),
    },
  };
  const problems = [...reader.problems, ...faultProblems];
  return problems.length === 0 ? { ok: true, script } : { ok: false, problems };
}
