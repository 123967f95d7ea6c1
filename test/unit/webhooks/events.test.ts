// Which webhook event types an audit entry stands for (webhooks/events.ts, docs/webhooks.md).
import { describe, test } from '@jest/globals';
import assert from '../../helpers/assert.js';
import type { AuditEntry } from '../../../domain/records.js';
import { eventTypesOf } from '../../../webhooks/events.js';

const entry = (action: string, before?: unknown, after?: unknown): AuditEntry => ({
  organisationId: 1,
  at: '2026-12-06T09:00:00.000Z',
  actor: { type: 'operator' },
  action,
  subjectType: 'member',
  subjectId: 7,
  ...(before === undefined ? {} : { before }),
  ...(after === undefined ? {} : { after }),
});

describe('Webhook event types of an audit entry', () => {
  test('When the directory links a member who arrived by sign-in or invitation, then member.updated', () => {
    const linked = entry('member.linked', { seatState: 'seated' }, { seatState: 'seated', userName: 'erin' });
    assert.deepEqual(eventTypesOf(linked), ['member.updated']);
  });

  test('When a member is updated and deactivated at once, then member.updated then member.deactivated', () => {
    const updated = entry('member.updated', { seatState: 'seated' }, { seatState: 'deactivated' });
    assert.deepEqual(eventTypesOf(updated), ['member.updated', 'member.deactivated']);
  });

  test('When an action no event stands for is audited, then no event', () => {
    assert.deepEqual(eventTypesOf(entry('organisation.require_sso_changed')), []);
  });
});
