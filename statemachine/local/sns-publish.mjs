#!/usr/bin/env node
// Local stand-in for arn:aws:states:::sns:publish: an SNS query-API Publish to AWS_ENDPOINT_URL_SNS
// (fauxqs), answering {"MessageId": ...}; or, with KPI_LOCAL_NOTIFICATIONS_FILE, one JSON line appended
// to that file (a lake in a local folder has no SNS).
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { failTask, succeed, taskInput } from './common.mjs';

const input = taskInput();
const message = typeof input.Message === 'string' ? input.Message : JSON.stringify(input.Message);

if (process.env.KPI_LOCAL_NOTIFICATIONS_FILE) {
  const file = process.env.KPI_LOCAL_NOTIFICATIONS_FILE;
  mkdirSync(path.dirname(file), { recursive: true });
  const messageId = randomUUID();
  appendFileSync(file, JSON.stringify({ MessageId: messageId, TopicArn: input.TopicArn, Subject: input.Subject, Message: message, Timestamp: new Date().toISOString() }) + '\n');
  succeed({ MessageId: messageId });
}

const endpoint = process.env.AWS_ENDPOINT_URL_SNS ?? process.env.AWS_ENDPOINT_URL;
if (!endpoint) failTask('SNS.SdkClientException', 'neither AWS_ENDPOINT_URL_SNS nor KPI_LOCAL_NOTIFICATIONS_FILE is set: a local run publishes only to a local SNS');
const form = new URLSearchParams({ Action: 'Publish', Version: '2010-03-31', TopicArn: input.TopicArn, Message: message });
if (input.Subject) form.set('Subject', input.Subject);
let response;
try {
  response = await fetch(endpoint, { method: 'POST', body: form });
} catch (error) {
  failTask('SNS.SdkClientException', `${endpoint}: ${error.message}`);
}
const body = await response.text();
if (!response.ok) failTask(response.status === 404 ? 'SNS.NotFoundException' : 'SNS.InternalErrorException', `HTTP ${response.status}: ${body}`);
const messageId = /<MessageId>([^<]+)<\/MessageId>/.exec(body)?.[1];
succeed({ MessageId: messageId ?? '' });
