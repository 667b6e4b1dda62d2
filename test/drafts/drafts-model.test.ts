import { describe, expect, it } from 'vitest';
import {
  draftId,
  isStuckDraftClass,
  renderDraftsTable,
  resolveDraft,
  type DraftSummary,
} from '../../src/drafts/drafts-model.js';
import { isUsageError } from '../../src/errors/errors.js';

const d = (itemId: string, extra: Partial<DraftSummary> = {}): DraftSummary => ({
  id: draftId(itemId),
  itemId,
  itemClass: 'IPM.Note.Microsoft.Missed',
  createdAt: '2026-11-24T09:58:03.000Z',
  from: 'alice@contoso.com',
  to: ['bob@contoso.com'],
  subject: 'Are you free?',
  ...extra,
});

describe('stuck drafts', () => {
  it('recognises the classes a failed client leaves, and nothing else', () => {
    expect(isStuckDraftClass('IPM.Note.Microsoft.Missed')).toBe(true);
    expect(isStuckDraftClass('ipm.note.microsoft.conversation')).toBe(true);
    expect(isStuckDraftClass('IPM.Note')).toBe(false);
    expect(isStuckDraftClass('IPM.Note.Microsoft.MissedX')).toBe(false);
  });

  it('resolves an ID prefix of 8 or more characters, refusing unknown, ambiguous or short ones', () => {
    const list = [d('AAA='), d('BBB=')];
    expect(resolveDraft(list, list[1]!.id.slice(0, 8).toUpperCase()).itemId).toBe('BBB=');
    const fails = (p: string) => {
      try {
        resolveDraft(list, p);
      } catch (e) {
        return isUsageError(e) ? e.message : 'not a usage error';
      }
      return 'resolved';
    };
    expect(fails('1234')).toMatch(/at least 8 hex/);
    expect(fails('ffffffff')).toMatch(/no stuck draft/);
    const twins = [d('x', { id: 'abcdef0011' }), d('y', { id: 'abcdef0022' })];
    expect(() => resolveDraft(twins, 'abcdef00')).toThrow(/ambiguous/);
  });

  it('renders a table like status, with 12-character IDs and no control characters', () => {
    const text = renderDraftsTable({ generatedAt: '', server: 'https://mail.contoso.com', drafts: [d('AAA=', { subject: 'hi\u001b[31mred' })] }); // prettier-ignore
    expect(text).toContain('1 stuck draft in the Drafts folder (https://mail.contoso.com)');
    expect(text).toMatch(/^ID\s+CREATED\s+TO\s+SUBJECT$/m);
    expect(text).toContain(
      `${draftId('AAA=').slice(0, 12)}  2026-11-24T09:58:03Z  bob@contoso.com`,
    );
    expect(text).not.toContain('\u001b');
    expect(renderDraftsTable({ generatedAt: '', server: 's', drafts: [] })).toBe('no stuck drafts in the Drafts folder (s)'); // prettier-ignore
  });
});
