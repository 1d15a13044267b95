// Three versions of the shop's pricing stage. Their version ids are the SHA-256 of these source
// texts: shop.json's baseline names `flat`'s, so edit a function and its id (and the file) changes.

/** The baseline: every unit at its price. */
export function flat(cart, ctx) {
  ctx.effect("db.read", { table: "prices" });
  return { total: cart.qty * cart.unitPrice };
}

/** 15 % off carts of ten or more; records the discount it granted. */
export function bulk(cart, ctx) {
  ctx.effect("db.read", { table: "prices" });
  const discounted = cart.qty >= 10;
  if (discounted) ctx.effect("db.write", { table: "discounts", qty: cart.qty });
  return { total: cart.qty * cart.unitPrice * (discounted ? 0.85 : 1) };
}

/** Surge pricing with a bug: big carts come out negative, which the output schema refuses. */
export function surge(cart, ctx) {
  ctx.effect("http.call", { service: "demand" });
  return { total: cart.qty > 15 ? -1 : cart.qty * cart.unitPrice * 1.1 };
}

export const cartSchema = { type: "object", required: ["qty", "unitPrice"], properties: { qty: { type: "integer", minimum: 1 }, unitPrice: { type: "number", minimum: 0 } } };
export const pricedSchema = { type: "object", required: ["total"], properties: { total: { type: "number", minimum: 0 } } };
