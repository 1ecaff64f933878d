/**
 * A Dockerfile read the way the builder reads it: comments and blank lines dropped, lines ending
 * in `\` joined, each instruction split into its keyword, its `--flags` and its arguments (the
 * JSON "exec form" parsed as JSON), grouped into stages by FROM. Enough for the structural checks
 * of the deployment tests; no variable substitution beyond what a test does itself.
 */
export interface Instruction {
  keyword: string;
  flags: Record<string, string>;
  /** The text after the keyword and flags. */
  args: string;
  /** The exec form (`["node", "-e", "…"]`) parsed, when the arguments are one. */
  exec: string[] | undefined;
}

export interface Stage {
  /** `FROM image AS name`: the name, or the stage's index as a string. */
  name: string;
  image: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): { args: Instruction[]; stages: Stage[] } {
  const logical: string[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trimEnd();
    if (pending === "" && (line.trim() === "" || line.trim().startsWith("#"))) continue;
    if (pending !== "" && line.trim().startsWith("#")) continue;
    if (line.endsWith("\\")) {
      pending += line.slice(0, -1).trim() + " ";
      continue;
    }
    logical.push((pending + line.trim()).trim());
    pending = "";
  }
  if (pending !== "") logical.push(pending.trim());

  const args: Instruction[] = [];
  const stages: Stage[] = [];
  for (const line of logical) {
    const instruction = parseInstruction(line);
    if (instruction.keyword === "FROM") {
      const [image, as, name] = instruction.args.split(/\s+/);
      stages.push({
        name: as?.toUpperCase() === "AS" && name ? name : String(stages.length),
        image: image!,
        instructions: [],
      });
    } else if (stages.length === 0) {
      args.push(instruction);
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { args, stages };
}

function parseInstruction(line: string): Instruction {
  const match = /^(\S+)\s*(.*)$/.exec(line)!;
  const keyword = match[1]!.toUpperCase();
  let rest = match[2]!;
  const flags: Record<string, string> = {};
  // HEALTHCHECK's options come before CMD; COPY's before its sources.
  for (let flag = /^--([a-z-]+)(?:=(\S+))?\s+/.exec(rest); flag; flag = /^--([a-z-]+)(?:=(\S+))?\s+/.exec(rest)) {
    flags[flag[1]!] = flag[2] ?? "";
    rest = rest.slice(flag[0].length);
  }
  return { keyword, flags, args: rest, exec: execForm(keyword === "HEALTHCHECK" ? rest.replace(/^CMD\s+/, "") : rest) };
}

function execForm(text: string): string[] | undefined {
  if (!text.startsWith("[")) return undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed) && parsed.every((s) => typeof s === "string") ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** `ENV A=1 B=2` (or the older `ENV A 1`) of a stage, later ones winning. */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { keyword, args } of stage.instructions) {
    if (keyword !== "ENV") continue;
    if (!args.includes("=")) {
      const [key, ...value] = args.split(/\s+/);
      env[key!] = value.join(" ");
      continue;
    }
    for (const pair of args.match(/\S+="[^"]*"|\S+=\S*/g) ?? []) {
      const at = pair.indexOf("=");
      env[pair.slice(0, at)] = pair.slice(at + 1).replace(/^"(.*)"$/, "$1");
    }
  }
  return env;
}

/**
 * Whether `.dockerignore` leaves `path` in the build context: the last pattern that matches it
 * decides (`!` re-includes). Patterns here are plain paths, directories, or `*`.
 */
export function inContext(dockerignore: string, path: string): boolean {
  let included = true;
  for (const raw of dockerignore.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const negated = line.startsWith("!");
    const pattern = line.replace(/^!/, "").replace(/\/$/, "");
    const matches = pattern === "*" || path === pattern || path.startsWith(`${pattern}/`);
    if (matches) included = negated;
  }
  return included;
}
