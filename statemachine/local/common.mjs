// Shared by the Task override scripts of run-execution.mjs: the task's effective input is argv[2];
// the result goes to stdout as JSON. Local settings arrive in KPI_LOCAL_* environment variables,
// set by KpiPipeline.Orchestration.LocalStateMachine.
import { spawn } from 'node:child_process';

/** Exit code with which a script fails its Task state with an exact Error and Cause (see run-execution.mjs). */
export const TASK_FAILED_EXIT = 3;

export function taskInput() {
  const text = process.argv[2];
  if (!text) die('the Task state input is missing (expected as the first argument)');
  return JSON.parse(text);
}

export function succeed(result) {
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}

export function failTask(error, cause) {
  process.stdout.write(JSON.stringify({ Error: error, Cause: cause }) + '\n');
  process.exit(TASK_FAILED_EXIT);
}

export function die(message) {
  process.stderr.write(`${process.argv[1]}: ${message}\n`);
  process.exit(1);
}

/** A JSON array from an environment variable: the command line of a local executable. */
export function commandFromEnv(name) {
  const text = process.env[name];
  if (!text) die(`${name} is not set`);
  const command = JSON.parse(text);
  if (!Array.isArray(command) || command.length === 0) die(`${name} must be a JSON array such as ["dotnet", "/path/app.dll"]`);
  return command;
}

/** Runs a command to completion; its stderr is passed through (logs), its stdout captured. */
export function run(command, args, { env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], [...command.slice(1), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: env ?? process.env });
    const stdout = [];
    child.stdout.on('data', (chunk) => stdout.push(chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? 128, signal, stdout: Buffer.concat(stdout).toString('utf8') }));
  });
}
