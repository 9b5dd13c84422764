/** The inventory API: items, their stock and restocking. */
import Router from "@koa/router";
import { HttpProblem, validationProblem } from "../kit/http/problems.ts";
import { readPaging } from "../kit/http/paging.ts";
import { validator } from "../kit/validation.ts";
import type { ItemInput } from "./domain.ts";
import { publicItem, StockRuleError } from "./domain.ts";
import { InventoryProblems } from "./errors.ts";
import { itemInputSchema, restockSchema, SKU_PATTERN } from "../contracts/api/inventory.ts";
import type { Inventory } from "./store.ts";

const validateItem = validator<ItemInput>(itemInputSchema);
const validateRestock = validator<{ quantity: number }>(restockSchema);
const SKU = new RegExp(SKU_PATTERN);

function readSku(sku: string | undefined): string {
  if (!sku || !SKU.test(sku)) throw validationProblem([{ field: "sku", message: "must be 1-64 letters, digits, '.', '_' or '-'" }]);
  return sku;
}

export function inventoryRoutes(inventory: Inventory): Router {
  const router = new Router({ prefix: "/api/v1/inventory" });

  router.get("/", async (ctx) => {
    const paging = readPaging(ctx.query);
    const { items, total } = await inventory.list(paging.offset, paging.page_size);
    ctx.body = { items: items.map(publicItem), page: paging.page, page_size: paging.page_size, total };
  });

  router.get("/:sku", async (ctx) => {
    const item = await inventory.item(readSku(ctx.params.sku));
    if (!item) throw new HttpProblem(InventoryProblems.itemNotFound, `No item with SKU ${ctx.params.sku}`);
    ctx.body = publicItem(item);
  });

  router.put("/:sku", async (ctx) => {
    const sku = readSku(ctx.params.sku);
    const input = validateItem((ctx.request as { body?: unknown }).body);
    try {
      ctx.body = publicItem(await inventory.put(sku, input));
    } catch (err) {
      if (err instanceof StockRuleError) throw new HttpProblem(InventoryProblems.stockRule, err.message);
      throw err;
    }
  });

  router.post("/:sku/restock", async (ctx) => {
    const sku = readSku(ctx.params.sku);
    const { quantity } = validateRestock((ctx.request as { body?: unknown }).body);
    const item = await inventory.restock(sku, quantity);
    if (!item) throw new HttpProblem(InventoryProblems.itemNotFound, `No item with SKU ${sku}`);
    ctx.body = publicItem(item);
  });

  return router;
}
