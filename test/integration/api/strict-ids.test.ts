// Ids in admin API paths are plain digits: `0x10`, `1e1`, ` 16`, `016`, `+16` or `16.0` name no
// resource, so they are refused (400 problem JSON) rather than read as another member's id.
import { test } from '@jest/globals';
import { perTest } from '../../helpers/per-test.js';
import assert from '../../helpers/assert.js';
import { HIGHEST, OPERATOR } from '../../../domain/model.js';
import { apiWorld, problem } from '../../helpers/api.js';

test('When a path id is not in plain digits, then the admin API answers 400 problem JSON and never another resource', async () => {
  const t = perTest();
  const w = await apiWorld();
  t.after(() => w.cleanup());
  // Members up to id 16, so that 0x10 and 16.0 would find one if read as numbers.
  let id = 0;
  for (let i = 0; id < 16; i += 1) {
    id = (
      await w.c.members.admit(
        w.organisationId,
        { email: `m${i}@acme.example`, displayName: `M ${i}`, role: 'user' },
        'manual',
        HIGHEST,
        OPERATOR,
      )
    ).id;
  }
  assert.equal(id, 16);
  const sixteen = await w.as.owner.get('/members/16');
  assert.equal(sixteen.status, 200, sixteen.text);
  assert.equal(sixteen.body.id, 16);

  for (const text of [
    '0x10',
    '1e1',
    '%2016',
    '16%20',
    '016',
    '+16',
    '16.0',
    '0',
    '-16',
    '99999999999999999',
  ]) {
    const res = await w.as.owner.get(`/members/${text}`);
    assert.equal(res.status, 400, `/members/${text}: ${res.text}`);
    assert.equal(problem(res).code, 'validation_failed', text);
  }
  const hook = await w.as.owner.delete('/webhooks/0x1');
  assert.equal(hook.status, 400);
  const token = await w.as.owner.delete('/api-tokens/1e0');
  assert.equal(token.status, 400);
  const audit = await w.as.owner.get('/audit?member=0x10');
  assert.equal(audit.status, 400);
  assert.equal((await w.as.owner.get('/audit?member=16')).status, 200);
});
