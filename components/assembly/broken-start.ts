// Deliberately broken (for the tests): it matches the interface, but its start function traps,
// so instantiating it fails and the swap reverts.
import { clickedOf, shownOf, ITEMS } from "./common";
export { capture, initialize, observe, impressions, cabi_realloc } from "./common";

// Top-level code runs in the module's start function: this makes every instantiation trap.
if (ITEMS > 0) unreachable();

export function score(item: u32, segment: u32): f64 {
  return <f64>clickedOf(item) / (<f64>shownOf(item) + 1);
}
