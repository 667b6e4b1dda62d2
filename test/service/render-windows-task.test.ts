import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isUsageError } from '../../src/errors/errors.js';
import {
  encodeTaskXml,
  quoteWindowsArg,
  renderWindowsTask,
} from '../../src/service/render-windows-task.js';
import type { ServiceSpec } from '../../src/service/service-spec.js';
import { parseXml } from './xml-helpers.js';

/** Splits a command line as the MSVC runtime (and so Node on Windows) does. */
function parseWindowsCommandLine(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    let arg = '';
    let quoted = false;
    while (i < line.length && (quoted || (line[i] !== ' ' && line[i] !== '\t'))) {
      let slashes = 0;
      while (line[i] === '\\') {
        slashes++;
        i++;
      }
      if (line[i] === '"') {
        arg += '\\'.repeat(Math.floor(slashes / 2));
        if (slashes % 2 === 1) arg += '"';
        else quoted = !quoted;
        i++;
      } else {
        arg += '\\'.repeat(slashes);
        const ch = line[i];
        if (ch === undefined || (!quoted && (ch === ' ' || ch === '\t'))) break;
        arg += ch;
        i++;
      }
    }
    args.push(arg);
  }
  return args;
}

const spec: ServiceSpec = {
  nodePath: 'C:\\Program Files\\nodejs\\node.exe',
  cliPath: 'C:\\Users\\Alice Smith\\R&D 100%\\imspooler\\bin\\imspooler.js',
  configFile: 'C:\\Users\\Alice Smith\\R&D 100%\\imspooler\\config\\<prod>.json',
  workingDir: 'C:\\Users\\Alice Smith\\R&D 100%\\imspooler',
  user: 'CONTOSO\\alice',
};

type Obj = Record<string, unknown>;
const task = (xml: string): Obj => (parseXml(xml) as { Task: Obj }).Task;

describe('Windows Task Scheduler definition', () => {
  const xml = renderWindowsTask(spec);
  const t = task(xml);
  const settings = t.Settings as Obj;
  const exec = (t.Actions as Obj).Exec as Obj;

  it('is a well-formed task document in the Task Scheduler namespace, version 1.2', () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-16"?>')).toBe(true);
    expect(t['@xmlns']).toBe('http://schemas.microsoft.com/windows/2004/02/mit/task');
    expect(t['@version']).toBe('1.2');
  });

  it('starts at log-on of that user and runs with the user’s own non-elevated token', () => {
    const trigger = (t.Triggers as Obj).LogonTrigger as Obj;
    expect(trigger.UserId).toBe('CONTOSO\\alice');
    expect(trigger.Enabled).toBe('true');
    const principal = (t.Principals as Obj).Principal as Obj;
    expect(principal.UserId).toBe('CONTOSO\\alice');
    expect(principal.LogonType).toBe('InteractiveToken');
    expect(principal.RunLevel).toBe('LeastPrivilege');
    expect((t.Actions as Obj)['@Context']).toBe(principal['@id']);
  });

  it('restarts after failure, never times out, keeps one instance and ignores batteries', () => {
    expect(settings.RestartOnFailure).toEqual({ Interval: 'PT1M', Count: '999' });
    expect(settings.ExecutionTimeLimit).toBe('PT0S');
    expect(settings.MultipleInstancesPolicy).toBe('IgnoreNew');
    expect(settings.DisallowStartIfOnBatteries).toBe('false');
    expect(settings.StopIfGoingOnBatteries).toBe('false');
  });

  it('runs node with the young-generation cap, the CLI and the config, paths with spaces, & and % intact', () => {
    expect(exec.Command).toBe('"C:\\Program Files\\nodejs\\node.exe"');
    expect(parseWindowsCommandLine(exec.Arguments as string)).toEqual([
      '--max-semi-space-size=8',
      spec.cliPath,
      'run',
      '--config',
      spec.configFile,
    ]);
    expect(exec.WorkingDirectory).toBe(spec.workingDir);
    expect(xml).toContain('R&amp;D 100%');
    expect(xml).toContain('&lt;prod&gt;.json');
  });

  it('leaves a node path without spaces unquoted', () => {
    const e = (
      task(renderWindowsTask({ ...spec, nodePath: 'C:\\nodejs\\node.exe' })).Actions as Obj
    ).Exec as Obj;
    expect(e.Command).toBe('C:\\nodejs\\node.exe');
  });

  it('escapes the account name', () => {
    const t2 = task(renderWindowsTask({ ...spec, user: 'R&D\\o<b>' }));
    expect(((t2.Principals as Obj).Principal as Obj).UserId).toBe('R&D\\o<b>');
  });

  it('refuses paths Task Scheduler would expand, quotes, and a missing account', () => {
    const bad: ServiceSpec[] = [
      { ...spec, configFile: 'C:\\%USERNAME%\\c.json' },
      { ...spec, workingDir: 'C:\\a"b' },
      { ...spec, user: undefined },
      { ...spec, cliPath: 'C:\\a\nb\\imspooler.js' },
    ];
    for (const s of bad) {
      let caught: unknown;
      try {
        renderWindowsTask(s);
      } catch (e) {
        caught = e;
      }
      expect(isUsageError(caught)).toBe(true);
    }
  });

  it('is written as UTF-16LE with a byte-order mark, as its declaration says', () => {
    const bytes = encodeTaskXml(xml);
    expect([...bytes.subarray(0, 2)]).toEqual([0xff, 0xfe]);
    expect(bytes.subarray(2).toString('utf16le')).toBe(xml);
  });
});

describe('quoteWindowsArg', () => {
  it('round-trips through the Windows command-line rules', () => {
    for (const s of [
      'C:\\dir\\',
      'C:\\a b\\',
      'a"b',
      'a\\"b',
      '',
      'plain',
      '\\\\server\\share\\x y\\',
    ]) {
      expect(parseWindowsCommandLine(`x ${quoteWindowsArg(s)}`)).toEqual(['x', s]);
    }
  });

  it('round-trips any string', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', ' ', '\\', '"', '%', '&', 'é', '\t') }),
        (s) => {
          expect(parseWindowsCommandLine(`x ${quoteWindowsArg(s)} y`)).toEqual(['x', s, 'y']);
        },
      ),
    );
  });
});
