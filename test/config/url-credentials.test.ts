import { describe, it, expect } from 'vitest';
import { safeHost } from '../../src/config/url-credentials.js';

describe('safeHost', () => {
  it('keeps the scheme, host and port and drops user info, path and query', () => {
    expect(safeHost('https://alice:pw@mail.contoso.com:8443/EWS/Exchange.asmx?sig=x', 'EWS')).toBe(
      'https://mail.contoso.com:8443',
    );
  });

  it('names the server by the fallback when the text is not a URL', () => {
    expect(safeHost('not a url', 'the EWS server')).toBe('the EWS server');
  });
});
