// Goal: the versioning rule of docs/protocol.md holds: a field number or enum value, once
// published, keeps its name and type forever, or is `reserved`; never reused. Method: load
// proto/ with protobufjs, list every field and enum value, and compare with the committed list
// proto/bianmin/v1/fields.lock. Additions must be appended to the lock: rerun with
// WIRE_UPDATE_FIELDS_LOCK=1 (it only ever adds lines; it refuses to drop or change one).

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import t from 'tap';

const protoRoot = fileURLToPath(new URL('../../../proto/', import.meta.url));
const lockPath = join(protoRoot, 'bianmin/v1/fields.lock');

interface Entry {
  readonly key: string; // "message bianmin.v1.Envelope 1" or "enum bianmin.v1.PayloadType 5"
  readonly value: string; // "signed bytes" or "PAYLOAD_TYPE_BILL_PAYMENT"
  readonly reserved: (number: number) => boolean;
}

function currentEntries(): Map<string, Entry> {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(protoRoot, target);
  const files = readdirSync(join(protoRoot, 'bianmin/v1'))
    .filter((name) => name.endsWith('.proto'))
    .map((name) => `bianmin/v1/${name}`);
  root.loadSync(files, { keepCase: true }).resolveAll();
  const entries = new Map<string, Entry>();
  const isReserved = (reserved: Array<number[] | string> | undefined) => (number: number) =>
    (reserved ?? []).some(
      (range) => Array.isArray(range) && number >= (range[0] ?? 0) && number <= (range[1] ?? 0),
    );
  const walk = (namespace: protobuf.NamespaceBase): void => {
    for (const nested of namespace.nestedArray) {
      if (nested instanceof protobuf.Type) {
        for (const field of nested.fieldsArray) {
          const key = `message ${nested.fullName.slice(1)} ${field.id}`;
          const value = `${field.name} ${field.repeated ? 'repeated ' : ''}${field.type}`;
          entries.set(key, { key, value, reserved: isReserved(nested.reserved) });
        }
      }
      if (nested instanceof protobuf.Enum) {
        for (const [name, id] of Object.entries(nested.values)) {
          const key = `enum ${nested.fullName.slice(1)} ${id}`;
          entries.set(key, { key, value: name, reserved: isReserved(nested.reserved) });
        }
      }
      if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) walk(nested);
    }
  };
  walk(root);
  return entries;
}

function readLock(): Map<string, string> {
  const lines = readFileSync(lockPath, 'utf8').split('\n');
  const locked = new Map<string, string>();
  for (const line of lines) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const [key, value] = line.split(' = ');
    if (key === undefined || value === undefined) throw new Error(`bad lock line: ${line}`);
    locked.set(key, value);
  }
  return locked;
}

t.test('no published field or enum value changed, vanished or was reused', async (t) => {
  const current = currentEntries();
  const locked = readLock();
  const problems: string[] = [];
  for (const [key, value] of locked) {
    const now = current.get(key);
    if (now === undefined) {
      // Removed: allowed only when the number is reserved in the message or enum.
      const [, typeName, number] = key.split(' ');
      const reservedNow = [...current.values()].some(
        (entry) => entry.key.split(' ')[1] === typeName && entry.reserved(Number(number)),
      );
      if (!reservedNow) problems.push(`${key} (${value}) was removed without being reserved`);
    } else if (now.value !== value) {
      problems.push(`${key} changed from "${value}" to "${now.value}"`);
    }
  }
  t.same(problems, [], 'every locked entry is intact');

  const added = [...current.values()].filter((entry) => !locked.has(entry.key));
  if (added.length > 0 && process.env.WIRE_UPDATE_FIELDS_LOCK === '1' && problems.length === 0) {
    const text = readFileSync(lockPath, 'utf8');
    writeFileSync(lockPath, text + added.map((entry) => `${entry.key} = ${entry.value}\n`).join(''));
  } else {
    t.same(
      added.map((entry) => entry.key),
      [],
      'new fields are in proto/bianmin/v1/fields.lock (rerun with WIRE_UPDATE_FIELDS_LOCK=1)',
    );
  }
});
