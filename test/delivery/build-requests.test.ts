import { describe, expect, it } from 'vitest';
import { buildSendRequests } from '../../src/delivery/build-requests.js';
import { groupRecipients } from '../../src/delivery/recipients.js';

const item = {
  id: '0f1e2d3c4b5a6978',
  from: 'alice@contoso.com',
  to: ['bob@contoso.com', 'carol@fabrikam.com'],
  cc: [],
};

describe('buildSendRequests', () => {
  it('makes one request per group, organisation first, with header <id>/<group>', () => {
    const groups = groupRecipients(item.to, item.cc, ['contoso.com']);
    const reqs = buildSendRequests(item, 'Hi & bye', '<p>x</p>', groups);
    expect(reqs).toEqual([
      {
        itemId: item.id,
        group: 'org',
        itemClass: 'IPM.Note.Microsoft.Missed',
        from: 'alice@contoso.com',
        to: ['bob@contoso.com'],
        cc: [],
        subject: 'Hi & bye',
        html: '<p>x</p>',
        headerValue: '0f1e2d3c4b5a6978/org',
      },
      {
        itemId: item.id,
        group: 'fed',
        itemClass: 'IPM.Note',
        from: 'alice@contoso.com',
        to: ['carol@fabrikam.com'],
        cc: [],
        subject: 'Hi & bye',
        html: '<p>x</p>',
        headerValue: '0f1e2d3c4b5a6978/fed',
      },
    ]);
  });

  it('skips absent or empty groups and does not share arrays with its input', () => {
    const groups = {
      fed: { to: [], cc: ['x@fabrikam.com'], itemClass: 'IPM.Note' },
      org: { to: [], cc: [], itemClass: 'IPM.Note.Microsoft.Missed' },
    };
    const reqs = buildSendRequests(item, 's', 'h', groups);
    expect(reqs.map((r) => r.group)).toEqual(['fed']);
    reqs[0]!.cc.push('y@fabrikam.com');
    expect(groups.fed.cc).toEqual(['x@fabrikam.com']);
    expect(buildSendRequests(item, 's', 'h', {})).toEqual([]);
  });
});
