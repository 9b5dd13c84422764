/**
 * The end-to-end suite: the public API through the gateway, on real sidecars,
 * a real broker and store and a real SMTP server, every flow of the saga.
 * The flows run in this order; the invariant check comes last and looks at
 * everything the flows did.
 */
import "./flows/happy-path.ts";
import "./flows/rejections.ts";
import "./flows/cancellation.ts";
import "./flows/expiry.ts";
import "./flows/concurrency.ts";
import "./flows/events.ts";
import "./flows/requests.ts";
import "./flows/access.ts";
import "./flows/invariants.ts";
