/** Authentication to the mail server. Secrets never live in the config: only the names of variables or commands that hold them. */
export type AuthConfig =
  | { type: 'basic'; username: string; passwordEnv: string }
  | { type: 'ntlm'; username: string; passwordEnv: string; domain?: string }
  | { type: 'oauth'; tokenEnv?: string; tokenCommand?: string };

/** `delivery.graph`: the app registration, how it signs in, and whose mailbox sends. */
export interface GraphConfig {
  /** Graph's base URL (default `https://graph.microsoft.com/v1.0`). */
  url: string;
  /** The identity platform (default `https://login.microsoftonline.com`). */
  authority: string;
  /** Directory (tenant) ID or domain. */
  tenant: string;
  /** Application (client) ID of the app registration. */
  clientId: string;
  auth:
    | {
        type: 'app';
        clientSecretEnv?: string;
        certificateFile?: string;
        certificateThumbprint?: string;
      }
    | { type: 'deviceCode'; cacheFile: string };
  /** `sender` (each sender's own mailbox), `me` (the signed-in user) or one mailbox address. */
  mailbox: string;
  timeout: number;
}

/** `delivery.routing`: for `delivery.transport: "auto"`. */
export interface RoutingConfig {
  /** Lower-case domain (subdomains included) to transport. */
  domains: Record<string, 'ews' | 'graph'>;
  default: 'ews' | 'graph';
  /** Ask Autodiscover per mailbox first (default true). */
  autodiscover: boolean;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/**
 * The validated, resolved configuration. Durations are milliseconds; paths are absolute
 * (resolved against the config file's folder). See docs/configuration.md.
 */
export interface Config {
  /** Absolute path of the file this was loaded from, if any. */
  configFile?: string | undefined;
  spool: {
    /** Absolute folders, or the literal `auto` (expanded by spool/discover.ts). */
    paths: string[];
    /** How long a file must sit unchanged before it is taken (default 2 minutes). */
    grace: number;
    /** How often every folder is rescanned to reconcile missed watcher events (default 60 s). */
    rescan: number;
    /** Larger files are quarantined as `TooLarge` (default 10 MiB). */
    maxBytes: number;
    /**
     * File watcher: `chokidar` (default) or `native` (`fs.watch`, cheaper for folders holding
     * thousands of files). Either way a periodic rescan catches what the watcher misses.
     */
    watcher: 'chokidar' | 'native';
  };
  stateDir: string;
  delivery: {
    transport: 'ews' | 'sandbox' | 'graph' | 'auto';
    /** Requests in flight at most (default 2). */
    concurrency: number;
    /** How long a clean stop may take before in-flight work is abandoned (default 10 s). */
    shutdownTimeout: number;
    ews: {
      /** The EWS endpoint, or the literal `autodiscover` (found by Autodiscover, docs/autodiscover.md). */
      url: string;
      /** The address Autodiscover is asked about (default: the sender of the first message). */
      autodiscoverEmail?: string;
      auth: AuthConfig;
      /** Per-request timeout (default 30 s). */
      timeout: number;
      /** `RequestServerVersion` (default Exchange2013). */
      version: 'Exchange2013' | 'Exchange2013_SP1' | 'Exchange2016';
      /** Verify TLS certificates (default true). */
      rejectUnauthorized: boolean;
    };
    /** Microsoft Graph (docs/exchange-online.md). */
    graph: GraphConfig;
    /** Which senders `transport: "auto"` sends through EWS or Graph. */
    routing: RoutingConfig;
    sandbox: {
      /** Where the in-process sandbox writes delivered messages as .eml files. */
      mailbox: string;
    };
  };
  organization: {
    /** Recipients in these domains or their subdomains get the missed-conversation class. */
    domains: string[];
  };
  retry: {
    minDelay: number;
    maxDelay: number;
    /** Past this age an item expires to `failed`. */
    maxAge: number;
    /** Quick in-process retries (p-retry) before an attempt is deferred (default 2). */
    quickRetries: number;
  };
  history: {
    /** How long items that left the queue (delivered, deleted) stay in the history (default 30 days). */
    retention: number;
  };
  log: {
    level: LogLevel;
    /** Absolute path of the JSON log file, or null for stdout only. */
    file: string | null;
    /** `pretty`: compact lines on an interactive terminal (JSON otherwise); `json`: always JSON. */
    console: 'pretty' | 'json';
    /**
     * Item lines carry the envelope's addresses as ECS `email.from.address`, `email.to.address`
     * and `email.cc.address` (default true); false leaves them out.
     */
    addresses: boolean;
    /** Start a new log file past this size (default 20 MiB). */
    maxSize?: string | number | undefined;
    /** Keep this many files, or `"14d"`: files this many days old (default). */
    maxFiles?: string | number | undefined;
  };
  /** The optional health and metrics listener (docs/metrics.md). */
  metrics: {
    /** `"127.0.0.1:9464"`-style, loopback only; null: off (default). */
    listen: string | null;
    /** When `/healthz` turns degraded. */
    degradedAfter: { ewsFailing: number; oldestItem: number; diskFreeBelow: number };
  };
  /**
   * Mirrors of Skype for Business policy switches. When either is false, items are held with the
   * policy as the reason (never sent, never lost) until it is true again and the daemon restarts.
   */
  policy: {
    /** The server's `Set-CsImConfiguration -EnableOfflineIM` (default true). */
    offlineIm: boolean;
    /** The client policy's `EnableIMAutoArchiving` (default true). */
    imAutoArchiving: boolean;
  };
}
