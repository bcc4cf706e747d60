// Bench: ECDSA P-256 signatures per second through the PKCS#11 signer (SoftHSM2 token; C_SignAsync by
// default and blocking C_Sign), next to Node's own crypto.sign with a software key in the same
// run, and the ratio. Both include hashing the message (SHA-256). Figures: docs/performance.md
// "## Signing". Run: npx tsx packages/device-agent/bench/signer.bench.ts [signCount]
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { Pkcs11Signer } from '../src/adapters/pkcs11/pkcs11-signer.js';
import { ensureSigningKey } from '../src/adapters/pkcs11/provision-key.js';
import { createLogger } from '../src/logging.js';
import { softhsmModulePath, startSoftHsm } from '../test/helpers/softhsm.js';

const signCount = Number(process.argv[2] ?? 5000);
const warmupCount = 200;
const hsm = startSoftHsm({ label: 'BENCH-UK' });
try {
  const base = {
    modulePath: softhsmModulePath,
    token: { label: hsm.label },
    keyLabel: 'bench',
    pin: { file: hsm.pinFile },
  };
  ensureSigningKey(base);
  const logger = createLogger({ name: 'bench-signer', level: 'warn' });
  const pooled = new Pkcs11Signer({ ...base, logger, probe: { enabled: false } });
  const blocking = new Pkcs11Signer({ ...base, logger, probe: { enabled: false }, signCall: 'blocking' });
  const messages = Array.from({ length: 64 }, (_, index) => Buffer.from(`event ${index} ${'x'.repeat(200)}`));

  async function throughSigner(signer: Pkcs11Signer, count: number): Promise<number> {
    const startNs = process.hrtime.bigint();
    for (let index = 0; index < count; index += 1) {
      const digest = createHash('sha256')
        .update(messages[index % messages.length]!)
        .digest();
      await signer.signDigest(digest);
    }
    return Number(process.hrtime.bigint() - startNs) / 1e6;
  }

  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  function throughNode(count: number): number {
    const startNs = process.hrtime.bigint();
    for (let index = 0; index < count; index += 1) {
      sign('sha256', messages[index % messages.length]!, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    }
    return Number(process.hrtime.bigint() - startNs) / 1e6;
  }

  await throughSigner(pooled, warmupCount);
  await throughSigner(blocking, warmupCount);
  throughNode(warmupCount);
  const perS = (ms: number) => Math.round((signCount * 1000) / ms);
  const pooledPerS = perS(await throughSigner(pooled, signCount));
  const blockingPerS = perS(await throughSigner(blocking, signCount));
  const nodePerS = perS(throughNode(signCount));
  console.log(`## Signing (ECDSA P-256 over SHA-256, ${signCount} signatures each, one at a time)`);
  console.log('| path | signs/s | ratio to Node crypto |');
  console.log('|---|---|---|');
  console.log(
    `| PKCS#11 signer, C_SignAsync (default) | ${pooledPerS} | ${(pooledPerS / nodePerS).toFixed(2)} |`,
  );
  console.log(
    `| PKCS#11 signer, C_Sign (signCall: 'blocking') | ${blockingPerS} | ${(blockingPerS / nodePerS).toFixed(2)} |`,
  );
  console.log(`| Node crypto.sign (baseline, software key) | ${nodePerS} | 1.00 |`);
  await pooled.close();
  await blocking.close();
} finally {
  hsm.close();
}
