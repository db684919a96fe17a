#!/usr/bin/env node
// Local stand-in for arn:aws:states:::lambda:invoke on the date-lock functions: runs the Lambda project's
// `invoke --function <name> --event <file>` (the same runtime loop and function code Lambda runs) and answers with the
// integration's result shape {"Payload": ..., "StatusCode": 200}. The handler is the last segment of the
// local FunctionName ARN (…:function:acquire-lock, …:function:release-lock).
//
// KPI_LOCAL_LAMBDA        ["dotnet", ".../KpiPipeline.Lambda.dll"]; the handler reaches DynamoDB (dynalite)
//                         through AWS_ENDPOINT_URL_DYNAMODB and LOCK_TABLE like in AWS
// KPI_LOCAL_LOCK_FOLDER   instead of the Lambda: a lease per date as a file in this folder, with the same
//                         rule (free, expired, or already ours), for a lake in a local folder without DynamoDB
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, renameSync, unlinkSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandFromEnv, failTask, run, succeed, taskInput } from './common.mjs';

const input = taskInput();
const handler = String(input.FunctionName ?? '').split(':').pop();
const payload = input.Payload ?? {};

function answer(result) {
  succeed({ ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 });
}

if (process.env.KPI_LOCAL_LOCK_FOLDER) {
  const folder = process.env.KPI_LOCAL_LOCK_FOLDER;
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, `${payload.batch_id}.json`);
  const now = Math.floor(Date.now() / 1000);
  const read = () => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null);
  const current = read();
  if (handler === 'acquire-lock') {
    const lease = { owner: payload.owner, expires_at: now + Number(payload.lease_seconds) };
    const refused = (holder) =>
      answer({ acquired: false, batch_id: payload.batch_id, owner: payload.owner, expires_at: holder?.expires_at, held_by: holder?.owner });
    if (current !== null && current.owner === payload.owner) {
      // Renewal: only the owner rewrites its own lease.
      writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(lease));
      renameSync(`${file}.${process.pid}.tmp`, file);
    } else {
      if (current !== null && current.expires_at >= now) refused(current);
      if (current !== null) {
        // An expired lease: of several takers, only the one whose rename wins may create the new lease.
        try {
          renameSync(file, `${file}.expired.${process.pid}`);
          unlinkSync(`${file}.expired.${process.pid}`);
        } catch {
          refused(read());
        }
      }
      try {
        // Exclusive create: two takers of a free date cannot both succeed.
        writeFileSync(file, JSON.stringify(lease), { flag: 'wx' });
      } catch {
        refused(read());
      }
    }
    answer({ acquired: true, batch_id: payload.batch_id, owner: payload.owner, expires_at: lease.expires_at });
  }
  if (handler === 'release-lock') {
    const released = current !== null && current.owner === payload.owner;
    if (released) unlinkSync(file);
    answer({ released, batch_id: payload.batch_id, owner: payload.owner });
  }
  failTask('Lambda.ResourceNotFoundException', `no local lock handler '${handler}'`);
}

const folder = mkdtempSync(path.join(os.tmpdir(), 'kpi-lambda-'));
try {
  const eventFile = path.join(folder, 'event.json');
  writeFileSync(eventFile, JSON.stringify(payload));
  const result = await run(commandFromEnv('KPI_LOCAL_LAMBDA'), ['invoke', '--function', handler, '--event', eventFile]);
  if (result.code === 0) answer(JSON.parse(result.stdout));
  // The function failed (its one-line error is on stderr, already passed through).
  failTask('Lambda.Unknown', `${handler} exited with ${result.code}`);
} finally {
  rmSync(folder, { recursive: true, force: true });
}
