/**
 * FIFO of waiters with O(1) push, shift and removal of any node. An aborted waiter leaves the
 * middle of the queue without a scan and without leaving a tombstone behind, so `size` is exact and
 * the head is always a live waiter.
 */

export interface QueueNode {
  prev?: QueueNode | undefined;
  next?: QueueNode | undefined;
  /** Set while linked, so a double removal (abort racing admission) is a no-op. */
  queued?: boolean;
}

export class WaiterQueue<T extends QueueNode> {
  #head: T | undefined;
  #tail: T | undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get head(): T | undefined {
    return this.#head;
  }

  push(node: T): void {
    node.prev = this.#tail;
    node.next = undefined;
    node.queued = true;
    if (this.#tail) this.#tail.next = node;
    else this.#head = node;
    this.#tail = node;
    this.#size++;
  }

  shift(): T | undefined {
    const node = this.#head;
    if (node) this.remove(node);
    return node;
  }

  /** Unlinks `node`; returns false if it was not queued (already admitted or removed). */
  remove(node: T): boolean {
    if (!node.queued) return false;
    // The links only ever point at nodes of this queue, hence the casts.
    if (node.prev) node.prev.next = node.next;
    else this.#head = node.next as T | undefined;
    if (node.next) node.next.prev = node.prev;
    else this.#tail = node.prev as T | undefined;
    node.prev = node.next = undefined;
    node.queued = false;
    this.#size--;
    return true;
  }
}
