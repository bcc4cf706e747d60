// The embedded MQTT broker of the demo: aedes@1 (MQTT 3.1.1 only, which the wire protocol is
// built for) on a free loopback port, served by a node:net TCP server. It enforces what the
// production Mosquitto config does (deploy/mosquitto/): no anonymous client; one user per station
// with a random password, plus HQ's gateway and command-line users; the client id must equal the
// user name (no session take-over); the ACL of broker-acl.ts on every publish, subscribe and
// delivery (so nothing on an authorisation topic, card data included, reaches anyone but HQ);
// payloads over 64 KiB refused. A refused publish or subscription closes the offending connection.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Aedes, type Client } from 'aedes';
import { mayPublish, mayReceive, maySubscribe, type Role } from './broker-acl.js';

export interface EmbeddedBrokerOptions {
  /** Station ids: each becomes a user (user name = client id = station id). */
  readonly stationIds: readonly string[];
  /** HQ gateway's user name (and client id). Default `hq`. */
  readonly hqUser?: string;
  /** HQ command line's user name. Default `hq-cli`. */
  readonly hqCliUser?: string;
}

export interface EmbeddedBroker {
  readonly url: string;
  readonly port: number;
  readonly hqUser: string;
  readonly hqCliUser: string;
  /** A configured user's password (random per run). */
  password(user: string): string;
  /** Connections refused at CONNECT, publishes and subscriptions refused by the ACL. */
  readonly refusals: { connect: number; publish: number; subscribe: number; deliver: number };
  close(): Promise<void>;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const hqUser = options.hqUser ?? 'hq';
  const hqCliUser = options.hqCliUser ?? 'hq-cli';
  const roles = new Map<string, Role>([
    [hqUser, { kind: 'hq' }],
    [hqCliUser, { kind: 'hq-cli' }],
  ]);
  for (const stationId of options.stationIds) {
    if (roles.has(stationId)) throw new Error(`station id ${stationId} collides with an HQ user name`);
    roles.set(stationId, { kind: 'station', stationId });
  }
  const passwords = new Map([...roles.keys()].map((user) => [user, randomBytes(16).toString('hex')]));
  const refusals = { connect: 0, publish: 0, subscribe: 0, deliver: 0 };
  // Role of each authenticated connection (keyed by the aedes client object).
  const roleOf = new WeakMap<Client, Role>();

  const aedes = await Aedes.createBroker({
    concurrency: 1000,
    queueLimit: 100_000,
    authenticate(client, username, password, done) {
      const expected = username === undefined ? undefined : passwords.get(username);
      const role = username === undefined ? undefined : roles.get(username);
      const ok =
        expected !== undefined &&
        role !== undefined &&
        password !== undefined &&
        timingSafeEqual(digest(expected), digest(password.toString('utf8'))) &&
        client.id === username; // client id bound to the user name, as use_username_as_clientid does
      if (!ok || role === undefined) {
        refusals.connect += 1;
        const error = Object.assign(new Error('not authorised'), { returnCode: 5 as const });
        done(error, false);
        return;
      }
      roleOf.set(client, role);
      done(null, true);
    },
    authorizePublish(client, packet, callback) {
      // client null: a message the broker itself publishes (none in the demo): refused too.
      const role = client === null ? undefined : roleOf.get(client);
      const size = packet.payload === undefined ? 0 : Buffer.byteLength(packet.payload);
      if (role === undefined || !mayPublish(role, packet.topic, packet.retain === true, size)) {
        refusals.publish += 1;
        callback(new Error('publish not authorised'));
        return;
      }
      callback(null);
    },
    authorizeSubscribe(client, subscription, callback) {
      const role = roleOf.get(client);
      if (role === undefined || !maySubscribe(role, subscription.topic)) {
        refusals.subscribe += 1;
        callback(new Error('subscription not authorised'));
        return;
      }
      callback(null, subscription);
    },
    authorizeForward(client, packet) {
      const role = roleOf.get(client);
      if (role === undefined || !mayReceive(role, packet.topic)) {
        refusals.deliver += 1;
        return null;
      }
      return packet;
    },
  });
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('no port'));
      else resolve(address.port);
    });
  });
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    hqUser,
    hqCliUser,
    refusals,
    password(user: string): string {
      const password = passwords.get(user);
      if (password === undefined) throw new Error(`unknown MQTT user: ${user}`);
      return password;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}
