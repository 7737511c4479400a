#pragma once
// A private OpenSSL library context whose random numbers all come from a caller's RandomSource,
// so OpenSSL's own RSA key generation becomes a pure function of the seed: a seeded simulation
// gets the same keys on every run (with the same OpenSSL version; see rsa_handshake.hpp).
//
// How: OpenSSL 3 lets a library context choose the EVP_RAND implementation of its primary,
// public and private DRBGs (RAND_set_DRBG_type) and of its seed source
// (RAND_set_seed_source_type). We register a tiny built-in provider in the private context whose
// only algorithm is an EVP_RAND that copies bytes out of the bound RandomSource, and select it
// for all four. The "default" provider is loaded next to it for the real algorithms (RSA, BN).

#include "hivescope/protocol/random.hpp"

#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

struct ossl_lib_ctx_st;
struct ossl_provider_st;

namespace hivescope::protocol::detail {

/// What the provider's EVP_RAND instances read from; owned by the provider (its provctx).
struct SeededRandState {
    RandomSource* source = nullptr; ///< bound only while SeededLibCtx::run is on the stack
    std::exception_ptr error;       ///< what the source threw inside an OpenSSL callback
};

/// An OSSL_LIB_CTX whose DRBGs draw from a RandomSource. Not copyable; cheap to create (a few
/// hundred microseconds), so one per key generation is fine.
class SeededLibCtx {
  public:
    /// Throws ProtocolError(crypto_error) if the context or its providers cannot be set up.
    SeededLibCtx();
    ~SeededLibCtx();
    SeededLibCtx(const SeededLibCtx&) = delete;
    SeededLibCtx& operator=(const SeededLibCtx&) = delete;

    /// Runs `fn(ctx)` with every random byte OpenSSL draws in this context taken from `random`.
    /// An exception thrown by `random` is rethrown here, in preference to whatever `fn` reports.
    template <class Fn> decltype(auto) run(RandomSource& random, Fn&& fn) {
        Binding binding(*state_, random);
        try {
            if constexpr (std::is_void_v<decltype(fn(ctx_.get()))>) {
                std::forward<Fn>(fn)(ctx_.get());
                binding.rethrow_source_error();
            } else {
                decltype(auto) result = std::forward<Fn>(fn)(ctx_.get());
                binding.rethrow_source_error();
                return result;
            }
        } catch (...) {
            binding.rethrow_source_error();
            throw;
        }
    }

  private:
    /// Binds the source for the duration of `run`, and unbinds it even when `fn` throws.
    class Binding {
      public:
        Binding(SeededRandState& state, RandomSource& random);
        ~Binding();
        Binding(const Binding&) = delete;
        Binding& operator=(const Binding&) = delete;
        void rethrow_source_error();

      private:
        SeededRandState& state_;
    };

    struct CtxDeleter {
        void operator()(ossl_lib_ctx_st* ctx) const noexcept;
    };

    struct ProviderDeleter {
        void operator()(ossl_provider_st* provider) const noexcept;
    };

    // Declaration order is teardown order in reverse: providers are unloaded before the context.
    std::unique_ptr<ossl_lib_ctx_st, CtxDeleter> ctx_;
    std::unique_ptr<ossl_provider_st, ProviderDeleter> default_provider_;
    std::unique_ptr<ossl_provider_st, ProviderDeleter> seeded_provider_;
    SeededRandState* state_ = nullptr; ///< owned by the seeded provider inside ctx_
};

} // namespace hivescope::protocol::detail
