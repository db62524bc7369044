// The arguments of the SQL macro whose "(" is at open, split at top-level commas (outside strings), trimmed; end is
// just after its ")". Shared by the ClickHouse data source's stand-ins: its frontend (clickhouse.ts) and the TEST DOUBLE
// of its backend (../server.mjs).
export function macroArgs(sql, open) {
  const args = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open, quoted = false; i < sql.length; i++) {
    const c = sql[i];
    if (quoted) {
      i += c === '\\' ? 1 : 0;
      quoted = c !== "'";
    } else if (c === "'") {
      quoted = true;
    } else if (c === '(') {
      depth++;
    } else if (c === ',' && depth === 1) {
      args.push(sql.slice(start, i).trim());
      start = i + 1;
    } else if (c === ')' && --depth === 0) {
      args.push(sql.slice(start, i).trim());
      return { args: args.length === 1 && args[0] === '' ? [] : args, end: i + 1 };
    }
  }
  throw new Error('a macro without its closing parenthesis');
}
