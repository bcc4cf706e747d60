// The serial peripherals' public API: construct a driver with a device path (or an opener), call
// start(), await whenOpen(), then use the CardReader / PinPad port methods. See
// docs/serial-protocol.md for the protocol and the simulators.

export { systemClock } from '../system/clock.js';
export {
  type CardReaderCommandTimeouts,
  CardReaderDriver,
  defaultCardReaderTimeouts,
} from './card-reader-driver.js';
export {
  type ByteChannel,
  type ChannelHandlers,
  type ChannelOpener,
  defaultSerialPortOptions,
  type SerialPortOptions,
  serialPortOpener,
} from './channel.js';
export type { SerialDriverOptions } from './driver-options.js';
export { type DeviceEnd, InProcessPair } from './in-process-channel.js';
export { defaultPinPadTimeouts, type PinPadCommandTimeouts, PinPadDriver } from './pin-pad-driver.js';
export { SerialLink, type SerialLinkStats } from './serial-link.js';
