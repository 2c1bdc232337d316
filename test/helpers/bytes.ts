import type { Payload } from '@temporalio/common';

/** Every byte string and string inside a proto object (payload data and metadata), as latin1 text: what a reader of the store could see. */
export function allBytes(value: unknown): string {
  const parts: string[] = [];
  const walk = (v: unknown): void => {
    if (v instanceof Uint8Array) parts.push(Buffer.from(v).toString('latin1'));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    else if (typeof v === 'string') parts.push(v);
  };
  walk(value);
  return parts.join('\n');
}

/** Every payload anywhere in a history, to decrypt them all. */
export function payloadsOf(history: unknown): Payload[] {
  const found: Payload[] = [];
  const walk = (v: unknown): void => {
    if (!v || typeof v !== 'object' || v instanceof Uint8Array) return;
    const o = v as Record<string, unknown>;
    if (o.metadata && o.data instanceof Uint8Array && (o.metadata as Record<string, unknown>).encoding) found.push(o as Payload);
    else Object.values(o).forEach(walk);
  };
  walk(history);
  return found;
}
