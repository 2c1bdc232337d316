/**
 * The Liquid engine of templates: strict (a missing variable or filter is an error, never an empty
 * string) and bounded, since templates and the data rendered into them are untrusted: parse length,
 * render time and memory are capped (HOOKFLOW_TEMPLATE_*). Parsed templates are cached by source.
 */
import { Liquid, type Template } from 'liquidjs';

export interface TemplateLimits {
  /** HOOKFLOW_TEMPLATE_MAX_BYTES: characters of one template (all its parts together). */
  maxBytes: number;
  /** HOOKFLOW_TEMPLATE_RENDER_MS, per rendered part. */
  renderMs: number;
  /** HOOKFLOW_TEMPLATE_MEMORY_BYTES, per rendered part. */
  memoryBytes: number;
}

const MAX_CACHED = 2_000;

export class LiquidEngine {
  readonly liquid: Liquid;
  private readonly cache = new Map<string, Template[]>();

  constructor(readonly limits: TemplateLimits) {
    this.liquid = new Liquid({
      strictVariables: true,
      strictFilters: true,
      // Strict, except where a missing value is the point: `{% if recipient.attributes.x %}` and a
      // leading `| default: …` treat it as empty, as Braze users write them.
      lenientIf: true,
      // Only an object's own fields are variables: no `constructor`, `__proto__` or getters of its prototype.
      ownPropertyOnly: true,
      parseLimit: limits.maxBytes,
      renderLimit: limits.renderMs,
      memoryLimit: limits.memoryBytes,
      // No {% include %} / {% render %} of files: a template is self-contained.
      root: [],
      partials: [],
      relativeReference: false,
      fs: noFiles,
    });
  }

  parse(source: string): Template[] {
    let parsed = this.cache.get(source);
    if (!parsed) {
      parsed = this.liquid.parse(source);
      if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(source, parsed);
    }
    return parsed;
  }
}

const refuse = (): never => {
  throw new Error('templates cannot include files');
};
const noFiles = {
  exists: async () => false,
  existsSync: () => false,
  readFile: async () => refuse(),
  readFileSync: () => refuse(),
  resolve: (_dir: string, file: string) => file,
  sep: '/',
};

const engines = new Map<string, LiquidEngine>();
/** One engine per set of limits (in practice one per process). */
export function liquidEngine(limits: TemplateLimits): LiquidEngine {
  const key = `${limits.maxBytes}/${limits.renderMs}/${limits.memoryBytes}`;
  let engine = engines.get(key);
  if (!engine) engines.set(key, (engine = new LiquidEngine(limits)));
  return engine;
}
