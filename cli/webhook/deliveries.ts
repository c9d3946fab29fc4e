/**
 * Delivery ids already handled (`X-GitHub-Delivery`), bounded: GitHub's redeliveries and replays keep
 * their id, so a second copy is answered without starting anything. An id is remembered only once its
 * delivery succeeded, so a delivery that failed (503) can be redelivered and handled.
 */
export class DeliveryLog {
  private readonly done = new Map<string, true>();
  private readonly inFlight = new Set<string>();

  constructor(private readonly capacity = 10_000) {}

  /** Claims `id` for handling; false when it was handled already or is being handled right now. */
  claim(id: string): boolean {
    if (this.done.has(id) || this.inFlight.has(id)) return false;
    this.inFlight.add(id);
    return true;
  }

  /** The claimed delivery was handled: remember it, forgetting the oldest beyond capacity. */
  succeeded(id: string): void {
    this.inFlight.delete(id);
    this.done.set(id, true);
    while (this.done.size > this.capacity) {
      const oldest = this.done.keys().next();
      if (oldest.done) break;
      this.done.delete(oldest.value);
    }
  }

  /** The claimed delivery failed: a redelivery of it will be handled. */
  failed(id: string): void {
    this.inFlight.delete(id);
  }

  get size(): number {
    return this.done.size;
  }
}
