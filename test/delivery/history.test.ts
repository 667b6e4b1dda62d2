import { describe, expect, it } from 'vitest';
import { conversationStart, historyGroup } from '../../src/delivery/history.js';
import { deliveryGroups } from '../../src/delivery/recipients.js';

const SEEN = '2026-11-25T08:00:00.000Z';

describe('deliveryGroups', () => {
  it('splits an offline message into org and fed', () => {
    const g = deliveryGroups(
      {
        kind: 'offline-im',
        from: 'alice@contoso.com',
        to: ['bob@contoso.com', 'carol@fabrikam.com'],
        cc: [],
      },
      ['contoso.com'],
    );
    expect(Object.keys(g)).toEqual(['org', 'fed']);
  });

  it('gives a conversation-history item one history group, never org or fed', () => {
    const g = deliveryGroups(
      {
        kind: 'conversation-history',
        from: 'alice@contoso.com',
        to: ['bob@contoso.com', 'carol@fabrikam.com'],
        cc: ['dave@contoso.com'],
      },
      ['contoso.com'],
    );
    expect(g).toEqual({
      history: {
        to: ['bob@contoso.com', 'carol@fabrikam.com', 'dave@contoso.com'],
        cc: [],
        itemClass: 'IPM.Note.Microsoft.Conversation',
      },
    });
  });
});

describe('historyGroup', () => {
  it('lists every other participant once, as To, without the sender', () => {
    expect(
      historyGroup({
        from: 'Alice@contoso.com',
        to: ['alice@contoso.com', 'bob@contoso.com', ' '],
        cc: ['BOB@contoso.com', 'eve@fabrikam.com'],
      }).to,
    ).toEqual(['bob@contoso.com', 'eve@fabrikam.com']);
  });
});

describe('conversationStart', () => {
  it('is the earliest message time, whatever the order of the messages', () => {
    expect(
      conversationStart(
        {
          messages: [
            { at: '2026-11-24T10:00:00.000Z', text: 'b' },
            { text: 'no time' },
            { at: '2026-11-24T09:58:03.000Z', text: 'a' },
          ],
        },
        SEEN,
      ),
    ).toBe('2026-11-24T09:58:03.000Z');
  });

  it("falls back to a MIME item's Date, then to when the item was first seen", () => {
    expect(
      conversationStart({ messages: [{ text: 'x' }], date: '2026-11-20T07:00:00.000Z' }, SEEN),
    ).toBe('2026-11-20T07:00:00.000Z');
    expect(conversationStart({ messages: [{ text: 'x' }] }, SEEN)).toBe(SEEN);
  });
});
