import { describe, expect, it } from 'vitest';
import { groupRecipients } from '../../src/delivery/recipients.js';

const ORG = ['contoso.com'];

describe('groupRecipients', () => {
  it('puts organisation addresses in the missed-conversation group, others in the federated group', () => {
    expect(
      groupRecipients(['bob@contoso.com', 'carol@fabrikam.com'], ['dave@contoso.com'], ORG),
    ).toEqual({
      org: {
        to: ['bob@contoso.com'],
        cc: ['dave@contoso.com'],
        itemClass: 'IPM.Note.Microsoft.Missed',
      },
      fed: { to: ['carol@fabrikam.com'], cc: [], itemClass: 'IPM.Note' },
    });
  });

  it('matches domains and subdomains case-insensitively, but not look-alikes', () => {
    const g = groupRecipients(
      ['a@CONTOSO.COM', 'b@eu.Contoso.com', 'c@notcontoso.com', 'd@contoso.com.evil.net'],
      [],
      ['Contoso.com'],
    );
    expect(g.org?.to).toEqual(['a@CONTOSO.COM', 'b@eu.Contoso.com']);
    expect(g.fed?.to).toEqual(['c@notcontoso.com', 'd@contoso.com.evil.net']);
  });

  it('accepts configured domains written with a leading @ or dot', () => {
    expect(
      groupRecipients(['a@contoso.com', 'b@x.fabrikam.com'], [], ['@contoso.com', '.fabrikam.com'])
        .org?.to,
    ).toEqual(['a@contoso.com', 'b@x.fabrikam.com']);
  });

  it('dedupes case-insensitively, keeping the first spelling; an address in to and cc stays in to', () => {
    const g = groupRecipients(
      ['Bob@Contoso.com', 'bob@contoso.com'],
      ['BOB@contoso.com', 'eve@contoso.com', 'Eve@Contoso.com'],
      ORG,
    );
    expect(g.org).toEqual({
      to: ['Bob@Contoso.com'],
      cc: ['eve@contoso.com'],
      itemClass: 'IPM.Note.Microsoft.Missed',
    });
  });

  it('leaves out empty groups and blank addresses', () => {
    expect(groupRecipients(['x@fabrikam.com', '  '], [''], ORG)).toEqual({
      fed: { to: ['x@fabrikam.com'], cc: [], itemClass: 'IPM.Note' },
    });
    expect(groupRecipients([], [], ORG)).toEqual({});
  });

  it('with no organisation domains everyone is federated', () => {
    expect(Object.keys(groupRecipients(['a@contoso.com'], [], []))).toEqual(['fed']);
  });
});
