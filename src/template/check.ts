/**
 * What is checked when a template is saved: every part parses (else 400 with the field and the
 * line), the whole is within the parse limit, and `secrets` appears only as a whole output
 * `{{ secrets.NAME }}` with no filter — so a secret's value can never be transformed, tested,
 * assigned or looped over, and its marker always stands alone where the send activity finds it.
 */
import { TagToken, TokenKind, Tokenizer } from 'liquidjs';
import { InvalidRequestError, type FieldIssue } from '../errors';
import type { LiquidEngine } from './liquid';
import { templateParts } from './parts';
import type { TemplateContent } from './schema';

const SECRETS_WORD = /(^|[^\w.$"'[])secrets\b/;
/** Tags that read other files: a template is self-contained. */
const FILE_TAGS = new Set(['include', 'render', 'layout']);
const WHOLE_SECRET = /^secrets\.([A-Za-z0-9_]{1,64})$/;

export function checkTemplateLiquid(content: TemplateContent, engine: LiquidEngine): void {
  const parts = templateParts(content);
  const total = parts.reduce((n, p) => n + p.source.length, 0);
  if (total > engine.limits.maxBytes) {
    throw new InvalidRequestError(
      [{ field: '(template)', message: `its Liquid is ${total} characters, more than the ${engine.limits.maxBytes} allowed (HOOKFLOW_TEMPLATE_MAX_BYTES)` }],
      'invalid_template',
    );
  }
  const issues: FieldIssue[] = [];
  for (const part of parts) {
    const problem = parseProblem(part.source, engine) ?? tokenProblem(part.source, engine);
    if (problem) issues.push({ field: part.field, message: problem });
  }
  if (issues.length > 0) throw new InvalidRequestError(issues, 'invalid_template');
}

function parseProblem(source: string, engine: LiquidEngine): string | undefined {
  try {
    engine.parse(source);
    return undefined;
  } catch (err) {
    return describeLiquidError(err);
  }
}

/** `line 3, col 2: tag {% if x %} not closed` */
export function describeLiquidError(err: unknown): string {
  const e = err as { message?: string; token?: { getPosition?: () => [number, number] } };
  const message = String(e?.message ?? err).replace(/, line:\d+, col:\d+$/, '');
  const position = e?.token?.getPosition?.();
  return position ? `line ${position[0]}, col ${position[1]}: ${message}` : message;
}

function tokenProblem(source: string, engine: LiquidEngine): string | undefined {
  const tokens = new Tokenizer(source).readTopLevelTokens(engine.liquid.options);
  for (const token of tokens) {
    if (token.kind === TokenKind.Output) {
      const content = (token as unknown as { content: string }).content;
      if (SECRETS_WORD.test(content) && !WHOLE_SECRET.test(content.trim())) {
        return `line ${token.getPosition()[0]}: secrets may only be used as a whole output {{ secrets.NAME }}, without filters (found {{ ${content.trim()} }})`;
      }
    }
    if (token instanceof TagToken && FILE_TAGS.has(token.name)) {
      return `line ${token.getPosition()[0]}: {% ${token.name} %} is not available: a template cannot include files`;
    }
    if (token instanceof TagToken && SECRETS_WORD.test(token.content)) {
      return `line ${token.getPosition()[0]}: secrets may only be used as a whole output {{ secrets.NAME }}, not in {% ${token.name} %}`;
    }
  }
  return undefined;
}
