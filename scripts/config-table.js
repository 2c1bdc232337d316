// Prints the README's configuration table from src/config.ts (run after a build: npm run docs:config).
const { configTableMarkdown } = require('../dist/src/config');
process.stdout.write(`${configTableMarkdown()}\n`);
