// A throw-away certificate authority for tests, made with the openssl command line at test time
// (no private key is ever committed): a CA, a server certificate for 127.0.0.1/localhost, and
// client certificates on demand. EC P-256 keys (fast to make; what the kiosk tokens use too).
// deploy/mosquitto/README.md gives the same commands for a real network's CA.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CertFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface TestCa {
  readonly dir: string;
  /** The CA certificate (PEM file): a client trusts it, the broker checks client certs with it. */
  readonly caFile: string;
  readonly server: CertFiles;
  /** A client certificate (CN = `name`) signed by this CA; made on first use, then reused. */
  client(name: string): CertFiles;
}

const validDays = '2';

function openssl(args: readonly string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

function ecKey(path: string, cwd: string): void {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path], cwd);
}

/**
 * Makes a CA in `dir` (files prefixed with `prefix`, so two CAs can share a folder: the second is
 * the "wrong CA" of the refusal tests).
 */
export function makeTestCa(dir: string, prefix = 'test'): TestCa {
  if (!/^[a-z0-9-]{1,32}$/.test(prefix)) throw new Error(`assert: bad CA prefix ${prefix}`);
  const caKey = join(dir, `${prefix}-ca.key`);
  const caFile = join(dir, `${prefix}-ca.crt`);
  ecKey(caKey, dir);
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      caKey,
      '-days',
      validDays,
      '-subj',
      `/CN=bianmin ${prefix} CA`,
      '-out',
      caFile,
    ],
    dir,
  );
  const issue = (name: string, extensions: string): CertFiles => {
    const keyFile = join(dir, `${prefix}-${name}.key`);
    const csr = join(dir, `${prefix}-${name}.csr`);
    const certFile = join(dir, `${prefix}-${name}.crt`);
    const extFile = join(dir, `${prefix}-${name}.ext`);
    ecKey(keyFile, dir);
    openssl(['req', '-new', '-key', keyFile, '-subj', `/CN=${name}`, '-out', csr], dir);
    writeFileSync(extFile, extensions);
    openssl(
      [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        caFile,
        '-CAkey',
        caKey,
        '-CAcreateserial',
        '-days',
        validDays,
        '-extfile',
        extFile,
        '-out',
        certFile,
      ],
      dir,
    );
    return { certFile, keyFile };
  };
  const server = issue(
    'server',
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
  );
  const clients = new Map<string, CertFiles>();
  return {
    dir,
    caFile,
    server,
    client(name: string): CertFiles {
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new Error(`assert: bad client name ${name}`);
      let files = clients.get(name);
      if (files === undefined) {
        files = issue(
          `client-${name}`,
          'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n',
        );
        clients.set(name, files);
      }
      return files;
    },
  };
}

/** mqtt.js TLS options from files (what the adapters build from their config keys). */
export function tlsClientOptions(
  caFile: string,
  client: CertFiles | undefined,
): { ca: Buffer; cert?: Buffer; key?: Buffer; servername: string } {
  return {
    ca: readFileSync(caFile),
    ...(client === undefined
      ? {}
      : { cert: readFileSync(client.certFile), key: readFileSync(client.keyFile) }),
    servername: 'localhost',
  };
}
