import { type ArgumentMetadata, type Type, ValidationPipe } from '@nestjs/common';

/** How many distinct accepted inputs the pipe remembers, over all classes; it starts afresh when full. */
const REMEMBERED_INPUTS = 1000;
/** Longer inputs (as JSON) are always validated: the cache is for the short, repeated ones. */
const MAX_KEY_LENGTH = 512;

/**
 * The global ValidationPipe, remembering what it accepted: a query or body it has accepted before (the same class,
 * the same text) gives a copy of the same result without class-transformer and class-validator running again. Both
 * ran on every request (about 6 % of the CPU of an enqueue), mostly on inputs that repeat: an absent body, `?count=1`.
 *
 * It holds because the result is a function of the input alone: the DTOs' rules are class-validator's own and
 * pure transforms (no rule reads state). Only inputs that are absent or flat objects of strings (a query string,
 * a small JSON body) are remembered, and only results whose own values are primitives, so the copy shares nothing
 * with the cached one. A refused input is never remembered: it is validated again, and refused with the same 400.
 */
export class CachingValidationPipe extends ValidationPipe {
  private readonly accepted = new Map<Type<unknown>, Map<string, Record<string, unknown>>>();
  private remembered = 0;

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const metatype = metadata.metatype;
    const key =
      (metadata.type === 'query' || metadata.type === 'body') && metatype && this.toValidate(metadata)
        ? inputKey(value)
        : undefined;
    if (key === undefined) return super.transform(value, metadata);

    const known = this.accepted.get(metatype!)?.get(key);
    if (known) return Object.assign(Object.create(metatype!.prototype as object) as object, known);

    const result: unknown = await super.transform(value, metadata);
    const snapshot = primitiveSnapshot(result, metatype!);
    if (snapshot) {
      if (this.remembered >= REMEMBERED_INPUTS) {
        this.accepted.clear();
        this.remembered = 0;
      }
      let byKey = this.accepted.get(metatype!);
      if (!byKey) this.accepted.set(metatype!, (byKey = new Map()));
      byKey.set(key, snapshot);
      this.remembered += 1;
    }
    return result;
  }
}

/** A key for an absent input or a flat object of strings (each name and value length-prefixed); else undefined. */
function inputKey(value: unknown): string | undefined {
  if (value === undefined || value === null) return String(value);
  if (typeof value !== 'object' || Array.isArray(value)) return undefined;
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return undefined;
  let key = '{';
  for (const name of Object.keys(value)) {
    const field = (value as Record<string, unknown>)[name];
    if (typeof field !== 'string') return undefined;
    key += `${name.length}:${name}${field.length}:${field}`;
    if (key.length > MAX_KEY_LENGTH) return undefined;
  }
  return key;
}

/** The result's own fields when it is an instance of the class holding primitives only; otherwise undefined. */
function primitiveSnapshot(result: unknown, metatype: Type<unknown>): Record<string, unknown> | undefined {
  if (result === null || typeof result !== 'object' || Object.getPrototypeOf(result) !== metatype.prototype) {
    return undefined;
  }
  const fields = { ...(result as Record<string, unknown>) };
  for (const field of Object.values(fields)) {
    if (field !== null && (typeof field === 'object' || typeof field === 'function')) return undefined;
  }
  // Symbol keys and non-enumerable properties would not survive the copy.
  if (Object.getOwnPropertySymbols(result).length > 0) return undefined;
  if (Object.getOwnPropertyNames(result).length !== Object.keys(result).length) return undefined;
  return fields;
}
