/** Types of sea-config.mjs, for the tests. */
export function seaConfig(opts: { main: string; output: string; execArgv: readonly string[] }): {
  main: string;
  output: string;
  disableExperimentalSEAWarning: boolean;
  useSnapshot: boolean;
  useCodeCache: boolean;
  assets: Record<string, string>;
  execArgv: string[];
};
