// Variant "shrunk": each item's click-through rate shrunk toward the rate of all items (a
// beta prior of strength 20 centred on the overall rate), with a small lift for the items of
// the user's segment (items ≡ segment mod 8).
import { clickedOf, shownOf, ITEMS } from "./common";
export { capture, initialize, observe, impressions, cabi_realloc } from "./common";

export function score(item: u32, segment: u32): f64 {
  if (item >= ITEMS) return 0;
  let shown: f64 = 0;
  let clicked: f64 = 0;
  for (let i: u32 = 0; i < ITEMS; i++) {
    shown += <f64>shownOf(i);
    clicked += <f64>clickedOf(i);
  }
  const overall = (clicked + 1) / (shown + 2);
  const rate = (<f64>clickedOf(item) + 20 * overall) / (<f64>shownOf(item) + 20);
  return (item & 7) == (segment & 7) ? rate * 1.05 : rate;
}
