// Variant "explore": the click-through rate plus an upper-confidence bonus, so items shown
// rarely get a chance (UCB1).
import { clickedOf, shownOf, totalShown, ITEMS } from "./common";
export { capture, initialize, observe, impressions, cabi_realloc } from "./common";

export function score(item: u32, segment: u32): f64 {
  if (item >= ITEMS) return 0;
  const shown = <f64>shownOf(item);
  const rate = (<f64>clickedOf(item) + 1) / (shown + 2);
  return rate + Math.sqrt((2 * Math.log(<f64>totalShown() + 2)) / (shown + 1));
}
