/** Paths that must stay inside a directory (a work dir, a log folder): what a peer names cannot climb out. */
import { isAbsolute, relative, resolve, sep } from "node:path";

/** `root/parts...` when it lies strictly inside `root`; undefined when the parts would climb out (or are empty). */
export function pathInside(root: string, ...parts: string[]): string | undefined {
  const target = resolve(root, ...parts);
  const rel = relative(root, target);
  if (rel === "" || rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return undefined;
  return target;
}
