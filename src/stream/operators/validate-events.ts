import { map, type OperatorFunction } from "rxjs";
import type { StreamEvent } from "../../domain/event.js";
import type { Problem, Result } from "../../domain/result.js";
import { parseEvent } from "../parse-event.js";

/**
 * Parses and validates each line (JSON text or object) of the transaction stream.
 *
 * ```
 * raw:       --'{"type":"exposure",…}'--'{oops'--
 * validated: --ok(Exposure)--------------err(invalid_json)--
 * ```
 */
export function validateEvents(): OperatorFunction<unknown, Result<StreamEvent, Problem>> {
  return map(parseEvent);
}
