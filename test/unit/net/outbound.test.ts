// Which addresses the outbound guard refuses, and how OUTBOUND_ALLOWLIST is read: every range the
// issue lists, IPv6 forms that carry an IPv4 address, and the public addresses that must pass.
import { describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import { parseOutboundAllowlist, refusalOf, unwrapAddress } from '../../../net/outbound.js';
import { parseConfig } from '../../../server/config.js';

describe('Outbound addresses', () => {
  test('When an address is loopback, private, CGNAT, link-local, unique-local, multicast, unspecified or reserved, then it is refused with that reason', () => {
    const cases: [string, string][] = [
      ['127.0.0.1', 'loopback'],
      ['127.255.0.9', 'loopback'],
      ['::1', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.254', 'private'],
      ['192.168.1.1', 'private'],
      ['100.64.0.1', 'carrier_grade_nat'],
      ['100.127.255.254', 'carrier_grade_nat'],
      ['169.254.169.254', 'link_local'],
      ['fe80::1', 'link_local'],
      ['fd00:ec2::254', 'unique_local'],
      ['fc00::1', 'unique_local'],
      ['224.0.0.251', 'multicast'],
      ['ff02::1', 'multicast'],
      ['0.0.0.0', 'unspecified'],
      ['::', 'unspecified'],
      ['255.255.255.255', 'reserved'],
      ['240.0.0.1', 'reserved'],
    ];
    for (const [address, reason] of cases) assert.equal(refusalOf(address), reason, address);
  });

  test('When an IPv6 address carries an IPv4 address (mapped, NAT64, 6to4), then the IPv4 address is judged', () => {
    assert.equal(refusalOf('::ffff:127.0.0.1'), 'loopback');
    assert.equal(refusalOf('::ffff:7f00:1'), 'loopback');
    assert.equal(refusalOf('::ffff:169.254.169.254'), 'link_local');
    assert.equal(refusalOf('::ffff:a00:1'), 'private');
    assert.equal(refusalOf('64:ff9b::10.0.0.1'), 'private');
    assert.equal(refusalOf('2002:c0a8:101::1'), 'private');
    assert.deepEqual(unwrapAddress('::ffff:8.8.8.8'), { address: '8.8.8.8', family: 4 });
    assert.equal(refusalOf('::ffff:8.8.8.8'), null);
  });

  test('When an address is public, then it passes', () => {
    for (const address of [
      '8.8.8.8',
      '1.1.1.1',
      '172.32.0.1',
      '100.128.0.1',
      '2606:4700:4700::1111',
      '2a00:1450::1',
    ]) {
      assert.equal(refusalOf(address), null, address);
    }
  });

  test('When OUTBOUND_ALLOWLIST names hosts, addresses and ranges, then it is read; anything else is a configuration error', () => {
    assert.deepEqual(
      parseOutboundAllowlist(' 127.0.0.1, localhost ,10.0.0.0/8,::1,fd00::/8,IdP.Corp.Example '),
      ['127.0.0.1', 'localhost', '10.0.0.0/8', '::1', 'fd00::/8', 'idp.corp.example'],
    );
    assert.deepEqual(parseOutboundAllowlist(''), []);
    assert.match(String(parseOutboundAllowlist('10.0.0.0/33')), /"10\.0\.0\.0\/33"/);
    assert.match(String(parseOutboundAllowlist('http://x.example')), /not a host name/);
    assert.match(String(parseOutboundAllowlist('bad host')), /"bad host"/);
    assert.deepEqual(parseConfig({ OUTBOUND_ALLOWLIST: '127.0.0.1' }).outbound.allowlist, ['127.0.0.1']);
    assert.deepEqual(parseConfig({}).outbound.allowlist, [], 'nothing private is allowed by default');
    assert.throws(() => parseConfig({ OUTBOUND_ALLOWLIST: '300.1.1.1/8' }), /OUTBOUND_ALLOWLIST/);
  });
});
