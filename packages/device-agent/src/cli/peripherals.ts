// The real peripherals for the CLI: the serial drivers on the config's device paths.
import { CardReaderDriver } from '../adapters/serial/card-reader-driver.js';
import { PinPadDriver } from '../adapters/serial/pin-pad-driver.js';
import type { DeviceConfig, SerialDeviceConfig } from '../config/schema.js';
import { createLogger, type Logger } from '../logging.js';
import type { PeripheralFactory } from './command.js';

function portOptions(device: SerialDeviceConfig) {
  return {
    baudRate: device.baudRate,
    dataBits: device.dataBits,
    parity: device.parity,
    stopBits: device.stopBits,
  };
}

/** The CLI's logger: into the config's log dir (BIANMIN_LOG_DIR overrides), never onto the table. */
export function cliLogger(config: DeviceConfig): Logger {
  return createLogger({
    name: 'kiosk',
    level: config.log.level,
    ...(config.log.dir === undefined ? {} : { dir: config.log.dir }),
  });
}

export function serialPeripherals(
  loggerFor: (config: DeviceConfig) => Logger = cliLogger,
): PeripheralFactory {
  return {
    cardReader: (config) =>
      new CardReaderDriver({
        path: config.serial.cardReader.path,
        serialPort: portOptions(config.serial.cardReader),
        logger: loggerFor(config), // the driver adds its own component field
      }),
    pinPad: (config) =>
      new PinPadDriver({
        path: config.serial.pinPad.path,
        serialPort: portOptions(config.serial.pinPad),
        logger: loggerFor(config),
      }),
  };
}
