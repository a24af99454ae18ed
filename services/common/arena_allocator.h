// A gRPC message allocator that puts a callback method's request and response on one
// protobuf Arena, freed in one step when the call ends. For methods whose messages have many
// small sub-messages (GetFeatures: a FeatureValue per feature per customer; Score), this
// replaces thousands of mallocs and frees per call by a few arena blocks.
#pragma once

#include <google/protobuf/arena.h>
#include <grpcpp/support/message_allocator.h>

namespace cohort {

// Register with the generated Service::SetMessageAllocatorFor_<Method>(&allocator). The
// allocator must outlive the server. Thread-safe (it keeps no state).
template <class Request, class Response>
class ArenaMessageAllocator final : public grpc::MessageAllocator<Request, Response> {
 public:
  // Returns a holder that gRPC owns and gives back through Release().
  grpc::MessageHolder<Request, Response>* AllocateMessages() override { return new Holder(); }

 private:
  class Holder final : public grpc::MessageHolder<Request, Response> {
   public:
    Holder() {
      this->set_request(google::protobuf::Arena::CreateMessage<Request>(&arena_));
      this->set_response(google::protobuf::Arena::CreateMessage<Response>(&arena_));
    }
    // gRPC's contract: the holder deletes itself when the call no longer needs the messages.
    void Release() override { delete this; }

   private:
    google::protobuf::Arena arena_;
  };
};

}  // namespace cohort
