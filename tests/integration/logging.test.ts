/**
 * What the server writes to its log: structured JSON lines when not in a
 * terminal, stack traces with errors, a request id on the lines of a
 * request — and never a secret, whatever passes through (passwords, session
 * cookies, agent tokens, credentials in a URL).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AgentCreated } from '../../shared/fleet.ts';
import { startNode, type NodeProcess } from '../helpers/node-process.ts';
import { login, TEST_ADMIN_PASSWORD } from '../helpers/server.ts';
import { tempDir } from '../helpers/databases.ts';
import { waitFor } from '../helpers/wait.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Runs a snippet that logs through server/lib/log.ts in a child and returns its stderr. */
function logsOf(code: string, env: Record<string, string> = {}): string {
  const script = `import { createLogger, setLogLevel } from ${JSON.stringify(path.join(ROOT, 'server/lib/log.ts'))}; setLogLevel('debug'); const log = createLogger('t'); ${code}`;
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  return res.stderr;
}

describe('the log', () => {
  it('writes JSON lines with the tag, and the error with its stack', () => {
    const out = logsOf("log.error('sealing failed', new Error('disk full'));", { LOG_FORMAT: 'json' });
    const line = JSON.parse(out.trim().split('\n').at(-1)!) as { level: number; tag: string; msg: string; err: { message: string; stack: string } };
    assert.equal(line.tag, 't');
    assert.equal(line.level, 50);
    assert.equal(line.msg, 'sealing failed: disk full');
    assert.match(line.err.stack, /Error: disk full\n\s+at /);
  });

  it('writes readable lines in pretty mode, stack included', () => {
    const out = logsOf("log.warn('scrape failed', new Error('boom'));", { LOG_FORMAT: 'pretty' });
    assert.match(out, /WARN.*\[t\] scrape failed: boom/);
    assert.match(out, /Error: boom/);
  });

  it('masks secrets in messages, errors and fields', () => {
    const out = logsOf(
      [
        "log.error('smtp failed', new Error('connect to smtp://mailer:hunter2@mail.example.com failed'));",
        "log.info('agent gwa_AbCdEfGhIjKlMnOp connected');",
        "log.info('cookie glasswatch_session=abc.def123; other=1');",
        "log.warn('header Authorization: Bearer s3cr3t-value');",
        "log.info('db postgres://app:pa55word@db:5432/erp is back');",
      ].join(''),
      { LOG_FORMAT: 'json' },
    );
    for (const secret of ['hunter2', 'gwa_AbCdEfGhIjKlMnOp', 'abc.def123', 's3cr3t-value', 'pa55word']) assert.ok(!out.includes(secret), `${secret} reached the log`);
    assert.match(out, /smtp:\/\/\[redacted\]@mail\.example\.com/);
  });
});

describe('a server started as npm start starts it (the bundle), and its log', () => {
  let node: NodeProcess;
  const dir = tempDir();
  before(async () => {
    node = await startNode({ name: 'log-node', env: { DATA_DIR: dir.dir, LOG_LEVEL: 'debug', LOG_FORMAT: 'json', COLLECT_INTERVAL_MS: '1000' } });
  });
  after(async () => {
    await node?.kill();
    dir.remove();
  });

  it('runs from dist/server/: migrations applied, PGlite in its worker, the built client served, the version read', async () => {
    const ready = await fetch(`${node.url}/readyz`).then((r) => r.json() as Promise<{ status: string; database: string }>);
    assert.deepEqual(ready, { status: 'ready', database: 'pglite' });
    const page = await fetch(`${node.url}/alerts`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>glasswatch<\/title>[\s\S]*id="app"/);
    const admin = await login(node.url, 'admin', TEST_ADMIN_PASSWORD);
    const me = await admin.json<{ name: string; role: string }>('/api/auth/me');
    assert.deepEqual([me.status, me.body.name, me.body.role], [200, 'admin', 'admin']);
    const version = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;
    assert.match(node.log(), new RegExp(`glasswatch ${version.replace(/\./g, '\\.')} serving`));
  });

  it('refuses a second server on the same data dir at once, naming the first one (PGlite is single-process)', async () => {
    await assert.rejects(
      startNode({ name: 'second-node', env: { DATA_DIR: dir.dir, LOG_FORMAT: 'json' } }),
      (err: Error) => err.message.includes(`is used by glasswatch process ${node.child.pid}`) && err.message.includes('could not start'),
    );
    const ready = await fetch(`${node.url}/readyz`).then((r) => r.json() as Promise<{ status: string }>);
    assert.equal(ready.status, 'ready', 'the first one serves on');
  });

  it('never contains a password, a session cookie or an agent token, and answers with the request id', async () => {
    const admin = await login(node.url, 'admin', TEST_ADMIN_PASSWORD);
    await fetch(`${node.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'wrong-secret-password' }) });
    const agent = await admin.json<AgentCreated>('/api/agents', { method: 'POST', body: { name: 'logged' } });
    await fetch(`${node.url}/api/ingest`, { method: 'POST', headers: { authorization: `Bearer ${agent.body.token}`, 'content-type': 'application/json' }, body: '{"values":{"app.x":1}}' });
    await fetch(`${node.url}/api/ingest`, { method: 'POST', headers: { authorization: 'Bearer gwa_not-a-real-token-xyz', 'content-type': 'application/json' }, body: '{"values":{"app.x":1}}' });
    const res = await fetch(`${node.url}/api/hosts`, { headers: { cookie: admin.cookie, 'x-request-id': 'req-check-42' } });
    assert.equal(res.headers.get('x-request-id'), 'req-check-42');
    await waitFor(() => node.log().includes('"msg"'), 'some log lines');
    const log = node.log();
    const cookie = admin.cookie.split('=')[1]!;
    for (const secret of [TEST_ADMIN_PASSWORD, 'wrong-secret-password', cookie, agent.body.token, 'gwa_not-a-real-token-xyz']) {
      assert.ok(!log.includes(secret), `the log holds a secret: ${secret.slice(0, 8)}…`);
    }
    for (const line of log.trim().split('\n')) assert.doesNotThrow(() => JSON.parse(line), `not a JSON line: ${line.slice(0, 120)}`);
  });
});
