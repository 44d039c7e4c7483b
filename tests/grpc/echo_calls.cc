#include "tests/grpc/echo_calls.h"

#include <algorithm>
#include <chrono>
#include <memory>

#include "strait/testing/echo.grpc.pb.h"
#include "tests/grpc/echo_service.h"

namespace strait::grpctest {
namespace {

using strait::testing::Echo;
using strait::testing::EchoReply;
using strait::testing::EchoRequest;
using Clock = std::chrono::steady_clock;

// Per-call state shared by the call kinds: stub, context, start time, output.
struct Call {
  const CallOptions& opts;
  std::unique_ptr<Echo::Stub> stub;
  grpc::ClientContext ctx;
  Clock::time_point start = Clock::now();
  FILE* out;

  Call(const CallOptions& o, FILE* f) : opts(o), out(f) {
    grpc::ChannelArguments args;
    if (!o.authority.empty()) args.SetString(GRPC_ARG_DEFAULT_AUTHORITY, o.authority);
    stub = Echo::NewStub(
        grpc::CreateCustomChannel(o.target, grpc::InsecureChannelCredentials(), args));
    // gRPC converts only system_clock time points.
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::milliseconds(o.deadline_ms));
    for (const auto& [k, v] : o.metadata) ctx.AddMetadata(k, v);
  }

  void print(const EchoReply& r) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    std::fprintf(out, "reply index=%d t_ms=%lld message=%s peer_headers=%s\n", r.index(),
                 static_cast<long long>(ms.count()), r.message().c_str(),
                 r.peer_headers().c_str());
    std::fflush(out);
  }

  EchoRequest request(const std::string& message) const {
    EchoRequest req;
    req.set_message(message);
    req.set_delay_ms(opts.delay_ms);
    return req;
  }

  std::string indexed(int i) const { return opts.message + "-" + std::to_string(i); }
};

grpc::Status unary(Call& call, EchoRequest req) {
  EchoReply reply;
  grpc::Status st = call.stub->Unary(&call.ctx, req, &reply);
  if (st.ok()) call.print(reply);
  return st;
}

grpc::Status clientStream(Call& call) {
  EchoReply reply;
  auto writer = call.stub->ClientStream(&call.ctx, &reply);
  for (int i = 0; i < call.opts.messages; ++i) {
    if (!writer->Write(call.request(call.indexed(i)))) break;  // Finish() says why
  }
  writer->WritesDone();
  grpc::Status st = writer->Finish();
  if (st.ok()) call.print(reply);
  return st;
}

grpc::Status serverStream(Call& call) {
  EchoRequest req = call.request(call.opts.message);
  req.set_count(call.opts.count);
  auto reader = call.stub->ServerStream(&call.ctx, req);
  EchoReply reply;
  while (reader->Read(&reply)) call.print(reply);
  return reader->Finish();
}

// Ping-pong: each request is answered before the next is sent, so both directions are seen
// to stream message by message (a proxy that buffers a whole direction deadlocks here until
// the deadline).
grpc::Status bidi(Call& call) {
  auto stream = call.stub->BidiStream(&call.ctx);
  EchoReply reply;
  for (int i = 0; i < call.opts.messages; ++i) {
    if (!stream->Write(call.request(call.indexed(i))) || !stream->Read(&reply)) break;
    call.print(reply);
  }
  stream->WritesDone();
  while (stream->Read(&reply)) call.print(reply);  // none expected; drain before Finish
  return stream->Finish();
}

std::string trailer(const grpc::ClientContext& ctx) {
  const auto& md = ctx.GetServerTrailingMetadata();
  auto it = md.find(kTrailerKey);
  return it == md.end() ? std::string() : std::string(it->second.data(), it->second.size());
}

grpc::Status dispatch(Call& call) {
  const CallOptions& o = call.opts;
  switch (o.mode) {
    case CallMode::kUnary: return unary(call, call.request(o.message));
    case CallMode::kClientStream: return clientStream(call);
    case CallMode::kServerStream: return serverStream(call);
    case CallMode::kBidi: return bidi(call);
    case CallMode::kDeadline: {
      EchoRequest req = call.request(o.message);
      req.set_delay_ms(std::min(o.deadline_ms + 1000, kMaxDelayMs));
      return unary(call, req);
    }
    case CallMode::kFail: {
      EchoRequest req = call.request(o.message);
      req.set_fail_code(static_cast<int>(o.fail_code));
      return unary(call, req);
    }
  }
  return grpc::Status(grpc::StatusCode::INTERNAL, "unknown call mode");
}

}  // namespace

CallResult runCall(const CallOptions& opts, FILE* out) {
  Call call(opts, out);
  CallResult result;
  result.status = dispatch(call);
  result.trailer = trailer(call.ctx);
  return result;
}

grpc::StatusCode expectedCode(const CallOptions& opts) {
  switch (opts.mode) {
    case CallMode::kDeadline: return grpc::StatusCode::DEADLINE_EXCEEDED;
    case CallMode::kFail: return opts.fail_code;
    default: return grpc::StatusCode::OK;
  }
}

}  // namespace strait::grpctest
