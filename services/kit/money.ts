/**
 * Money in the API is a decimal number of the currency's unit (12.34); sums
 * are taken in integer cents so that they are exact.
 */

export function toCents(amount: number): number {
  return Math.round(amount * 100);
}

export function fromCents(cents: number): number {
  return cents / 100;
}

/** quantity × unit price, exactly. */
export function lineTotal(quantity: number, unitPrice: number): number {
  return fromCents(quantity * toCents(unitPrice));
}

/** The exact sum of amounts. */
export function sumMoney(amounts: number[]): number {
  return fromCents(amounts.reduce((sum, amount) => sum + toCents(amount), 0));
}
