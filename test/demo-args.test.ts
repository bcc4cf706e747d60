// Goal: the demo's command line (scripts/demo/args.ts) takes --console and --console-port (issue
// 12) and refuses a bad port with the others' problems at once (R21). Method: table cases.
import t from 'tap';
import { parseDemoArgs } from '../scripts/demo/args.js';

t.test('--console and --console-port', async (t) => {
  const plain = parseDemoArgs([]);
  t.ok(
    'options' in plain && plain.options.console === false && plain.options.consolePort === 0,
    'off by default',
  );
  const on = parseDemoArgs(['--console', '--console-port', '8080']);
  t.ok('options' in on && on.options.console && on.options.consolePort === 8080, 'on, with a port');
  const bad = parseDemoArgs(['--console-port', '70000', '--stations', '0']);
  t.same('problems' in bad ? bad.problems : [], [
    '--stations: a whole number 1-9',
    '--console-port: a port number 0-65535',
  ]);
});
