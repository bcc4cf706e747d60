// Goal: the contract documents say what the code does. Every complete serial frame shown in
// docs/serial-protocol.md decodes with its CRC; its numbers (line cap, attempts, queue) and its
// simulator script example are the code's; every topic, QoS, retain flag, ACL line, payload type,
// size limit, signing prefix and proto snippet in docs/protocol.md matches @bianmin/wire, the
// .proto files and deploy/mosquitto/; and every repository path named in docs/**/*.md or README.md
// exists. Method: parse the Markdown (code spans, tables, fenced blocks) and compare it with the
// code, one assertion per example so a wrong one is named.
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildSigned,
  channelPublishOptions,
  downTopic,
  envelopeDigest,
  envelopeSignaturePrefix,
  hqSharedSubscription,
  hqSubscription,
  kioskSubscription,
  limits,
  PayloadType,
  payloadSpecs,
  sealEnvelope,
  upTopic,
  v1,
} from '@bianmin/wire';
import t from 'tap';
import { crc16CcittFalseAscii } from '../../packages/device-agent/src/domain/serial/crc16.js';
import { decodeFrame } from '../../packages/device-agent/src/domain/serial/frame.js';
import * as agentLimits from '../../packages/device-agent/src/limits.js';
import { parseSimScript } from '../../packages/device-agent/src/sim/sim-script.js';
import { verifyRunLengthMax } from '../../packages/hq-gateway/src/limits.js';

// Sample messages as in packages/wire/test/fixtures.ts (not imported: that file loads the wire
// sources a second time next to @bianmin/wire's build).
const at = 1_764_300_000_000;
function sample<T extends PayloadType>(type: T, body: object) {
  return {
    stationId: 'ST0001',
    keyId: 'k'.repeat(64),
    seq: 1,
    eventId: `ev-${type}-1`,
    createdAtMs: at,
    type,
    body,
  };
}
const billInput = sample(PayloadType.PAYLOAD_TYPE_BILL_PAYMENT, {
  transactionId: 'tx-4',
  billerKind: v1.BillerKind.BILLER_KIND_ELECTRICITY,
  billerCode: 'SGCC-SH',
  accountNumber: '0012345678',
  amountFen: 12_345,
  quotaFenAfter: 987_655,
  receiptNumber: 'RC-ST0001-000002',
  feeFen: 0,
  feeScheduleVersion: 1,
  paidAtMs: at,
  businessDate: '2026-11-28',
});
const closeInput = sample(PayloadType.PAYLOAD_TYPE_DAILY_CLOSE, {
  businessDate: '2026-11-28',
  totals: [1, 2, 3, 4, 5].map((kind) => ({
    kind,
    count: 1,
    amountFen: 50_000,
    feeFen: 100,
    quotaFenConsumed: 0,
  })),
  closeHash: 'a'.repeat(64),
  previousCloseHash: 'b'.repeat(64),
  firstSeq: 1,
  lastSeq: 9,
  quotaFenOpening: 1_000_000,
  quotaFenClosing: 1_032_655,
  closedAtMs: at,
  closeSequence: 12,
  holdsPendingCount: 0,
});

const repo = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(repo, path), 'utf8');
const serialDoc = read('docs/serial-protocol.md');
const protocolDoc = read('docs/protocol.md');

/** Every inline code span of a Markdown text (outside fenced blocks). */
function codeSpans(markdown: string): string[] {
  const outside = markdown.replace(/```[\s\S]*?```/g, '');
  return [...outside.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!.replace(/\\\|/g, '|'));
}

/** Rows of the Markdown table whose header row contains `headerText`, as trimmed cells. */
function tableRows(markdown: string, headerText: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.startsWith('|') && line.includes(headerText));
  if (start < 0) throw new Error(`no table with ${headerText}`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((cell) => cell.replace(/\\\|/g, '|').trim()),
    );
  }
  return rows;
}

const unquote = (cell: string) => cell.replace(/^`|`$/g, '');

t.test('serial-protocol.md: every complete frame decodes, CRC included', async (t) => {
  const frameLike = /^[0-9A-Z]{2}\|[A-Z][A-Z0-9_]*\|[^|]*\|[0-9A-Za-z]{4}$/;
  const frames = codeSpans(serialDoc).filter((span) => frameLike.test(span));
  const templates = frames.filter((frame) => /^SS\||\|CCCC$|nonce=N\|/.test(frame));
  const complete = frames.filter((frame) => !templates.includes(frame));
  t.ok(complete.length >= 2, `complete frames found: ${complete.join(', ')}`);
  for (const frame of complete) {
    const decoded = decodeFrame(new TextEncoder().encode(frame));
    t.equal(decoded.ok, true, `${frame} decodes (${decoded.ok ? 'ok' : decoded.code})`);
  }
  for (const template of templates) t.match(template, /SS|CCCC|=N\|/, `${template} is a template`);
  t.match(serialDoc, /check "123456789" → 29B1/);
  t.equal(crc16CcittFalseAscii('123456789'), 0x29b1, 'the published CRC check value');
});

t.test("serial-protocol.md: the numbers are the code's", async (t) => {
  t.match(
    serialDoc,
    new RegExp(`at most \\*\\*${agentLimits.serialLineBytesMax} bytes\\*\\* \\(\`serialLineBytesMax\`\\)`),
  );
  t.match(serialDoc, new RegExp(`At most \\*\\*${agentLimits.serialAttemptsMax} transmissions\\*\\*`));
  t.match(serialDoc, new RegExp(`${agentLimits.serialQueueCountMax} waiting\\s+\\(\`serialQueueCountMax\``));
  t.equal(agentLimits.serialHeartbeatMissesMax, 2, 'two heartbeats in a row unanswered');
});

t.test('serial-protocol.md: the simulator script example parses', async (t) => {
  const block = /Script \(every field optional[\s\S]*?```json\n([\s\S]*?)```/.exec(serialDoc)?.[1];
  t.ok(block, 'the script example is there');
  const parsed = parseSimScript(JSON.parse(block!));
  t.same(parsed.ok ? [] : parsed.problems, [], 'parseSimScript accepts it');
});

t.test('protocol.md: topics, QoS and retain are the wire package', async (t) => {
  const rows = tableRows(protocolDoc, '| direction | topic |');
  t.equal(rows.length, 9, 'one row per channel');
  for (const [direction, topicCell, , qos, retained] of rows) {
    const topic = unquote(topicCell!);
    const match = /^bianmin\/v1\/st\/\{stationId\}\/(up|down)\/([a-z-]+)$/.exec(topic);
    t.ok(match, `${topic} has the documented shape`);
    const [, way, channel] = match!;
    t.equal(direction, way === 'up' ? 'kiosk → HQ' : 'HQ → kiosk', `${topic}: direction`);
    const built = way === 'up' ? upTopic('ZJ-001', channel as never) : downTopic('ZJ-001', channel as never);
    t.equal(built, topic.replace('{stationId}', 'ZJ-001'), `${topic}: the code builds it`);
    const options = channelPublishOptions[channel as keyof typeof channelPublishOptions];
    t.equal(Number(qos), options.qos, `${topic}: QoS`);
    t.equal(retained === '**yes**', options.retain, `${topic}: retained`);
  }
  t.equal(hqSubscription, 'bianmin/v1/st/+/up/#');
  t.equal(kioskSubscription('ZJ-001'), 'bianmin/v1/st/ZJ-001/down/#');
  t.equal(hqSharedSubscription('g'), '$share/g/bianmin/v1/st/+/up/#');
  t.match(protocolDoc, '`bianmin/v1/st/+/up/#` (or `$share/{group}/bianmin/v1/st/+/up/#`');
});

t.test('protocol.md: the ACL shown is the shipped one', async (t) => {
  const acl = read('deploy/mosquitto/acl').split('\n');
  const block = /a station\s+publishes on its own five up-topics only[\s\S]*?```\n([\s\S]*?)```/.exec(
    protocolDoc,
  )?.[1];
  t.ok(block, 'the ACL example is there');
  for (const line of block!.trim().split('\n'))
    t.ok(acl.includes(line.trim()), `in deploy/mosquitto/acl: ${line.trim()}`);
  for (const line of ['topic read bianmin/v1/st/+/up/#', 'topic write bianmin/v1/st/+/down/#']) {
    t.ok(protocolDoc.includes(`\`${line}\``) && acl.includes(line), line);
  }
  const config = read('deploy/mosquitto/mosquitto.conf');
  t.match(config, /^message_size_limit 65536$/m, 'the broker cap the page names');
  t.equal(limits.envelopeBytesMax, 65_536);
});

t.test('protocol.md: payload types, channels, signers, seq rule', async (t) => {
  const rows = tableRows(protocolDoc, '| `PayloadType` | message |');
  t.equal(rows.length, Object.keys(payloadSpecs).length, 'one row per known payload type');
  for (const [typeCell, messageCell, topicCell, signer, seq] of rows) {
    const [, number, name] = /^(\d+) `([A-Z_]+)`$/.exec(typeCell!)!;
    const value = (PayloadType as unknown as Record<string, number>)[`PAYLOAD_TYPE_${name}`];
    t.equal(value, Number(number), `${name} = ${number}`);
    const spec = payloadSpecs[Number(number) as keyof typeof payloadSpecs];
    t.equal(spec.name, unquote(messageCell!), `${name}: message`);
    const channel = /^(?:up|down)\/([a-z-]+)/.exec(topicCell!)?.[1] ?? null;
    t.equal(spec.channel, channel, `${name}: channel`);
    t.equal(
      spec.signer === 'hq' ? 'HQ' : 'station',
      /^HQ/.test(signer!) ? 'HQ' : 'station',
      `${name}: signer`,
    );
    t.equal(spec.journaled, seq === '≥ 1', `${name}: seq rule`);
  }
});

t.test('protocol.md: envelope, signing prefix, proto snippet, sizes', async (t) => {
  const prefix = Buffer.from(envelopeSignaturePrefix);
  t.equal(prefix.length, 20, 'the 20-byte prefix including its NUL');
  t.equal(prefix.toString('latin1'), 'BIANMIN-V1-ENVELOPE\u0000');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const bill = billInput as Parameters<typeof buildSigned>[0];
  const signed = buildSigned(bill);
  t.same(
    Buffer.from(envelopeDigest(signed)),
    createHash('sha256').update(prefix).update(signed).digest(),
    'digest = SHA-256(prefix || signed)',
  );
  const billBytes = sealEnvelope(bill, privateKey).length;
  t.ok(billBytes >= 150 && billBytes <= 280, `a BillPayment envelope is about 210 bytes (${billBytes})`);
  const close = sealEnvelope(closeInput as Parameters<typeof buildSigned>[0], privateKey).length;
  t.ok(close < 1024, `a DailyClose under 1 KiB (${close})`);
  // The proto snippet's fields are the .proto file's.
  const proto = read('proto/bianmin/v1/envelope.proto');
  const snippet = /```proto\n([\s\S]*?)```/.exec(protocolDoc)![1]!;
  for (const [, type, name, number] of snippet.matchAll(/(\w+) (\w+) = (\d+);/g)) {
    t.match(
      proto,
      new RegExp(`^\\s*${type} ${name} = ${number};`, 'm'),
      `${name} = ${number} in envelope.proto`,
    );
  }
  // The size table.
  const sizes = Object.fromEntries(tableRows(protocolDoc, '| limit | value |').map(([k, v]) => [k, v]));
  const num = (text: string | undefined) => Number((text ?? '').replace(/[^\d].*$/, '').replace(/,/g, ''));
  t.equal(num(sizes['`Envelope` bytes']?.replace(/,/g, '')), limits.envelopeBytesMax);
  t.equal(num(sizes['`Envelope.signed` bytes']?.replace(/,/g, '')), limits.signedBytesMax);
  t.equal(num(sizes['`SignedHeader.body` bytes']?.replace(/,/g, '')), limits.bodyBytesMax);
  t.equal(sizes.signature, `exactly ${limits.signatureBytes} bytes`);
  t.equal(sizes['station id'], `1–${limits.stationIdCharsMax} of \`[A-Za-z0-9_-]\``);
  t.equal(sizes['key ids'], `1–${limits.keyIdCharsMax} printable ASCII`);
  t.equal(sizes['free text (`detail`)'], `${limits.detailCharsMax} characters`);
  t.equal(sizes['any repeated field'], `${limits.repeatedItemsMax} items`);
  t.equal(sizes['public key SPKI DER'], `1–${limits.publicKeySpkiBytesMax} bytes`);
  t.equal(sizes.PAN, `${limits.panDigitsMin}–${limits.panDigitsMax} digits`);
  t.equal(sizes.topic, `${limits.topicCharsMax} characters`);
  t.match(protocolDoc, `(at most ${verifyRunLengthMax} per run)`, 'the chained-run cap');
});

t.test('docs reference only files that exist in this repository', async (t) => {
  const files: string[] = ['README.md'];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(repo, dir))) {
      const path = `${dir}/${name}`;
      if (statSync(join(repo, path)).isDirectory()) walk(path);
      else if (name.endsWith('.md')) files.push(path);
    }
  };
  walk('docs');
  const roots = ['packages', 'docs', 'scripts', 'test', 'proto', 'data', 'deploy'];
  const pattern = new RegExp(`(?<![\\w./-])((?:${roots.join('|')})/[A-Za-z0-9_./{}*<>$-]*)`, 'g');
  const missing: string[] = [];
  let checked = 0;
  for (const file of files) {
    for (const match of read(file).matchAll(pattern)) {
      const path = match[1]!.replace(/[.,:;)]+$/, '');
      if (/[*{}<>$]/.test(path)) continue; // a pattern, not a path
      // Built output is not in the repository: dist/X.js stands for src/X.ts.
      const source = path.replace(/\/dist\/(.+)\.js$/, '/src/$1.ts');
      checked += 1;
      if (!existsSync(join(repo, source))) missing.push(`${file}: ${path}`);
    }
  }
  t.ok(checked > 50, `${checked} references checked in ${files.length} files`);
  t.same(missing, [], 'every referenced path exists');
  t.equal(relative(repo, join(repo, 'docs')), 'docs');
});
