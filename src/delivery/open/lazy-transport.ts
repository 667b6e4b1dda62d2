/**
 * The mail transport, opened on first use. Opening it loads the EWS or Graph client (with MSAL) or
 * starts the sandbox: about 50 MB of a daemon that, on a terminal server, mostly waits with an
 * empty queue (docs/performance.md, idle footprint). The daemon says at start which transport is
 * configured; the first item due opens it.
 *
 * The daemon calls `open()` before each delivery attempt, so that opening is not counted in the
 * attempt's duration (nor in its timeout). A failure to open is a delivery failure like any other:
 * the requests of that attempt fail with `TransportUnavailable` (transient: the items are deferred
 * and retried with backoff, and each `delivery.deferred` line carries the reason), `onOpenFailed`
 * hears it once per attempt to open, and the next `open()` tries again.
 */
import { DeliveryError } from '../../errors/errors.js';
import type { OpenedTransport, Transport } from '../transport.js';

/** What the lazy transport needs of an opened one. */
export type Openable = Pick<OpenedTransport, 'transport' | 'close'>;

export interface LazyTransportDeps {
  /** The configured transport (`delivery.transport`), known before it is opened. */
  name: string;
  /** Opens it (the caller hands the opened transport's secrets to the logger itself). */
  open: () => Promise<Openable>;
  onOpened?(transport: Transport): void;
  /** Once per failed attempt to open, however many requests were waiting for it. */
  onOpenFailed?(error: DeliveryError): void;
}

export const TRANSPORT_UNAVAILABLE = 'TransportUnavailable';

/** A {@link Transport} that opens the real one when a request first needs it. */
export function makeLazyTransport(
  deps: LazyTransportDeps,
): Transport & { isOpen(): boolean; open(): Promise<void> } {
  let opening: Promise<Openable> | undefined;
  let failed = false;
  let opened = false;
  let closed = false;

  const get = (): Promise<Openable> => {
    if (closed) {
      return Promise.reject(new DeliveryError('TransportClosed', 'the transport is closed (shutdown)')); // prettier-ignore
    }
    opening ??= deps.open().then(
      (o) => {
        opened = true;
        deps.onOpened?.(o.transport);
        return o;
      },
      (e: unknown) => {
        // Kept, so the requests of this attempt fail with it; the next open() tries again.
        failed = true;
        const err = new DeliveryError(
          TRANSPORT_UNAVAILABLE,
          `the ${deps.name} transport could not be opened: ${e instanceof Error ? e.message : String(e)}`,
          { cause: e },
        );
        deps.onOpenFailed?.(err);
        throw err;
      },
    );
    return opening;
  };

  return {
    name: deps.name,
    isOpen: () => opened,
    open: () => {
      if (failed) {
        failed = false;
        opening = undefined;
      }
      return get().then(
        () => undefined,
        () => undefined,
      );
    },
    send: async (request, signal) => (await get()).transport.send(request, signal),
    findSent: async (headerValue, signal, sender) =>
      (await get()).transport.findSent(headerValue, signal, sender),
    probe: async (signal) => (await get()).transport.probe(signal),
    async close() {
      closed = true;
      const o = opening;
      opening = undefined;
      // Still opening: let it finish, then release what it opened.
      if (o)
        await o.then(
          (t) => t.close(),
          () => undefined,
        );
    },
  };
}
