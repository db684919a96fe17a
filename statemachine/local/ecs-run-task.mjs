#!/usr/bin/env node
// Local stand-in for arn:aws:states:::ecs:runTask.sync: runs the overridden container's command with the
// matching local executable and answers like the .sync integration does.
//   exit 0      -> the stopped task's description (Containers[].Name/ExitCode, StopCode, ...)
//   exit != 0   -> the task fails with States.TaskFailed, the description as a JSON string in Cause
//
// KPI_LOCAL_CONTAINERS  {"validator": ["dotnet", ".../validator.dll"], "kpi-job": ["dotnet", ".../kpi-job.dll"]}
// KPI_LOCAL_LAKE        when set, "--bucket <name>" becomes "--lake <folder>" (a lake in a local folder)
// KPI_LOCAL_FAIL_FIRST  "<container>:<marker file>": the first run of that container (no marker yet)
//                       exits 1 without running, as a crashed container would; for retry tests.
import { existsSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { die, failTask, run, succeed, taskInput } from './common.mjs';

const input = taskInput();
const override = input.Overrides?.ContainerOverrides?.[0] ?? die('no Overrides.ContainerOverrides[0] in the task input');
const containers = JSON.parse(process.env.KPI_LOCAL_CONTAINERS ?? die('KPI_LOCAL_CONTAINERS is not set'));
const executable = containers[override.Name] ?? die(`no local executable for container '${override.Name}' (KPI_LOCAL_CONTAINERS has ${Object.keys(containers).join(', ')})`);
let args = [...(override.Command ?? [])];
if (process.env.KPI_LOCAL_LAKE) {
  const at = args.indexOf('--bucket');
  if (at >= 0) args.splice(at, 2, '--lake', process.env.KPI_LOCAL_LAKE);
}

const createdAt = Date.now();
let exitCode;
const [failContainer, marker] = (process.env.KPI_LOCAL_FAIL_FIRST ?? '').split(/:(.*)/s);
if (failContainer === override.Name && marker && !existsSync(marker)) {
  writeFileSync(marker, new Date().toISOString());
  process.stderr.write(`ecs-run-task: ${override.Name} made to fail on its first run (KPI_LOCAL_FAIL_FIRST)\n`);
  exitCode = 1;
} else {
  const result = await run(executable, args);
  // The container's stdout (its JSON result) goes to the log, as CloudWatch would keep it.
  if (result.stdout.trim()) process.stderr.write(`${override.Name}: ${result.stdout.trim()}\n`);
  exitCode = result.code;
}

const taskId = randomUUID().replaceAll('-', '');
const cluster = String(input.Cluster ?? 'local');
const taskArn = `${cluster.replace(':cluster/', ':task/')}/${taskId}`;
const stoppedAt = Date.now();
const description = {
  Attachments: [],
  ClusterArn: cluster,
  Containers: [
    {
      ContainerArn: `${cluster.replace(':cluster/', ':container/')}/${taskId}/${randomUUID()}`,
      ExitCode: exitCode,
      LastStatus: 'STOPPED',
      Name: override.Name,
      TaskArn: taskArn,
    },
  ],
  CreatedAt: createdAt,
  DesiredStatus: 'STOPPED',
  LastStatus: 'STOPPED',
  LaunchType: input.LaunchType ?? 'FARGATE',
  Overrides: input.Overrides,
  StartedAt: createdAt,
  StartedBy: 'AWS Step Functions',
  StopCode: 'EssentialContainerExited',
  StoppedAt: stoppedAt,
  StoppedReason: 'Essential container in task exited',
  TaskArn: taskArn,
  TaskDefinitionArn: input.TaskDefinition,
};
if (exitCode === 0) succeed(description);
failTask('States.TaskFailed', JSON.stringify(description));
