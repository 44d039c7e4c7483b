// The Echo service (proto/strait/testing/echo.proto) for the mesh tests.
//
// Synchronous gRPC API: each call runs on one of gRPC's server threads; the service holds no
// state of its own, so calls never share anything. Every call ends with the trailing metadata
// "x-echo-trailer: done" (also on requested failures), so a test sees whether a proxy passes
// trailers through.
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>

#include "strait/testing/echo.grpc.pb.h"

namespace strait::grpctest {

// Upper bounds on what a request may ask for, so a bad test cannot wedge a server.
inline constexpr int kMaxDelayMs = 10000;
inline constexpr int kMaxStreamCount = 10000;

// The trailer every call ends with.
inline constexpr char kTrailerKey[] = "x-echo-trailer";
inline constexpr char kTrailerValue[] = "done";

class EchoService final : public strait::testing::Echo::Service {
 public:
  grpc::Status Unary(grpc::ServerContext* ctx, const strait::testing::EchoRequest* req,
                     strait::testing::EchoReply* reply) override;
  grpc::Status ClientStream(grpc::ServerContext* ctx,
                            grpc::ServerReader<strait::testing::EchoRequest>* reader,
                            strait::testing::EchoReply* reply) override;
  grpc::Status ServerStream(grpc::ServerContext* ctx, const strait::testing::EchoRequest* req,
                            grpc::ServerWriter<strait::testing::EchoReply>* writer) override;
  grpc::Status BidiStream(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<strait::testing::EchoReply, strait::testing::EchoRequest>* stream)
      override;
};

// "key=value;..." of the selected request metadata, in a fixed key order (see echo.proto).
std::string peerHeaders(const grpc::ServerContext& ctx);

}  // namespace strait::grpctest
