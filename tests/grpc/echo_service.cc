#include "tests/grpc/echo_service.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace strait::grpctest {
namespace {

using strait::testing::EchoReply;
using strait::testing::EchoRequest;

// Sleeps delay_ms (clamped to [0, kMaxDelayMs]) in short slices, giving up early when the
// client cancels or its deadline passes. Returns false if the call was cancelled meanwhile.
bool sleepFor(grpc::ServerContext* ctx, int delay_ms) {
  auto end = std::chrono::steady_clock::now() +
             std::chrono::milliseconds(std::clamp(delay_ms, 0, kMaxDelayMs));
  while (std::chrono::steady_clock::now() < end) {
    if (ctx->IsCancelled()) return false;
    auto left = end - std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        left, std::chrono::milliseconds(10)));
  }
  return !ctx->IsCancelled();
}

// The status a request asks for, or OK. Codes outside 1..16 become INVALID_ARGUMENT so a typo
// in a test cannot produce an undefined status on the wire.
grpc::Status requestedStatus(const EchoRequest& req) {
  if (req.fail_code() == 0) return grpc::Status::OK;
  if (req.fail_code() < 1 || req.fail_code() > 16) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("fail_code out of range: ", req.fail_code()));
  }
  return grpc::Status(static_cast<grpc::StatusCode>(req.fail_code()), "requested failure");
}

grpc::Status cancelled() { return grpc::Status(grpc::StatusCode::CANCELLED, "client went away"); }

void fillReply(const grpc::ServerContext& ctx, const std::string& message, int index,
               EchoReply* reply) {
  reply->set_message(message);
  reply->set_index(index);
  reply->set_peer_headers(peerHeaders(ctx));
}

}  // namespace

std::string peerHeaders(const grpc::ServerContext& ctx) {
  static constexpr const char* kKeys[] = {"x-forwarded-for", "x-forwarded-proto", "x-request-id",
                                          "x-echo-client"};
  std::vector<std::string> parts;
  const auto& md = ctx.client_metadata();
  for (const char* key : kKeys) {
    auto it = md.find(key);
    if (it == md.end()) continue;
    parts.push_back(absl::StrCat(key, "=", std::string(it->second.data(), it->second.size())));
  }
  return absl::StrJoin(parts, ";");
}

grpc::Status EchoService::Unary(grpc::ServerContext* ctx, const EchoRequest* req,
                                EchoReply* reply) {
  ctx->AddTrailingMetadata(kTrailerKey, kTrailerValue);
  if (!sleepFor(ctx, req->delay_ms())) return cancelled();
  grpc::Status st = requestedStatus(*req);
  if (!st.ok()) return st;
  fillReply(*ctx, req->message(), 0, reply);
  return grpc::Status::OK;
}

grpc::Status EchoService::ClientStream(grpc::ServerContext* ctx,
                                       grpc::ServerReader<EchoRequest>* reader,
                                       EchoReply* reply) {
  ctx->AddTrailingMetadata(kTrailerKey, kTrailerValue);
  std::vector<std::string> messages;
  EchoRequest req;
  while (reader->Read(&req)) {
    if (!sleepFor(ctx, req.delay_ms())) return cancelled();
    grpc::Status st = requestedStatus(req);
    if (!st.ok()) return st;
    messages.push_back(req.message());
  }
  fillReply(*ctx, absl::StrJoin(messages, ","), static_cast<int>(messages.size()), reply);
  return grpc::Status::OK;
}

// Each reply is its own Write without the buffer hint, so gRPC hands it to the transport at
// once: a client behind a proxy sees the replies arrive one by one, delay_ms apart.
grpc::Status EchoService::ServerStream(grpc::ServerContext* ctx, const EchoRequest* req,
                                       grpc::ServerWriter<EchoReply>* writer) {
  ctx->AddTrailingMetadata(kTrailerKey, kTrailerValue);
  grpc::Status st = requestedStatus(*req);
  if (!st.ok()) return st;
  int count = std::clamp(req->count(), 1, kMaxStreamCount);
  for (int i = 0; i < count; ++i) {
    if (!sleepFor(ctx, req->delay_ms())) return cancelled();
    EchoReply reply;
    fillReply(*ctx, req->message(), i, &reply);
    if (!writer->Write(reply, grpc::WriteOptions())) return cancelled();
  }
  return grpc::Status::OK;
}

grpc::Status EchoService::BidiStream(
    grpc::ServerContext* ctx, grpc::ServerReaderWriter<EchoReply, EchoRequest>* stream) {
  ctx->AddTrailingMetadata(kTrailerKey, kTrailerValue);
  EchoRequest req;
  for (int i = 0; stream->Read(&req); ++i) {
    if (!sleepFor(ctx, req.delay_ms())) return cancelled();
    grpc::Status st = requestedStatus(req);
    if (!st.ok()) return st;
    EchoReply reply;
    fillReply(*ctx, req.message(), i, &reply);
    if (!stream->Write(reply, grpc::WriteOptions())) return cancelled();
  }
  return grpc::Status::OK;
}

}  // namespace strait::grpctest
