// ThreadSanitizer annotations for Debian's (uninstrumented) abseil Mutex.
//
// Linked into every executable of a -DCREDITD_SANITIZE=thread build, and only
// there (CMakeLists.txt). Debian's libabsl_synchronization.so is compiled
// without -fsanitize=thread, so TSan cannot see absl::Mutex acquire or release
// memory, and it reports every pair of accesses made under the same absl::Mutex
// from two threads as a race (docs/reliability.md, Sanitizers). abseil built
// with -fsanitize=thread calls the
// __tsan_mutex_* annotations inside these same member functions
// (ABSL_TSAN_MUTEX_* in absl/synchronization/mutex.cc). This file makes the
// same calls at the shared-library boundary instead: it defines the out-of-line
// members that creditd calls (the executable's definition takes precedence over
// the library's), annotates, and forwards to the library's definition found
// with dlsym(RTLD_NEXT).
//
// Contract:
//  * Every lock or unlock of an absl::Mutex that goes through the functions
//  below is a
//    mutex acquire or release for TSan (reader locks as read locks). Nothing is
//    suppressed: a race on memory that is not protected by the same Mutex is
//    still reported, and so are double unlocks and lock-order inversions.
//  * Memory accesses made inside the library call itself are ignored, as in
//  abseil's own
//    TSan build; that includes a Condition evaluated by the library on behalf
//    of a waiter.
//  * A Mutex member that creditd starts to call and that is not wrapped here
//  shows up as
//    a TSan report on the data it protects (never as a silenced one): add it
//    here.
//  * If a wrapped symbol is missing from the library (another abseil ABI), the
//  process
//    aborts at the first call with the symbol's name.

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

#define CREDITD_TSAN_STR2(x) #x
#define CREDITD_TSAN_STR(x) CREDITD_TSAN_STR2(x)

// Returns the library's definition of absl::<class>::<member>, given the
// mangled name that follows "_ZN4absl<inline namespace>" (for example
// "5Mutex4LockEv").
template <typename Fn>
Fn Real(const char* mangled_tail) {
  const std::string ns = CREDITD_TSAN_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  const std::string name =
      "_ZN4absl" + std::to_string(ns.size()) + ns + mangled_tail;
  void* sym = dlsym(RTLD_NEXT, name.c_str());
  if (sym == nullptr) {
    std::fprintf(stderr, "tsan_absl_mutex: %s not found in the loaded abseil\n",
                 name.c_str());
    std::abort();
  }
  return reinterpret_cast<Fn>(sym);
}

using MutexFn = void (*)(absl::Mutex*);
using MutexTryFn = bool (*)(absl::Mutex*);
using MutexCondFn = void (*)(absl::Mutex*, const absl::Condition&);
using MutexCondTimeoutFn = bool (*)(absl::Mutex*, const absl::Condition&,
                                    absl::Duration);
using CondVarWaitFn = void (*)(absl::CondVar*, absl::Mutex*);
using CondVarWaitTimeoutFn = bool (*)(absl::CondVar*, absl::Mutex*,
                                      absl::Duration);

constexpr unsigned kRead = __tsan_mutex_read_lock;

// A blocking lock: the library's spinning and futex waits are ignored, then
// TSan records the acquire.
template <typename F>
void AnnotatedLock(void* mu, unsigned flags, F&& lock) {
  __tsan_mutex_pre_lock(mu, flags);
  lock();
  __tsan_mutex_post_lock(mu, flags, 0);
}

template <typename F>
void AnnotatedUnlock(void* mu, unsigned flags, F&& unlock) {
  __tsan_mutex_pre_unlock(mu, flags);
  unlock();
  __tsan_mutex_post_unlock(mu, flags);
}

// Await, CondVar::Wait: the caller holds `mu`, the library releases it while
// waiting and holds it again on return. For TSan that is a release followed by
// an acquire.
template <typename F>
auto AnnotatedWait(void* mu, unsigned flags, F&& wait) {
  __tsan_mutex_pre_unlock(mu, flags);
  __tsan_mutex_post_unlock(mu, flags);
  __tsan_mutex_pre_lock(mu, flags);
  auto result = wait();
  __tsan_mutex_post_lock(mu, flags, 0);
  return result;
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

Mutex::~Mutex() {
  static const MutexFn real = Real<MutexFn>("5MutexD1Ev");
  __tsan_mutex_destroy(this, __tsan_mutex_not_static);
  real(this);
}

void Mutex::Lock() {
  static const MutexFn real = Real<MutexFn>("5Mutex4LockEv");
  AnnotatedLock(this, 0, [&] { real(this); });
}

void Mutex::ReaderLock() {
  static const MutexFn real = Real<MutexFn>("5Mutex10ReaderLockEv");
  AnnotatedLock(this, kRead, [&] { real(this); });
}

void Mutex::Unlock() {
  static const MutexFn real = Real<MutexFn>("5Mutex6UnlockEv");
  AnnotatedUnlock(this, 0, [&] { real(this); });
}

void Mutex::ReaderUnlock() {
  static const MutexFn real = Real<MutexFn>("5Mutex12ReaderUnlockEv");
  AnnotatedUnlock(this, kRead, [&] { real(this); });
}

bool Mutex::TryLock() {
  static const MutexTryFn real = Real<MutexTryFn>("5Mutex7TryLockEv");
  __tsan_mutex_pre_lock(this, __tsan_mutex_try_lock);
  const bool locked = real(this);
  __tsan_mutex_post_lock(
      this, __tsan_mutex_try_lock | (locked ? 0 : __tsan_mutex_try_lock_failed),
      0);
  return locked;
}

bool Mutex::ReaderTryLock() {
  static const MutexTryFn real = Real<MutexTryFn>("5Mutex13ReaderTryLockEv");
  __tsan_mutex_pre_lock(this, __tsan_mutex_try_read_lock);
  const bool locked = real(this);
  __tsan_mutex_post_lock(
      this,
      locked ? __tsan_mutex_try_read_lock : __tsan_mutex_try_read_lock_failed,
      0);
  return locked;
}

void Mutex::LockWhen(const Condition& cond) {
  static const MutexCondFn real =
      Real<MutexCondFn>("5Mutex8LockWhenERKNS0_9ConditionE");
  AnnotatedLock(this, 0, [&] { real(this, cond); });
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  static const MutexCondFn real =
      Real<MutexCondFn>("5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  AnnotatedLock(this, kRead, [&] { real(this, cond); });
}

void Mutex::Await(const Condition& cond) {
  static const MutexCondFn real =
      Real<MutexCondFn>("5Mutex5AwaitERKNS0_9ConditionE");
  AnnotatedWait(this, 0, [&] {
    real(this, cond);
    return true;
  });
}

bool Mutex::AwaitWithTimeout(const Condition& cond, absl::Duration timeout) {
  static const MutexCondTimeoutFn real = Real<MutexCondTimeoutFn>(
      "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return AnnotatedWait(this, 0, [&] { return real(this, cond, timeout); });
}

void CondVar::Wait(Mutex* mu) {
  static const CondVarWaitFn real =
      Real<CondVarWaitFn>("7CondVar4WaitEPNS0_5MutexE");
  AnnotatedWait(mu, 0, [&] {
    real(this, mu);
    return true;
  });
}

bool CondVar::WaitWithTimeout(Mutex* mu, absl::Duration timeout) {
  static const CondVarWaitTimeoutFn real = Real<CondVarWaitTimeoutFn>(
      "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  return AnnotatedWait(mu, 0, [&] { return real(this, mu, timeout); });
}

ABSL_NAMESPACE_END
}  // namespace absl
