import { describe, expect, it } from 'vitest';
import { renderLaunchdPlist } from '../../src/service/render-launchd-plist.js';
import type { ServiceSpec } from '../../src/service/service-spec.js';
import { parsePlist } from './xml-helpers.js';

const spec: ServiceSpec = {
  nodePath: '/opt/homebrew/bin/node',
  cliPath: '/Users/alice/R&D 100%/imspooler/bin/imspooler.js',
  configFile: '/Users/alice/R&D 100%/imspooler/config/<prod>.json',
  workingDir: '/Users/alice/R&D 100%/imspooler',
  env: { IMSPOOLER__LOG__LEVEL: 'debug' },
  logDir: '/Users/alice/Library/Logs/imspooler & co',
};

describe('launchd agent', () => {
  const xml = renderLaunchdPlist(spec);
  const plist = parsePlist(xml);

  it('is a well-formed property list with the agent label', () => {
    expect(xml).toContain('<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN"');
    expect(plist.Label).toBe('com.imspooler.daemon');
  });

  it('runs node with the young-generation cap, the CLI and the config, each path one argument', () => {
    expect(plist.ProgramArguments).toEqual([
      spec.nodePath,
      '--max-semi-space-size=8',
      spec.cliPath,
      'run',
      '--config',
      spec.configFile,
    ]);
    expect(plist.WorkingDirectory).toBe(spec.workingDir);
    expect(xml).toContain('R&amp;D 100%');
    expect(xml).toContain('&lt;prod&gt;.json');
  });

  it('passes IMSPOOLER_CONFIG and the extra variables', () => {
    expect(plist.EnvironmentVariables).toEqual({
      IMSPOOLER__LOG__LEVEL: 'debug',
      IMSPOOLER_CONFIG: spec.configFile,
    });
  });

  it('starts at load, restarts only after a failure and runs as a background process', () => {
    expect(plist.RunAtLoad).toBe(true);
    expect(plist.KeepAlive).toEqual({ SuccessfulExit: false });
    expect(plist.ProcessType).toBe('Background');
  });

  it('sends stdout and stderr to files under the log folder', () => {
    expect(plist.StandardOutPath).toBe(
      '/Users/alice/Library/Logs/imspooler & co/imspooler.out.log',
    );
    expect(plist.StandardErrorPath).toBe(
      '/Users/alice/Library/Logs/imspooler & co/imspooler.err.log',
    );
  });

  it('leaves output to launchd when no log folder is given', () => {
    const bare = parsePlist(renderLaunchdPlist({ ...spec, logDir: undefined }));
    expect(bare.StandardOutPath).toBeUndefined();
    expect(bare.StandardErrorPath).toBeUndefined();
  });
});
