// Statement text for a driver that numbers its parameters ($1, $2 …): the query layer's `?` and
// `@name` placeholders (db/sql.ts) rewritten once, when a statement is prepared. Placeholders are
// recognised only outside string literals, quoted identifiers and comments, so a `?` or an `@` in
// a literal (a LIKE pattern, an e-mail address) is left alone.

/** The rewritten text and how to turn the caller's arguments into the driver's value list. */
export interface NumberedStatement {
  readonly text: string;
  /** The driver's values, in $n order, from the arguments the statement was called with. */
  readonly values: (args: readonly unknown[]) => unknown[];
}

export function numberParameters(sql: string): NumberedStatement {
  let out = '';
  let positional = 0;
  const named = new Map<string, number>();
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === "'" || c === '"') {
      // A literal or a quoted identifier, with its doubled quotes.
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) throw new Error(`unterminated ${c} in statement: ${sql}`);
        if (sql[j] === c) {
          if (sql[j + 1] === c) j += 2;
          else break;
        } else j++;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      const j = end === -1 ? sql.length : end;
      out += sql.slice(i, j);
      i = j;
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end === -1) throw new Error(`unterminated comment in statement: ${sql}`);
      out += sql.slice(i, end + 2);
      i = end + 2;
    } else if (c === '?') {
      out += `$${++positional}`;
      i++;
    } else if (c === '@' && next !== undefined && /[A-Za-z_]/.test(next)) {
      let j = i + 1;
      while (j < sql.length && /[A-Za-z0-9_]/.test(sql[j]!)) j++;
      const name = sql.slice(i + 1, j);
      let n = named.get(name);
      if (n === undefined) named.set(name, (n = named.size + 1));
      out += `$${n}`;
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  if (positional > 0 && named.size > 0) throw new Error(`a statement mixes ? and @name: ${sql}`);
  if (named.size === 0) return { text: out, values: (args) => [...args] };
  const names = [...named.keys()];
  return {
    text: out,
    values: (args) => {
      const bag = (args[0] ?? {}) as Record<string, unknown>;
      return names.map((name) => {
        if (!(name in bag)) throw new Error(`missing parameter @${name}`);
        return bag[name];
      });
    },
  };
}
