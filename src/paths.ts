/** The project's root folder, found from this file whether it runs from src/ or dist/src/. */
import fs from 'node:fs';
import path from 'node:path';

export function projectRoot(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** Tool paths written by scripts/setup.mjs. */
export function setupTools(): { temporal?: string; testServer?: string } {
  const file = path.join(projectRoot(), '.tools', 'tools.json');
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
}
