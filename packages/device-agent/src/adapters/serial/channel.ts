// A byte channel to one device: the seam between the link engine and the technology. The real one
// is a serialport SerialPort on a (stable /dev/serial/by-id/…) path with every option explicit;
// tests and the bench baseline use an in-process pair (in-process-channel.ts).

import { SerialPort } from 'serialport';
import { AgentError } from '../../errors.js';

export interface ChannelHandlers {
  onData(chunk: Uint8Array): void;
  /** The channel closed by itself (device gone, I/O error). Not called after our own close(). */
  onClose(error: Error | undefined): void;
}

export interface ByteChannel {
  /** Writes and waits until the bytes are handed to the OS; rejects on I/O error (EIO on a dead PTY). */
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface ChannelOpener {
  /** What to show in logs (the device path). */
  readonly description: string;
  /** Rejects with AgentError AGENT_SERIAL_OPEN_FAILED. */
  open(handlers: ChannelHandlers): Promise<ByteChannel>;
}

export interface SerialPortOptions {
  /** Device path; in production a stable /dev/serial/by-id/… link. */
  readonly path: string;
  readonly baudRate: number;
  readonly dataBits: 5 | 6 | 7 | 8;
  readonly parity: 'none' | 'even' | 'odd' | 'mark' | 'space';
  readonly stopBits: 1 | 1.5 | 2;
}

/** Our reference devices: 115200 8N1. */
export const defaultSerialPortOptions: Omit<SerialPortOptions, 'path'> = {
  baudRate: 115_200,
  dataBits: 8,
  parity: 'none',
  stopBits: 1,
};

export function serialPortOpener(options: SerialPortOptions): ChannelOpener {
  return {
    description: options.path,
    open: (handlers) => openSerialPort(options, handlers),
  };
}

function openSerialPort(options: SerialPortOptions, handlers: ChannelHandlers): Promise<ByteChannel> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({
      path: options.path,
      baudRate: options.baudRate,
      dataBits: options.dataBits,
      parity: options.parity,
      stopBits: options.stopBits,
      rtscts: false,
      xon: false,
      xoff: false,
      hupcl: false,
      autoOpen: false,
    });
    let closedByUs = false;
    let lastError: Error | undefined;
    port.open((error) => {
      if (error) {
        reject(
          new AgentError('AGENT_SERIAL_OPEN_FAILED', `cannot open ${options.path}`, {
            cause: error,
            details: { path: options.path },
          }),
        );
        return;
      }
      port.on('data', (chunk: Buffer) => handlers.onData(chunk));
      port.on('error', (portError: Error) => {
        lastError = portError;
      });
      port.on('close', () => {
        if (!closedByUs) handlers.onClose(lastError);
      });
      resolve({
        write: (bytes) =>
          new Promise<void>((resolveWrite, rejectWrite) => {
            port.write(Buffer.from(bytes), (writeError) => {
              if (writeError) rejectWrite(writeError);
              else resolveWrite();
            });
          }),
        close: () =>
          new Promise<void>((resolveClose) => {
            closedByUs = true;
            if (!port.isOpen) {
              resolveClose();
              return;
            }
            port.close(() => resolveClose());
          }),
      });
    });
  });
}
