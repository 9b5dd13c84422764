/** Example requests shared by unit tests. */
import type { NewOrder } from "../../services/order/domain.ts";

/** A valid POST /orders body. */
export const newOrder: NewOrder = {
  customer_name: "Ada Lovelace",
  customer_email: "ada@example.com",
  origin_address: "1 Analytical Way",
  destination_address: "12 Engine Street",
  package_weight: 2.5,
  items: [{ sku: "SKU-1", item_name: "Bolt", quantity: 3 }],
};
