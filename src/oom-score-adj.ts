// oom-score-adj and oom-score-adj-values (Redis's setOOMScoreAdj): tells Linux's OOM
// killer which process to prefer. The server takes the master value (the replica value
// once Bunker can be a replica), its background child the bgchild value, so the kernel
// kills a snapshot writer before the server. `relative` adds the values to the score the
// process had when Bunker first adjusted it; `no` puts that score back.

import { readFileSync, writeFileSync } from "node:fs";
import type { Config } from "./config.ts";
import { logger } from "./log.ts";
import { errorText } from "./util/errors-text.ts";

export type OomProcessClass = "master" | "replica" | "bgchild";
const CLASS_INDEX: Record<OomProcessClass, number> = { master: 0, replica: 1, bgchild: 2 };

/** Process-wide, as the score is: whether Bunker changed it, and what it was before. */
let adjustedByUs = false;
let baseScore = 0;

/**
 * Sets the score of this process (pid undefined) or of a child that inherited it.
 * Returns false (after logging Redis's warning) when /proc could not be read or written.
 */
export function setOOMScoreAdj(config: Config, processClass: OomProcessClass, pid?: number): boolean {
  const mode = config.getString("oom-score-adj");
  let score: number;
  if (mode !== "no") {
    if (!adjustedByUs) {
      try {
        baseScore = Number.parseInt(readFileSync("/proc/self/oom_score_adj", "utf8"), 10) || 0;
      } catch (error) {
        logger.warning(`Unable to read oom_score_adj: ${errorText(error)}`);
        return false;
      }
      adjustedByUs = true;
    }
    score = oomScoreAdjValues(config)[CLASS_INDEX[processClass]]!;
    if (mode === "relative" || mode === "yes") score += baseScore;
    score = Math.max(-1000, Math.min(1000, score));
  } else if (adjustedByUs && pid === undefined) {
    adjustedByUs = false;
    score = baseScore;
  } else {
    return true;
  }
  try {
    writeFileSync(`/proc/${pid ?? "self"}/oom_score_adj`, `${score}\n`);
  } catch (error) {
    logger.warning(`Unable to write oom_score_adj: ${errorText(error)}`);
    return false;
  }
  return true;
}

function oomScoreAdjValues(config: Config): number[] {
  return config.getString("oom-score-adj-values").split(" ").map(Number);
}
