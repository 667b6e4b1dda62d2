import { execFile } from 'node:child_process';

/** What a finished command left: its exit code (127 when it could not be started) and output. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one program with arguments, without a shell; never rejects. */
export type RunCommand = (command: string, args: string[]) => Promise<CommandResult>;

/** The real runner: `execFile` without a shell, so paths with spaces need no quoting. */
export const execRunCommand: RunCommand = (command, args) =>
  new Promise((resolve) => {
    execFile(command, args, { windowsHide: true, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error === null) {
        resolve({ code: 0, stdout, stderr });
        return;
      }
      const code = typeof error.code === 'number' ? error.code : 127;
      resolve({ code, stdout, stderr: stderr || error.message });
    });
  });
