// Parking: the per-thread current parker.
#include "base/parking.h"

namespace vault {
namespace {

thread_local Parker* current_parker = nullptr;

}  // namespace

Parker* CurrentParker() { return current_parker; }

ScopedParker::ScopedParker(Parker* parker) : previous_(current_parker) { current_parker = parker; }

ScopedParker::~ScopedParker() { current_parker = previous_; }

}  // namespace vault
