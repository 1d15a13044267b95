import type { Observable } from "rxjs";
import { attributeToArms } from "./operators/attribute-to-arms.js";
import { routeToExperiment } from "./operators/route-to-experiment.js";
import { validateEvents } from "./operators/validate-events.js";
import type { Processed } from "./processed.js";
import type { ExperimentRouter } from "./router.js";

/**
 * The transaction pipeline, top to bottom. Live traffic (HTTP, NDJSON) and simulations feed the
 * same function; nothing in it throws, every line ends as accepted, ignored or rejected.
 *
 *   line ─▶ validate ─▶ route to the target's live experiment ─▶ assign / attribute + accumulate
 *
 * The analysis tick reads the accumulated statistics through `LiveExperiment.snapshot`.
 */
export function transactionPipeline(lines: Observable<unknown>, router: ExperimentRouter): Observable<Processed> {
  return lines.pipe(validateEvents(), routeToExperiment(router), attributeToArms());
}
