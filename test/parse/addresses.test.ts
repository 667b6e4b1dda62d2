import { describe, it, expect } from 'vitest';
import {
  domainOf,
  isOrganization,
  normaliseAddress,
  parseAddress,
} from '../../src/item/addresses.js';

describe('normaliseAddress', () => {
  it.each([
    ['bob@contoso.com', 'bob@contoso.com'],
    ['  bob@contoso.com\t', 'bob@contoso.com'],
    ['sip:carol@fabrikam.com', 'carol@fabrikam.com'],
    ['SIP:carol@fabrikam.com', 'carol@fabrikam.com'],
    ['Sip:carol@fabrikam.com;transport=tls', 'carol@fabrikam.com'],
    ['mailto:dave@contoso.com', 'dave@contoso.com'],
    ['MAILTO:dave@contoso.com?subject=hi', 'dave@contoso.com'],
    ['Bob Jones <bob@contoso.com>', 'bob@contoso.com'],
    ['"Jones, Bob" <sip:bob@contoso.com>', 'bob@contoso.com'],
    ['Bob.Jones+im@Sales.Contoso.com', 'Bob.Jones+im@Sales.Contoso.com'],
    ['jürgen@müller.de', 'jürgen@müller.de'],
  ])('%j -> %j', (raw, expected) => {
    expect(normaliseAddress(raw)).toBe(expected);
  });

  it.each([
    ['', 'it is empty'],
    ['sip:', 'it is empty'],
    ['bob', 'it has no "@"'],
    ['@contoso.com', 'nothing comes before the "@"'],
    ['bob@', 'nothing comes after the "@"'],
    ['bob smith@contoso.com', 'space'],
    ['bob\u0000@contoso.com', 'control character'],
    ['bob..x@contoso.com', 'two dots'],
    ['bob@contoso', 'no dot'],
    ['bob@-contoso.com', 'not a valid host name'],
    ['bob@contoso..com', 'not a valid host name'],
    ['bob@con toso.com', 'not a valid host name'],
    [`${'a'.repeat(65)}@contoso.com`, 'longer than 64'],
    [`a@${'b'.repeat(250)}.com`, 'longer than 254'],
  ])('rejects %j, saying why', (raw, why) => {
    const r = parseAddress(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(why);
  });
});

describe('domainOf', () => {
  it('is the lowercased part after the @', () => {
    expect(domainOf('Bob@Sales.Contoso.COM')).toBe('sales.contoso.com');
    expect(domainOf('nobody')).toBe('');
  });
});

describe('isOrganization', () => {
  const domains = ['contoso.com', 'Northwind.example'];

  it('matches the domain itself and its subdomains, case-insensitively', () => {
    expect(isOrganization('bob@contoso.com', domains)).toBe(true);
    expect(isOrganization('bob@CONTOSO.com', domains)).toBe(true);
    expect(isOrganization('bob@eu.sales.contoso.com', domains)).toBe(true);
    expect(isOrganization('ann@northwind.EXAMPLE', domains)).toBe(true);
  });

  it('does not match other domains that merely end the same way', () => {
    expect(isOrganization('carol@fabrikam.com', domains)).toBe(false);
    expect(isOrganization('eve@notcontoso.com', domains)).toBe(false);
    expect(isOrganization('eve@contoso.com.evil.net', domains)).toBe(false);
    expect(isOrganization('bob', domains)).toBe(false);
  });

  it('tolerates configured domains written with a leading @ or dot', () => {
    expect(isOrganization('bob@contoso.com', ['@contoso.com'])).toBe(true);
    expect(isOrganization('bob@eu.contoso.com', ['.contoso.com'])).toBe(true);
    expect(isOrganization('bob@contoso.com', [])).toBe(false);
    expect(isOrganization('bob@contoso.com', [''])).toBe(false);
  });
});
