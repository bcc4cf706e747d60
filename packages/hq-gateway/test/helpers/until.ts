// Waiting on an emitter without sleeping: re-check a condition whenever one of the named events
// fires; a 'fatal' event rejects.
import type { EventEmitter } from 'node:events';

/** Resolve once `check()` is true, re-checking whenever `emitter` emits one of `events`. */
export async function until(
  emitter: EventEmitter,
  events: readonly string[],
  check: () => boolean,
): Promise<void> {
  while (!check()) {
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        for (const event of events) emitter.off(event, done);
        emitter.off('fatal', fail);
        resolve();
      };
      const fail = (error: Error): void => {
        for (const event of events) emitter.off(event, done);
        reject(error);
      };
      for (const event of events) emitter.on(event, done);
      emitter.once('fatal', fail);
    });
  }
}
