#!/usr/bin/env node
// JSON wrapper around lkworker.mjs for other tools (and the C++ test driver):
//   node cli.mjs encrypt < request.json > response.json
//   node cli.mjs decrypt < request.json > response.json
// A request is one options object (see README.md) or an array of them (batch: one Node start-up).
// encrypt -> {"ok":true,"frames":[hex,...]}           or {"ok":false,"error":"...","results":[...]}
// decrypt -> {"ok":true,"results":[{"ok":true,"hex":...}|{"ok":false,"reason":...,"message":...}]}
// For an array request the response is an array of such objects. Exit code 0 when every request
// ran (frames may still have been rejected), 1 when a request failed, 2 on usage errors.
import { readFileSync } from 'node:fs';

const cmd = process.argv[2];
if (cmd !== 'encrypt' && cmd !== 'decrypt') {
  process.stderr.write('usage: node cli.mjs encrypt|decrypt < request.json > response.json\n');
  process.exit(2);
}
let input;
try {
  input = JSON.parse(readFileSync(0, 'utf8'));
} catch (e) {
  process.stderr.write(`cli.mjs: cannot parse JSON request from stdin: ${e.message}\n`);
  process.exit(2);
}

const lk = await import('./lkworker.mjs');
const batch = Array.isArray(input);
const requests = batch ? input : [input];
const responses = [];
let failed = false;
for (const req of requests) {
  try {
    if (cmd === 'encrypt') {
      responses.push({ ok: true, frames: await lk.encryptFrames(req) });
    } else {
      responses.push({ ok: true, results: await lk.decryptFrames(req) });
    }
  } catch (e) {
    failed = true;
    responses.push({ ok: false, error: e.message, ...(e.results ? { results: e.results } : {}) });
  }
}
process.stdout.write(JSON.stringify(batch ? responses : responses[0]) + '\n');
process.exitCode = failed ? 1 : 0;
