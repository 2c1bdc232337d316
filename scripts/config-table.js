// Prints the README's configuration table from src/config.ts, or with --write puts it into
// README.md between its markers (run after a build: npm run docs:config).
const fs = require('node:fs');
const path = require('node:path');
const { configTableMarkdown } = require('../dist/src/config');

const table = configTableMarkdown();
if (!process.argv.includes('--write')) {
  process.stdout.write(`${table}\n`);
} else {
  const file = path.join(__dirname, '..', 'README.md');
  const readme = fs.readFileSync(file, 'utf8');
  const start = '<!-- config-table:start -->\n';
  const end = '\n<!-- config-table:end -->';
  const before = readme.slice(0, readme.indexOf(start) + start.length);
  const after = readme.slice(readme.indexOf(end));
  fs.writeFileSync(file, before + table + after);
}
