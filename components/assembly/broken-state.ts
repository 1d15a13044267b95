// Deliberately broken (for the tests and the example): it matches the interface, but cannot
// read any captured state, so initializing it with one traps and the swap reverts.
import { clickedOf, shownOf, ITEMS } from "./common";
export { capture, observe, impressions, cabi_realloc } from "./common";

export function initialize(pointer: usize, length: u32): void {
  if (length > 0) unreachable();
}

export function score(item: u32, segment: u32): f64 {
  if (item >= ITEMS) return 0;
  return <f64>clickedOf(item) / (<f64>shownOf(item) + 1);
}
