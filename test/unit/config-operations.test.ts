// The operating settings: trusted proxies, the metrics token and label switch, the shutdown delay.
import { test } from '@jest/globals';
import assert from '../helpers/assert.js';
import { ConfigError, parseConfig } from '../../server/config.js';

const problems = (env: Record<string, string>): string[] => {
  try {
    parseConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return [...error.problems];
  }
  assert.fail('expected a ConfigError');
};

test('When nothing is configured, then no proxy is trusted, /metrics is open with organisation labels, and shutdown does not wait', () => {
  const config = parseConfig({});
  assert.equal(config.trustProxy, false);
  assert.deepEqual(config.metrics, { token: null, perOrganisation: true });
  assert.equal(config.shutdownDelayMs, 0);
});

test('When TRUST_PROXY is a hop count or a list of addresses and ranges, then it is taken as such', () => {
  assert.equal(parseConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
  assert.deepEqual(
    parseConfig({ TRUST_PROXY: ' 10.0.0.0/8, 192.0.2.7 ,loopback, fd00::/8, ::1' }).trustProxy,
    ['10.0.0.0/8', '192.0.2.7', 'loopback', 'fd00::/8', '::1'],
  );
});

test('When TRUST_PROXY is true, zero, a host name or a bad range, then the configuration is refused naming it', () => {
  for (const value of ['true', '0', 'proxy.example', '10.0.0.0/33', '10.0.0.1/8/1']) {
    const found = problems({ TRUST_PROXY: value });
    assert.equal(found.length, 1, value);
    assert.match(found[0]!, /^TRUST_PROXY=/, value);
  }
});

test('When the metrics token is too short, then it is refused without being shown; a good one is kept', () => {
  const found = problems({ METRICS_TOKEN: 'short-secret' });
  assert.match(found[0]!, /^METRICS_TOKEN=\(hidden\): must be 16 or more/);
  assert.ok(!found.join('').includes('short-secret'));
  assert.equal(
    parseConfig({ METRICS_TOKEN: 'a-long-scrape-token-42' }).metrics.token,
    'a-long-scrape-token-42',
  );
});

test('When the organisation label is switched off or the shutdown delay set, then the configuration says so', () => {
  const config = parseConfig({ METRICS_ORGANISATION_LABEL: 'false', SHUTDOWN_DELAY_MS: '5000' });
  assert.equal(config.metrics.perOrganisation, false);
  assert.equal(config.shutdownDelayMs, 5000);
  assert.match(problems({ METRICS_ORGANISATION_LABEL: 'no' })[0]!, /^METRICS_ORGANISATION_LABEL="no"/);
});
