/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for tests: every line
 * is a comment (# HELP / # TYPE), blank, or a sample `name{label="value",...} number`; a sample's
 * family must have been typed before it. Throws naming the line otherwise.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)( -?[0-9]+)?$/;
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)"(,|$)/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

export function parsePrometheus(text: string): Sample[] {
  const typed = new Map<string, string>();
  const out: Sample[] = [];
  text.split("\n").forEach((line, i) => {
    const where = `line ${i + 1} '${line}'`;
    if (line === "") return;
    if (line.startsWith("# HELP ")) {
      if (!NAME.test(line.slice(7).split(" ")[0]!)) throw new Error(`${where}: bad HELP`);
      return;
    }
    if (line.startsWith("# TYPE ")) {
      const [name, type] = line.slice(7).split(" ");
      if (!NAME.test(name ?? "") || !TYPES.has(type ?? "")) throw new Error(`${where}: bad TYPE`);
      typed.set(name!, type!);
      return;
    }
    if (line.startsWith("#")) return;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`${where}: not a sample`);
    const name = m[1]!;
    const family = [...typed.keys()].find((f) => name === f || name === `${f}_bucket` || name === `${f}_sum` || name === `${f}_count`);
    if (family === undefined) throw new Error(`${where}: sample of an untyped family`);
    const labels: Record<string, string> = {};
    let rest = m[3] ?? "";
    while (rest !== "") {
      const l = LABEL.exec(rest);
      if (!l) throw new Error(`${where}: bad labels`);
      labels[l[1]!] = l[2]!;
      rest = rest.slice(l[0].length);
    }
    const value = Number(m[4] === "+Inf" ? Infinity : m[4] === "-Inf" ? -Infinity : m[4]);
    out.push({ name, labels, value });
  });
  return out;
}

export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}
