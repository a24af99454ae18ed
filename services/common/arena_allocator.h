// Protobuf messages on arenas, for messages with many small parts (GetFeatures: a vector per
// customer, typed arrays in each): an arena replaces thousands of mallocs and frees per call
// by a few blocks, freed in one step.
//  - ArenaMessageAllocator: a callback server method's request and response on one arena.
//  - ArenaMessage: a message that owns its arena (the router's GetFeatures answers).
#pragma once

#include <google/protobuf/arena.h>
#include <grpcpp/support/message_allocator.h>

#include <memory>
#include <utility>

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

// A message of type T on an arena it owns. Parsing into it, and moving parts between messages
// of the same arena (UnsafeArenaExtractSubrange / UnsafeArenaAddAllocated), allocate from
// the arena, not the heap. Movable (the message stays where it is), not copyable.
template <class T>
class ArenaMessage {
 public:
  ArenaMessage()
      : arena_(std::make_unique<google::protobuf::Arena>()),
        message_(google::protobuf::Arena::CreateMessage<T>(arena_.get())) {}
  // A moved-from ArenaMessage holds no message (destroy or assign it only).
  ArenaMessage(ArenaMessage&& other) noexcept
      : arena_(std::move(other.arena_)), message_(std::exchange(other.message_, nullptr)) {}
  ArenaMessage& operator=(ArenaMessage&& other) noexcept {
    arena_ = std::move(other.arena_);
    message_ = std::exchange(other.message_, nullptr);
    return *this;
  }

  T& operator*() { return *message_; }
  const T& operator*() const { return *message_; }
  T* operator->() { return message_; }
  const T* operator->() const { return message_; }
  // The arena of the message: create the messages to be moved into it here.
  google::protobuf::Arena* arena() const { return arena_.get(); }

 private:
  std::unique_ptr<google::protobuf::Arena> arena_;
  T* message_;  // on *arena_
};

}  // namespace cohort
