import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderLaunchdPlist } from '../../src/service/render-launchd-plist.js';
import { encodeTaskXml, renderWindowsTask } from '../../src/service/render-windows-task.js';

const XMLLINT = '/usr/bin/xmllint';
const hasXmllint = existsSync(XMLLINT);

const xmllint = (file: string): Promise<{ code: number; stderr: string }> =>
  new Promise((resolve) => {
    execFile(XMLLINT, ['--noout', '--nonet', file], (error, _stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code ?? 1), stderr });
    });
  });

describe(`definitions read by xmllint (needs ${XMLLINT})`, () => {
  if (!hasXmllint) console.warn(`skipping xmllint checks: ${XMLLINT} not found`);
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'imspooler-xml-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const odd = 'C:\\Users\\Zoë & Co\\100% <test>';

  it.skipIf(!hasXmllint)('the task file, as written for schtasks, decodes as UTF-16', async () => {
    const xml = renderWindowsTask({
      nodePath: 'C:\\Program Files\\nodejs\\node.exe',
      cliPath: `${odd}\\bin\\imspooler.js`,
      configFile: `${odd}\\config.json`,
      workingDir: odd,
      user: 'CONTOSO\\zoë',
    });
    const file = join(dir, 'task.xml');
    await writeFile(file, encodeTaskXml(xml));
    expect(await xmllint(file)).toEqual({ code: 0, stderr: '' });
    // The same text as UTF-8 contradicts its declaration: the encoding step is what makes it valid.
    await writeFile(file, xml, 'utf8');
    expect((await xmllint(file)).code).not.toBe(0);
  });

  it.skipIf(!hasXmllint)('the launchd plist', async () => {
    const file = join(dir, 'agent.plist');
    await writeFile(
      file,
      renderLaunchdPlist({
        nodePath: '/usr/local/bin/node',
        cliPath: '/Users/zoë/R&D 100% <x>/bin/imspooler.js',
        configFile: '/Users/zoë/R&D 100% <x>/config.json',
        workingDir: '/Users/zoë/R&D 100% <x>',
        logDir: '/Users/zoë/Library/Logs/imspooler',
      }),
    );
    expect(await xmllint(file)).toEqual({ code: 0, stderr: '' });
  });
});
