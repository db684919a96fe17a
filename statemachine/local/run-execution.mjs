#!/usr/bin/env node
// Runs ONE execution of an ASL definition on aws-local-stepfunctions (the engine behind `local-sfn`),
// with every Task state overridden by a local script.
//
//   node run-execution.mjs <config.json>
//
// config: {
//   "definition_file": "…asl.json (placeholders already substituted)",
//   "input": { … }, "execution_name": "2024-01-01-v1",
//   "tasks": { "StateName": "/path/to/script.mjs", … },   every Task state must be listed
//   "waits": { "StateName": 0, … },                         milliseconds instead of the Wait's seconds
//   "retries": { "StateName": 0, … }                        milliseconds instead of a Retry's pauses
// }
//
// Why not the `local-sfn` CLI itself: it turns a failed override into an error named "Error" whose cause
// is "<script> ('State'): <stderr>". ecs:runTask.sync fails with States.TaskFailed and the stopped task's
// description as the cause, and the definition reads the container exit codes from that cause; so the
// override protocol here lets a script fail its task with an exact Error and Cause:
//   exit 0 + JSON on stdout                        the task's result
//   exit 3 + {"Error": "...", "Cause": "..."}      the task fails with that error and cause
//   any other exit                                  the task fails with Local.OverrideFailed (stderr as cause)
// Scripts run asynchronously (the CLI blocks on each one), so TimeoutSeconds is enforced as in AWS.
//
// Prints one JSON line: {"status": "SUCCEEDED"|"FAILED", "output"?, "error"?, "cause"?, "states": [entered…],
// "entered_at": [epoch ms of each]}.
// Exit code 0 when the execution ran (whatever its outcome), 1 when it could not run at all.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const TASK_FAILED_EXIT = 3;

function fail(message) {
  process.stderr.write(`run-execution: ${message}\n`);
  process.exit(1);
}

function loadEngine() {
  // The engine is resolved from the repository's node_modules (the config may name another root).
  const roots = [process.env.KPI_LOCAL_NODE_MODULES, path.resolve(import.meta.dirname, '..', '..', 'node_modules')].filter(Boolean);
  for (const root of roots) {
    try {
      return createRequire(path.join(root, 'noop.js'))('aws-local-stepfunctions');
    } catch {
      // Try the next root.
    }
  }
  fail(`aws-local-stepfunctions is not installed under ${roots.join(' or ')}: run npm ci in the repository root.`);
}

class OverrideError extends Error {
  constructor(name, cause) {
    super(cause);
    this.name = name;
  }
}

function runOverride(stateName, script, input) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, JSON.stringify(input)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout = [];
    const stderr = [];
    child.stdout.on('data', (chunk) => stdout.push(chunk));
    child.stderr.on('data', (chunk) => {
      stderr.push(chunk);
      // Keep the scripts' (and the containers') logs visible to whoever runs the execution.
      process.stderr.write(chunk);
    });
    child.on('error', (error) => reject(new OverrideError('Local.OverrideFailed', `${stateName}: ${script} could not start: ${error.message}`)));
    child.on('close', (code) => {
      const out = Buffer.concat(stdout).toString('utf8').trim();
      if (code === 0 || code === TASK_FAILED_EXIT) {
        let value;
        try {
          value = JSON.parse(out);
        } catch (error) {
          reject(new OverrideError('Local.OverrideFailed', `${stateName}: ${script} printed no JSON (${error.message}): ${out.slice(0, 500)}`));
          return;
        }
        if (code === 0) resolve(value);
        else reject(new OverrideError(String(value.Error ?? 'States.TaskFailed'), String(value.Cause ?? '')));
        return;
      }
      const tail = Buffer.concat(stderr).toString('utf8').trim().split('\n').slice(-5).join('\n');
      reject(new OverrideError('Local.OverrideFailed', `${stateName}: ${script} exited with ${code}: ${tail}`));
    });
  });
}

const configPath = process.argv[2] ?? fail('usage: run-execution.mjs <config.json>');
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const definition = JSON.parse(readFileSync(config.definition_file, 'utf8'));
const { StateMachine } = loadEngine();

const missing = Object.entries(definition.States)
  .filter(([name, state]) => state.Type === 'Task' && !config.tasks?.[name])
  .map(([name]) => name);
if (missing.length > 0) fail(`no local override for Task state(s) ${missing.join(', ')}: nothing may call AWS from a local run.`);

const handlers = Object.fromEntries(Object.entries(config.tasks).map(([name, script]) => [name, (input) => runOverride(name, script, input)]));
const machine = new StateMachine(definition);
const startTime = new Date().toISOString();
const execution = machine.run(config.input, {
  overrides: { taskResourceLocalHandlers: handlers, waitTimeOverrides: config.waits ?? {}, retryIntervalOverrides: config.retries ?? {} },
  context: {
    Execution: {
      Id: `arn:aws:states:local:000000000000:execution:kpi-pipeline:${config.execution_name}`,
      Name: config.execution_name,
      StartTime: startTime,
    },
    StateMachine: { Id: 'arn:aws:states:local:000000000000:stateMachine:kpi-pipeline', Name: 'kpi-pipeline' },
  },
});

const states = [];
const enteredAt = [];
const collecting = (async () => {
  for await (const event of execution.eventLogs) {
    if (event.type === 'StateEntered') {
      states.push(event.state.name);
      enteredAt.push(event.timestamp);
    }
  }
})();

let report;
try {
  const output = await execution.result;
  report = { status: 'SUCCEEDED', output };
} catch (error) {
  // ExecutionError wraps the state error (a Fail state's Error/Cause, or an uncaught task error).
  const inner = error.cause ?? error;
  report = { status: 'FAILED', error: inner.name, cause: inner.message };
}
await collecting.catch(() => {});
process.stdout.write(JSON.stringify({ ...report, states, entered_at: enteredAt }) + '\n');
