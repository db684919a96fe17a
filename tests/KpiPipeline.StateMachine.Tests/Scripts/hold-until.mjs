#!/usr/bin/env node
// Test hook: waits until the file KPI_TEST_HOLD_UNTIL exists, then runs the standard override script
// KPI_TEST_WRAPPED with the same task input and passes its output and exit code through. Lets a test
// hold one execution at a state until another execution has reached a point (event-driven, no timed waits).
import { existsSync, watch } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const file = process.env.KPI_TEST_HOLD_UNTIL;
if (!existsSync(file)) {
  await new Promise((resolve) => {
    const watcher = watch(path.dirname(file), () => {
      if (existsSync(file)) {
        watcher.close();
        resolve();
      }
    });
    // The file may have appeared between the first check and the watch.
    if (existsSync(file)) {
      watcher.close();
      resolve();
    }
  });
}
const inner = spawnSync(process.execPath, [process.env.KPI_TEST_WRAPPED, process.argv[2]], { stdio: ['ignore', 'pipe', 'inherit'] });
process.stdout.write(inner.stdout);
process.exit(inner.status ?? 1);
