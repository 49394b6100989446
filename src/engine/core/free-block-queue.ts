const NONE = -1;

/**
 * Doubly linked queue of free block ids with O(1) push at either end, pop from the front and removal from
 * the middle (a prefix-cache hit revives a free block). The front is evicted first.
 *
 * @example
 * const q = new FreeBlockQueue(4); // [0, 1, 2, 3]
 * q.remove(2); q.popFront(); // 0
 */
export class FreeBlockQueue {
  readonly #prev: Int32Array;
  readonly #next: Int32Array;
  readonly #inQueue: Uint8Array;
  #head = NONE;
  #tail = NONE;
  #length = 0;

  constructor(readonly capacity: number) {
    this.#prev = new Int32Array(capacity);
    this.#next = new Int32Array(capacity);
    this.#inQueue = new Uint8Array(capacity);
    this.reset();
  }

  get length(): number {
    return this.#length;
  }

  /** Refills the queue with block ids `0..count-1` in ascending order (default: every id). */
  reset(count = this.capacity): void {
    this.#head = this.#tail = NONE;
    this.#length = 0;
    this.#inQueue.fill(0);
    for (let id = 0; id < count; id++) this.pushBack(id);
  }

  has(id: number): boolean {
    return this.#inQueue[id] === 1;
  }

  pushBack(id: number): void {
    this.remove(id);
    this.#link(id, this.#tail, NONE);
  }

  pushFront(id: number): void {
    this.remove(id);
    this.#link(id, NONE, this.#head);
  }

  /** Removes and returns the front id, or -1 when empty. */
  popFront(): number {
    const id = this.#head;
    if (id !== NONE) this.remove(id);
    return id;
  }

  remove(id: number): void {
    if (!this.has(id)) return;
    const prev = this.#prev[id]!;
    const next = this.#next[id]!;
    if (prev === NONE) this.#head = next;
    else this.#next[prev] = next;
    if (next === NONE) this.#tail = prev;
    else this.#prev[next] = prev;
    this.#inQueue[id] = 0;
    this.#length--;
  }

  /** Ids from front to back. */
  *[Symbol.iterator](): IterableIterator<number> {
    for (let id = this.#head; id !== NONE; id = this.#next[id]!) yield id;
  }

  #link(id: number, prev: number, next: number): void {
    this.#prev[id] = prev;
    this.#next[id] = next;
    if (prev === NONE) this.#head = id;
    else this.#next[prev] = id;
    if (next === NONE) this.#tail = id;
    else this.#prev[next] = id;
    this.#inQueue[id] = 1;
    this.#length++;
  }
}
