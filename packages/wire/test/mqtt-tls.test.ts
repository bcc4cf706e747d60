// Goal: the MQTT TLS rules shared by the kiosk's and HQ's adapters (src/mqtt-tls.ts) accept PEM
// files of the right kind within the size bound, refuse anything else, keep a client certificate
// with its key, and always ask mqtt.js to check the broker. Method: table of byte strings, direct calls.
import t from 'tap';
import { limits, mqttTlsOptions, mqttTlsPairComplete, mqttTlsPemProblem } from '../src/index.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const certificate = bytes('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
const privateKey = bytes('-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n');

t.test('PEM kinds: a certificate for ca and cert, a private key for key', (t) => {
  t.equal(mqttTlsPemProblem('ca', certificate), null);
  t.equal(mqttTlsPemProblem('cert', certificate), null);
  t.equal(mqttTlsPemProblem('key', privateKey), null);
  t.equal(mqttTlsPemProblem('key', certificate), 'is not a PEM private key');
  t.equal(mqttTlsPemProblem('ca', privateKey), 'is not a PEM certificate');
  t.equal(mqttTlsPemProblem('ca', bytes('not pem')), 'is not a PEM certificate');
  const oversized = new Uint8Array(limits.tlsFileBytesMax + 1).fill(0x41);
  oversized.set(certificate);
  t.equal(mqttTlsPemProblem('ca', oversized), 'is not a PEM certificate', 'over tlsFileBytesMax');
  t.end();
});

t.test('connect options: certificate and key together, the broker always checked', (t) => {
  t.ok(mqttTlsPairComplete(true, true));
  t.ok(mqttTlsPairComplete(false, false));
  t.notOk(mqttTlsPairComplete(true, false));
  t.same(mqttTlsOptions({ ca: certificate }), { ca: certificate, rejectUnauthorized: true });
  t.same(
    mqttTlsOptions({ ca: certificate, cert: certificate, key: privateKey, serverName: 'broker.example' }),
    {
      ca: certificate,
      cert: certificate,
      key: privateKey,
      servername: 'broker.example',
      rejectUnauthorized: true,
    },
  );
  t.throws(() => mqttTlsOptions({ ca: certificate, cert: certificate }), /go together/);
  t.end();
});
