// The waf filter (proto Waf): each request is a libmodsecurity transaction evaluated against
// the scope's compiled rule set (waf_rules.h) on the request's worker.
//
// REQUEST: the head is inspected at once (phase 1). A request without a body is decided
// there (phase 2 runs with an empty body); one with a body is held (kStop) and its body fed
// to the transaction as it arrives (onHeldRequestData), up to max_request_body_bytes, then
// decided at its end or at the limit. In BLOCK mode a disruptive decision answers 403 (or
// the status the rule gives) with x-strait-local-reply: waf:<matched rule ids>.
// RESPONSE (inspect_response): the head is inspected (phase 3; a block replaces it with a
// 403 and drops the upstream body); the body is held back up to max_response_body_bytes
// while it is inspected (phase 4) and then sent, or the stream is reset when the rules stop
// it, so a leaking response never arrives complete.
// Every matched rule is counted (strait_waf_rule_matches_total{scope,rule,action}) and a
// request with matches is written to the audit log when the filter ends.
// THREADS: the factory is shared by the workers (immutable); each worker thread has its own
// libmodsecurity engine object (collections are per engine). A filter lives on its
// request's worker. ERRORS: a transaction that cannot be created lets the request pass and
// is counted (strait_waf_errors_total).
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "sidecar/filters/registry.h"
#include "strait/v1/filter_waf.pb.h"

namespace strait::filters {

absl::StatusOr<std::shared_ptr<const FilterFactory>> createWafFactory(const strait::v1::Waf& config,
                                                                      const FactoryContext& context);

}  // namespace strait::filters
