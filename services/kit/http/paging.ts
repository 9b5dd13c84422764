/**
 * The paging query of list endpoints: `page` (from 1) and `page_size`
 * (1..100, default 10). Bad values are a 422 naming the parameter.
 */
import type { FieldError } from "./problems.ts";
import { validationProblem } from "./problems.ts";

export interface Paging {
  page: number;
  page_size: number;
  offset: number;
}

export const MAX_PAGE_SIZE = 100;
/** The last page number a list takes. */
export const MAX_PAGE = 1_000_000;

/** One paged answer: `{items, page, page_size, total}`. */
export interface PagedList<T> {
  items: T[];
  page: number;
  page_size: number;
  total: number;
}

function integer(value: unknown, name: string, min: number, max: number, fallback: number, errors: FieldError[]): number {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    errors.push({ field: name, message: `must be an integer from ${min} to ${max}` });
    return fallback;
  }
  return Number(value);
}

/**
 * Reads page and page_size from a query; `more` may check further parameters
 * and add its own field errors, so that one 422 names every bad one.
 */
export function readPaging(query: Record<string, unknown>, more?: (errors: FieldError[]) => void): Paging {
  const errors: FieldError[] = [];
  const page = integer(query.page, "page", 1, MAX_PAGE, 1, errors);
  const pageSize = integer(query.page_size, "page_size", 1, MAX_PAGE_SIZE, 10, errors);
  more?.(errors);
  if (errors.length > 0) throw validationProblem(errors);
  return { page, page_size: pageSize, offset: (page - 1) * pageSize };
}
