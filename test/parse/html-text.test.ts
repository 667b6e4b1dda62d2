import { describe, it, expect } from 'vitest';
import { htmlToText } from '../../src/item/parse-html-text.js';

describe('htmlToText', () => {
  it('drops tags and hidden elements, breaks lines at blocks and <br>', () => {
    const html =
      '<html><head><title>T</title></head><body><p>One</p><div>Two<br/>Three</div>' +
      '<script>var x = "<p>no</p>";</script><STYLE>p{}</STYLE>Four</body></html>';
    expect(htmlToText(html)).toBe('One\nTwo\nThree\nFour');
  });

  it('decodes the common entities and numeric references, leaves unknown ones', () => {
    expect(htmlToText('&lt;b&gt; &amp; &quot;q&quot; &#39;s&#39; &#x1F600; &eacute; & x')).toBe(
      `<b> & "q" 's' 😀 &eacute; & x`,
    );
  });

  it('treats an unterminated tag as the end of visible text', () => {
    expect(htmlToText('visible <b unterminated')).toBe('visible ');
  });

  it('stops after maxChars', () => {
    expect(htmlToText('<p>abcdef</p>', 3)).toBe('abc');
  });

  it('is linear on hostile input', () => {
    const started = performance.now();
    htmlToText('<'.repeat(5_000_000));
    htmlToText('<script>'.repeat(500_000));
    htmlToText('&amp'.repeat(1_000_000));
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
