// Variant "popularity": the item's click-through rate, with a uniform prior (Laplace).
import { clickedOf, shownOf, ITEMS } from "./common";
export { capture, initialize, observe, impressions, cabi_realloc } from "./common";

export function score(item: u32, segment: u32): f64 {
  if (item >= ITEMS) return 0;
  return (<f64>clickedOf(item) + 1) / (<f64>shownOf(item) + 2);
}
