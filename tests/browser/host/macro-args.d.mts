export function macroArgs(sql: string, open: number): { args: string[]; end: number };
