/**
 * Every key the config accepts, as a tree (a leaf is `true`). Both the validator (unknown keys,
 * suggestions) and the environment overrides (mapping `STATE_DIR` back to `stateDir`) read it, so
 * a new key is added here once.
 */
export type KeyTree = { readonly [key: string]: KeyTree | true };

/** Keys of `delivery.ews.auth` for each `auth.type` (the tree below holds their union). */
export const AUTH_KEYS = {
  basic: ['type', 'username', 'passwordEnv'],
  ntlm: ['type', 'username', 'passwordEnv', 'domain'],
  oauth: ['type', 'tokenEnv', 'tokenCommand'],
} as const;

export const KEY_TREE = {
  spool: { paths: true, grace: true, rescan: true, maxBytes: true, watcher: true },
  stateDir: true,
  delivery: {
    transport: true,
    concurrency: true,
    shutdownTimeout: true,
    ews: {
      url: true,
      autodiscoverEmail: true,
      auth: {
        type: true,
        username: true,
        passwordEnv: true,
        domain: true,
        tokenEnv: true,
        tokenCommand: true,
      },
      timeout: true,
      version: true,
      rejectUnauthorized: true,
    },
    graph: {
      url: true,
      authority: true,
      tenant: true,
      clientId: true,
      auth: {
        type: true,
        clientSecretEnv: true,
        certificateFile: true,
        certificateThumbprint: true,
        cacheFile: true,
      },
      mailbox: true,
      timeout: true,
    },
    routing: { domains: true, default: true, autodiscover: true },
    sandbox: { mailbox: true },
  },
  organization: { domains: true },
  retry: { minDelay: true, maxDelay: true, maxAge: true, quickRetries: true },
  history: { retention: true },
  log: { level: true, file: true, console: true, maxSize: true, maxFiles: true, addresses: true },
  metrics: {
    listen: true,
    degradedAfter: { ewsFailing: true, oldestItem: true, diskFreeBelow: true },
  },
  policy: { offlineIm: true, imAutoArchiving: true },
} as const satisfies KeyTree;

/** The subtree at a dotted path (`delivery.ews`), or undefined when the path names no object. */
export function subtree(path: string): KeyTree | undefined {
  let node: KeyTree | true = KEY_TREE;
  for (const segment of path === '' ? [] : path.split('.')) {
    if (node === true || !Object.hasOwn(node, segment)) return undefined;
    node = node[segment] as KeyTree | true;
  }
  return node === true ? undefined : node;
}

/** `stateDir` -> `STATE_DIR`: how a key is spelt in an environment variable. */
export const toUpperSnake = (key: string): string =>
  key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
