// Looks a message up in the active catalogue and fills its {placeholders}. zh-CN is the only
// locale today; another is a second catalogue of type Messages chosen here.
import { type MessageKey, type Messages, zhCN } from './zh-CN.js';

const catalogue: Messages = zhCN;

export function t(key: MessageKey, values: Readonly<Record<string, string | number>> = {}): string {
  const text = catalogue[key];
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = values[name];
    return value === undefined ? whole : String(value);
  });
}

/** A message whose key is built at run time (an alert kind, a station state); the key itself when missing. */
export function tDynamic(key: string): string {
  return (catalogue as Readonly<Record<string, string>>)[key] ?? key;
}

export type { MessageKey };
