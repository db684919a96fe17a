#!/usr/bin/env node
// Test hook around the lock script: runs KPI_TEST_WRAPPED (the standard lambda-invoke.mjs) and, when the
// lease was refused ({"Payload": {"acquired": false}}), creates the file KPI_TEST_SIGNAL_FILE.
import { writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const inner = spawnSync(process.execPath, [process.env.KPI_TEST_WRAPPED, process.argv[2]], { stdio: ['ignore', 'pipe', 'inherit'] });
if (inner.status === 0 && JSON.parse(inner.stdout.toString('utf8')).Payload?.acquired === false) {
  writeFileSync(process.env.KPI_TEST_SIGNAL_FILE, new Date().toISOString());
}
process.stdout.write(inner.stdout);
process.exit(inner.status ?? 1);
