/** The README promises a configuration table that matches src/config.ts; this keeps the promise. */
import fs from 'node:fs';
import path from 'node:path';
import { configTableMarkdown, SETTINGS } from '../../src/config';

const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');

test('the README configuration table is the one generated from the settings', () => {
  const table = readme.split('<!-- config-table:start -->\n')[1]?.split('\n<!-- config-table:end -->')[0];
  expect(table).toBe(configTableMarkdown());
});

test('every setting is in the README, with its variable name', () => {
  for (const setting of Object.values(SETTINGS)) expect(readme).toContain(`\`${setting.env}\``);
});

test('the README names the test command that CI runs', () => {
  expect(readme).toContain('npm test');
  expect(fs.readFileSync(path.join(__dirname, '../../.ci/run'), 'utf8')).toContain('npm test');
});
