import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../server/config.ts';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.dataDir, path.resolve('./data'));
    assert.equal(c.collectIntervalMs, 1000);
    assert.equal(c.retentionDays, 30);
    assert.equal(c.publicUrl, 'http://127.0.0.1:3000');
  });

  it('reads every variable', () => {
    const c = loadConfig({
      PORT: '8080', HOST: '0.0.0.0', DATABASE_URL: 'postgres://u@db/x', DATA_DIR: '/var/lib/gw', COLLECT_INTERVAL_MS: '250',
      RETENTION_DAYS: '7', SMTP_URL: 'smtp://mail:25', ALERT_EMAIL_FROM: 'a@b', ALERT_EMAIL_TO: 'c@d', ADMIN_PASSWORD: 'pw',
      PUBLIC_URL: 'https://gw.example.com/', REDIS_URL: 'redis://127.0.0.1:6379',
    });
    assert.equal(c.port, 8080);
    assert.equal(c.databaseUrl, 'postgres://u@db/x');
    assert.equal(c.collectIntervalMs, 250);
    assert.equal(c.publicUrl, 'https://gw.example.com');
    assert.deepEqual(c.smtp, { url: 'smtp://mail:25', from: 'a@b', to: 'c@d' });
  });

  it('treats empty variables as unset', () => {
    assert.equal(loadConfig({ DATABASE_URL: '', PORT: '' }).port, 3000);
  });

  it('names every bad variable at once', () => {
    assert.throws(
      () => loadConfig({ PORT: 'eighty', COLLECT_INTERVAL_MS: '100', DATABASE_URL: 'mysql://x', RETENTION_DAYS: '0' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        for (const name of ['PORT', 'COLLECT_INTERVAL_MS', 'DATABASE_URL', 'RETENTION_DAYS']) assert.match(err.message, new RegExp(name));
        return true;
      },
    );
  });
});
