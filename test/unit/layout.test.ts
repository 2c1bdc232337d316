/**
 * The code's layout as the house rules state it: no import circles between folders, and workflow
 * code that imports neither activities nor Node's built-ins (type imports count: they are what
 * made activities/ and workflows/ import each other before).
 */
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const FOLDERS = ['src', 'workflows', 'activities'];

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

const files = FOLDERS.flatMap((f) => sources(path.join(ROOT, f)));

/** Every module specifier a file imports (static, type-only, dynamic, require). */
function specifiers(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|^import\s+)['"]([^'"]+)['"]/gm)].map((m) => m[1]);
}

function resolve(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), spec);
  return [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => fs.existsSync(candidate));
}

/**
 * A file's folder, one level below the top (`src/breaker`, `activities/breaker`; a feature's own
 * subfolders, such as src/api/routes, count as the feature). The files directly in src/ (config,
 * errors, the package entry) each stand alone; those directly in workflows/ or activities/ are that folder.
 */
function node(file: string): string {
  const parts = path.relative(ROOT, file).split(path.sep);
  if (parts.length >= 3) return parts.slice(0, 2).join('/');
  return parts[0] === 'src' ? parts.join('/') : parts[0];
}

const edges = new Map<string, Set<string>>();
for (const file of files) {
  for (const spec of specifiers(file)) {
    const target = resolve(file, spec);
    if (!target || node(target) === node(file)) continue;
    if (!edges.has(node(file))) edges.set(node(file), new Set());
    edges.get(node(file))!.add(node(target));
  }
}

/** The folder cycles of the graph, each as a path that returns to its start. */
function cycles(): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 'open');
    stack.push(n);
    for (const next of edges.get(n) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of edges.keys()) if (!state.has(n)) visit(n);
  return found;
}

test('no two folders import each other, directly or around a circle', () => {
  expect(cycles().map((c) => c.join(' → '))).toEqual([]);
});

test('workflow code imports no activity code, not even its types', () => {
  const offending = files
    .filter((f) => path.relative(ROOT, f).startsWith('workflows'))
    .flatMap((f) => specifiers(f).filter((spec) => resolve(f, spec)?.startsWith(path.join(ROOT, 'activities'))).map((spec) => `${path.relative(ROOT, f)} → ${spec}`));
  expect(offending).toEqual([]);
});

test('workflow code and what it imports use no Node built-ins (the workflow sandbox has none)', () => {
  const seen = new Set<string>();
  const offending: string[] = [];
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of specifiers(file)) {
      if (spec.startsWith('node:') || ['fs', 'path', 'crypto', 'net', 'http', 'dns', 'os', 'child_process'].includes(spec)) offending.push(`${path.relative(ROOT, file)} → ${spec}`);
      const target = resolve(file, spec);
      if (target) walk(target);
    }
  };
  walk(path.join(ROOT, 'workflows/index.ts'));
  expect(offending).toEqual([]);
  expect(seen.size).toBeGreaterThan(5);
});

test('the scan sees the whole code base (a test that finds no imports would pass by accident)', () => {
  expect(files.length).toBeGreaterThan(40);
  expect([...edges.values()].reduce((n, s) => n + s.size, 0)).toBeGreaterThan(20);
});
