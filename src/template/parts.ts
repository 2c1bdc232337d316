/**
 * The Liquid parts of a template: its URL, each header value, and its body — a text body whole,
 * a JSON body leaf by leaf (keys are never templated). Each part is named by its field, as
 * errors name it (`headers.Authorization`, `body.user.email`, `body.items.0`).
 */
import type { SecretPlace } from './secrets';
import type { TemplateContent } from './schema';

export interface TemplatePart {
  field: string;
  source: string;
  place: SecretPlace;
}

export function templateParts(content: TemplateContent): TemplatePart[] {
  const parts: TemplatePart[] = [{ field: 'url', source: content.url, place: 'url' }];
  for (const [name, value] of Object.entries(content.headers)) parts.push({ field: `headers.${name}`, source: value, place: 'header' });
  if (typeof content.body === 'string') parts.push({ field: 'body', source: content.body, place: 'text' });
  else if (content.body !== undefined && content.body !== null) jsonLeaves(content.body, 'body', parts);
  return parts;
}

function jsonLeaves(value: unknown, field: string, out: TemplatePart[]): void {
  if (typeof value === 'string') out.push({ field, source: value, place: 'json' });
  else if (Array.isArray(value)) value.forEach((v, i) => jsonLeaves(v, `${field}.${i}`, out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) jsonLeaves(v, `${field}.${k}`, out);
}
