// What every variant of the recommender shares: its state (impressions and clicks per item) and
// the state's binary format, so a swap between any two variants keeps what was learned.
//
// State format (little-endian): magic "EVRC", format version 1, item count, reserved 0, then
// `shown` and `clicked` as u32 per item. 16 + 8 × ITEMS bytes.
export const ITEMS: u32 = 256;
const MAGIC: u32 = 0x43525645;
const FORMAT: u32 = 1;
export const STATE_BYTES: u32 = 16 + ITEMS * 8;

const SHOWN: usize = memory.data(ITEMS * 4);
const CLICKED: usize = memory.data(ITEMS * 4);
/** The (pointer, length) pair capture returns (the canonical ABI returns a list through memory). */
const RETURN_AREA: usize = memory.data(8, 4);
/** Where capture serializes, and where the host writes a state for initialize. */
const BUFFER: usize = memory.data(STATE_BYTES, 8);
let total: u64 = 0;

// @ts-ignore: decorator
@inline export function shownOf(item: u32): u32 {
  return load<u32>(SHOWN + (<usize>item << 2));
}

// @ts-ignore: decorator
@inline export function clickedOf(item: u32): u32 {
  return load<u32>(CLICKED + (<usize>item << 2));
}

export function totalShown(): u64 {
  return total;
}

export function observe(item: u32, clicked: bool): void {
  if (item >= ITEMS) return;
  const at = <usize>item << 2;
  store<u32>(SHOWN + at, load<u32>(SHOWN + at) + 1);
  if (clicked) store<u32>(CLICKED + at, load<u32>(CLICKED + at) + 1);
  total++;
}

export function impressions(): u64 {
  return total;
}

export function capture(): usize {
  store<u32>(BUFFER, MAGIC);
  store<u32>(BUFFER + 4, FORMAT);
  store<u32>(BUFFER + 8, ITEMS);
  store<u32>(BUFFER + 12, 0);
  memory.copy(BUFFER + 16, SHOWN, ITEMS * 4);
  memory.copy(BUFFER + 16 + ITEMS * 4, CLICKED, ITEMS * 4);
  store<u32>(RETURN_AREA, <u32>BUFFER);
  store<u32>(RETURN_AREA + 4, STATE_BYTES);
  return RETURN_AREA;
}

export function initialize(pointer: usize, length: u32): void {
  if (length == 0) {
    memory.fill(SHOWN, 0, ITEMS * 4);
    memory.fill(CLICKED, 0, ITEMS * 4);
    total = 0;
    return;
  }
  // A state of another format is refused whole: nothing of it is read.
  if (length != STATE_BYTES || load<u32>(pointer) != MAGIC || load<u32>(pointer + 4) != FORMAT || load<u32>(pointer + 8) != ITEMS) unreachable();
  memory.copy(SHOWN, pointer + 16, ITEMS * 4);
  memory.copy(CLICKED, pointer + 16 + ITEMS * 4, ITEMS * 4);
  let sum: u64 = 0;
  for (let i: u32 = 0; i < ITEMS; i++) sum += shownOf(i);
  total = sum;
}

/** The canonical ABI's allocator: the host asks it for room to write a state into. */
export function cabi_realloc(old: usize, oldSize: usize, align: usize, newSize: usize): usize {
  // A state fits the static buffer; anything larger is not a state this version reads (initialize traps on it).
  if (newSize <= <usize>STATE_BYTES) return BUFFER;
  return heap.alloc(newSize);
}
