/**
 * A min-heap of (dueAt, id) with lazy deletion: rescheduling an id pushes a new entry and the stale
 * one is skipped when it surfaces. Keeps 100,000 deferred items cheap: O(log n) per change and no
 * scan of the whole queue to find the next due time.
 */
export class DueHeap {
  private heap: { at: number; id: string }[] = [];
  private current = new Map<string, number>();

  get size(): number {
    return this.current.size;
  }

  has(id: string): boolean {
    return this.current.has(id);
  }

  set(id: string, at: number): void {
    this.current.set(id, at);
    this.heap.push({ at, id });
    this.up(this.heap.length - 1);
    // Stale entries pile up when items are rescheduled often; rebuild before they dominate.
    if (this.heap.length > 64 && this.heap.length > this.current.size * 4) this.rebuild();
  }

  /** Moves every entry by `deltaMs` (order is unchanged, so the heap stays valid). */
  shift(deltaMs: number): void {
    for (const e of this.heap) e.at += deltaMs;
    for (const [id, at] of this.current) this.current.set(id, at + deltaMs);
  }

  delete(id: string): boolean {
    return this.current.delete(id);
  }

  /** The earliest live entry, without removing it. */
  peek(): { at: number; id: string } | undefined {
    this.dropStale();
    return this.heap[0];
  }

  /** Removes and returns the earliest live entry if it is due at `now`. */
  popDue(now: number): string | undefined {
    const top = this.peek();
    if (!top || top.at > now) return undefined;
    this.pop();
    this.current.delete(top.id);
    return top.id;
  }

  private dropStale(): void {
    for (;;) {
      const top = this.heap[0];
      if (!top || this.current.get(top.id) === top.at) return;
      this.pop();
    }
  }

  private rebuild(): void {
    this.heap = [...this.current].map(([id, at]) => ({ id, at }));
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private pop(): void {
    const last = this.heap.pop();
    if (last && this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
  }

  private less(a: number, b: number): boolean {
    const x = this.heap[a]!;
    const y = this.heap[b]!;
    return x.at < y.at || (x.at === y.at && x.id < y.id);
  }

  private swap(a: number, b: number): void {
    const t = this.heap[a]!;
    this.heap[a] = this.heap[b]!;
    this.heap[b] = t;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.heap.length && this.less(l, m)) m = l;
      if (r < this.heap.length && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
