import { describe, expect, it } from 'vitest';
import { formatByteSize, parseByteSize } from '../../src/config/byte-size.js';
import { formatDuration, parseDuration } from '../../src/config/duration.js';

describe('parseDuration', () => {
  it.each([
    [30, 30_000],
    [0, 0],
    [1.5, 1500],
    [0.25, 250],
    ['500ms', 500],
    ['1.5s', 1500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['72h', 259_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1h 30m', 5_400_000],
    [' 2M ', 120_000],
    ['.5s', 500],
    ['45', 45_000],
  ])('%j is %d ms', (value, ms) => {
    expect(parseDuration(value)).toBe(ms);
  });

  it.each([
    -1,
    -0.5,
    '-5s',
    '',
    '  ',
    'soon',
    '5 minutes',
    '2w',
    '1e3s',
    '1s-',
    'ms',
    Number.NaN,
    Infinity,
    null,
    true,
    [],
    {},
    undefined,
  ])('%j is not a duration', (value) => {
    expect(parseDuration(value)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [1500, '1s500ms'],
    [30_000, '30s'],
    [120_000, '2m'],
    [5_400_000, '1h30m'],
    [259_200_000, '3d'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [1, 999, 61_001, 90_061_001])
      expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});

describe('parseByteSize', () => {
  it.each([
    [1024, 1024],
    ['100', 100],
    ['100B', 100],
    ['512KiB', 524_288],
    ['10MiB', 10_485_760],
    ['10 MiB', 10_485_760],
    ['10M', 10_485_760],
    ['1MB', 1_000_000],
    ['1.5KiB', 1536],
    ['1GiB', 1_073_741_824],
  ])('%j is %d bytes', (value, bytes) => {
    expect(parseByteSize(value)).toBe(bytes);
  });

  it.each([-1, 1.5, '10XB', 'big', '', null, '-1MiB'])('%j is not a size', (value) => {
    expect(parseByteSize(value)).toBeUndefined();
  });

  it('formats sizes the way the config writes them', () => {
    expect(formatByteSize(10_485_760)).toBe('10MiB');
    expect(formatByteSize(1536)).toBe('1.5KiB');
    expect(formatByteSize(300)).toBe('300B');
  });
});
