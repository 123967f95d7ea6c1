// The directory query language as data: the AST of a SCIM filter (RFC 7644 §3.4.2.2) and of an
// attribute path. scim/filter.ts parses text into it; each storage backend compiles it (for SQLite,
// db/scim-filter-sql.ts). It lives here so that neither side depends on the other.

/** RFC 7644 §3.4.2.2 attribute operators other than "pr". */
export type CompareOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le';

/** A comparison literal: a JSON string, number, boolean or null (RFC 7644 §3.4.2.2 compValue). */
export type FilterValue = string | number | boolean | null;

/**
 * `[URI ":"] ATTRNAME ["." subAttr]`. Names keep the case they were written in: they are
 * case-insensitive (RFC 7643 §2.1), so consumers compare them case-insensitively. `schema` is the
 * URI prefix as given (e.g. "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User").
 */
export interface AttributePath {
  readonly schema?: string;
  readonly attribute: string;
  readonly subAttribute?: string;
}

/**
 * The filter AST. Grouping parentheses leave no node of their own. A value path followed by a
 * sub-attribute comparison, `emails[type eq "work"].value eq "x"`, is the value path whose filter is
 * `and(type eq "work", value eq "x")`: one element must satisfy both (RFC 7644 §3.4.2.2, "[]").
 */
export type FilterNode =
  | { readonly kind: 'and' | 'or'; readonly left: FilterNode; readonly right: FilterNode }
  | { readonly kind: 'not'; readonly filter: FilterNode }
  | {
      readonly kind: 'compare';
      readonly path: AttributePath;
      readonly op: CompareOp;
      readonly value: FilterValue;
    }
  | { readonly kind: 'present'; readonly path: AttributePath }
  | { readonly kind: 'valuePath'; readonly path: AttributePath; readonly filter: FilterNode };
