#include "protocol/detail/seeded_lib_ctx.hpp"

#include "hivescope/protocol/error.hpp"

#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include <new>
#include <span>

namespace hivescope::protocol::detail {

namespace {

constexpr const char* provider_name = "hivescope-seeded";
constexpr const char* rand_name = "HIVESCOPE-SEEDED";
constexpr const char* rand_properties = "provider=hivescope-seeded";
/// Largest request OpenSSL hands one generate call; it splits bigger ones itself.
constexpr std::size_t max_request = 1 << 16;

/// One EVP_RAND instance: every instance of the context reads the same bound source, so the
/// DRBG hierarchy (seed source → primary → public / private) collapses to one stream.
struct SeededRand {
    SeededRandState* state;
};

SeededRandState* state_of(void* vctx) {
    return static_cast<SeededRand*>(vctx)->state;
}

/// Copies `out.size()` bytes from the bound source; false (an OpenSSL failure) when no source is
/// bound, so nothing nondeterministic can sneak in, or when the source throws.
bool draw(SeededRandState* state, std::span<std::uint8_t> out) noexcept {
    if (state->source == nullptr)
        return false;
    try {
        state->source->fill(out);
        return true;
    } catch (...) {
        if (!state->error)
            state->error = std::current_exception();
        return false;
    }
}

void* rand_newctx(void* provctx, void* /*parent*/, const OSSL_DISPATCH* /*parent_calls*/) {
    return new (std::nothrow) SeededRand{static_cast<SeededRandState*>(provctx)};
}

void rand_freectx(void* vctx) {
    delete static_cast<SeededRand*>(vctx);
}

int rand_instantiate(void*, unsigned int, int, const unsigned char*, std::size_t,
                     const OSSL_PARAM[]) {
    return 1;
}

int rand_uninstantiate(void*) {
    return 1;
}

int rand_generate(void* vctx, unsigned char* out, std::size_t outlen, unsigned int, int,
                  const unsigned char*, std::size_t) {
    return draw(state_of(vctx), {out, outlen}) ? 1 : 0;
}

int rand_reseed(void*, int, const unsigned char*, std::size_t, const unsigned char*, std::size_t) {
    return 1;
}

std::size_t rand_nonce(void* vctx, unsigned char* out, unsigned int, std::size_t min_noncelen,
                       std::size_t /*max_noncelen*/) {
    if (out == nullptr)
        return min_noncelen;
    return draw(state_of(vctx), {out, min_noncelen}) ? min_noncelen : 0;
}

// Only needed if OpenSSL ever hangs a real DRBG under ours; then its seed also comes from the
// source.
std::size_t rand_get_seed(void* vctx, unsigned char** buffer, int, std::size_t min_len, std::size_t,
                          int, const unsigned char*, std::size_t) {
    auto* seed = static_cast<unsigned char*>(OPENSSL_secure_malloc(min_len == 0 ? 1 : min_len));
    if (seed == nullptr)
        return 0;
    if (!draw(state_of(vctx), {seed, min_len})) {
        OPENSSL_secure_clear_free(seed, min_len == 0 ? 1 : min_len);
        return 0;
    }
    *buffer = seed;
    return min_len;
}

void rand_clear_seed(void*, unsigned char* buffer, std::size_t length) {
    OPENSSL_secure_clear_free(buffer, length == 0 ? 1 : length);
}

int rand_enable_locking(void*) {
    return 1;
}
// Each SeededLibCtx serves one caller at a time, so there is nothing to lock.
int rand_lock(void*) {
    return 1;
}
void rand_unlock(void*) {}

const OSSL_PARAM* rand_gettable_ctx_params(void*, void*) {
    static const OSSL_PARAM known[] = {
        {OSSL_RAND_PARAM_STATE, OSSL_PARAM_INTEGER, nullptr, sizeof(int), 0},
        {OSSL_RAND_PARAM_STRENGTH, OSSL_PARAM_UNSIGNED_INTEGER, nullptr, sizeof(unsigned), 0},
        {OSSL_RAND_PARAM_MAX_REQUEST, OSSL_PARAM_UNSIGNED_INTEGER, nullptr, sizeof(std::size_t), 0},
        {nullptr, 0, nullptr, 0, 0},
    };
    return known;
}

int rand_get_ctx_params(void*, OSSL_PARAM params[]) {
    OSSL_PARAM* p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STATE);
    if (p != nullptr && OSSL_PARAM_set_int(p, EVP_RAND_STATE_READY) != 1)
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_STRENGTH);
    if (p != nullptr && OSSL_PARAM_set_uint(p, 256) != 1)
        return 0;
    p = OSSL_PARAM_locate(params, OSSL_RAND_PARAM_MAX_REQUEST);
    if (p != nullptr && OSSL_PARAM_set_size_t(p, max_request) != 1)
        return 0;
    return 1;
}

const OSSL_PARAM* rand_settable_ctx_params(void*, void*) {
    static const OSSL_PARAM none[] = {{nullptr, 0, nullptr, 0, 0}};
    return none;
}

// The context passes DRBG settings (cipher, reseed intervals) to whatever DRBG it creates;
// ours has none, so they are accepted and ignored.
int rand_set_ctx_params(void*, const OSSL_PARAM[]) {
    return 1;
}

template <class Fn> OSSL_DISPATCH entry(int id, Fn* fn) {
    return {id, reinterpret_cast<void (*)(void)>(fn)};
}

const OSSL_DISPATCH* rand_dispatch() {
    static const OSSL_DISPATCH table[] = {
        entry(OSSL_FUNC_RAND_NEWCTX, &rand_newctx),
        entry(OSSL_FUNC_RAND_FREECTX, &rand_freectx),
        entry(OSSL_FUNC_RAND_INSTANTIATE, &rand_instantiate),
        entry(OSSL_FUNC_RAND_UNINSTANTIATE, &rand_uninstantiate),
        entry(OSSL_FUNC_RAND_GENERATE, &rand_generate),
        entry(OSSL_FUNC_RAND_RESEED, &rand_reseed),
        entry(OSSL_FUNC_RAND_NONCE, &rand_nonce),
        entry(OSSL_FUNC_RAND_GET_SEED, &rand_get_seed),
        entry(OSSL_FUNC_RAND_CLEAR_SEED, &rand_clear_seed),
        entry(OSSL_FUNC_RAND_ENABLE_LOCKING, &rand_enable_locking),
        entry(OSSL_FUNC_RAND_LOCK, &rand_lock),
        entry(OSSL_FUNC_RAND_UNLOCK, &rand_unlock),
        entry(OSSL_FUNC_RAND_GETTABLE_CTX_PARAMS, &rand_gettable_ctx_params),
        entry(OSSL_FUNC_RAND_GET_CTX_PARAMS, &rand_get_ctx_params),
        entry(OSSL_FUNC_RAND_SETTABLE_CTX_PARAMS, &rand_settable_ctx_params),
        entry(OSSL_FUNC_RAND_SET_CTX_PARAMS, &rand_set_ctx_params),
        {0, nullptr},
    };
    return table;
}

const OSSL_ALGORITHM* provider_query(void*, int operation_id, int* no_cache) {
    *no_cache = 0;
    if (operation_id != OSSL_OP_RAND)
        return nullptr;
    static const OSSL_ALGORITHM rands[] = {
        {rand_name, rand_properties, rand_dispatch(), "RandomSource-backed RNG"},
        {nullptr, nullptr, nullptr, nullptr},
    };
    return rands;
}

void provider_teardown(void* provctx) {
    delete static_cast<SeededRandState*>(provctx);
}

int provider_init(const OSSL_CORE_HANDLE*, const OSSL_DISPATCH*, const OSSL_DISPATCH** out,
                  void** provctx) {
    static const OSSL_DISPATCH table[] = {
        entry(OSSL_FUNC_PROVIDER_TEARDOWN, &provider_teardown),
        entry(OSSL_FUNC_PROVIDER_QUERY_OPERATION, &provider_query),
        {0, nullptr},
    };
    auto* state = new (std::nothrow) SeededRandState{};
    if (state == nullptr)
        return 0;
    *provctx = state;
    *out = table;
    return 1;
}

[[noreturn]] void setup_failed(const char* step) {
    const unsigned long code = ERR_get_error();
    std::string detail = std::string("seeded OpenSSL context: ") + step + " failed";
    if (code != 0) {
        char text[256];
        ERR_error_string_n(code, text, sizeof text);
        detail += std::string(" (") + text + ")";
    }
    ERR_clear_error();
    throw ProtocolError(ErrorCode::crypto_error, detail);
}

} // namespace

void SeededLibCtx::CtxDeleter::operator()(ossl_lib_ctx_st* ctx) const noexcept {
    OSSL_LIB_CTX_free(ctx);
}

void SeededLibCtx::ProviderDeleter::operator()(ossl_provider_st* provider) const noexcept {
    OSSL_PROVIDER_unload(provider);
}

SeededLibCtx::SeededLibCtx() : ctx_(OSSL_LIB_CTX_new()) {
    if (!ctx_)
        setup_failed("OSSL_LIB_CTX_new");
    if (OSSL_PROVIDER_add_builtin(ctx_.get(), provider_name, &provider_init) != 1)
        setup_failed("OSSL_PROVIDER_add_builtin");
    seeded_provider_.reset(OSSL_PROVIDER_load(ctx_.get(), provider_name));
    if (!seeded_provider_)
        setup_failed("loading the seeded provider");
    default_provider_.reset(OSSL_PROVIDER_load(ctx_.get(), "default"));
    if (!default_provider_)
        setup_failed("loading the default provider");
    state_ = static_cast<SeededRandState*>(OSSL_PROVIDER_get0_provider_ctx(seeded_provider_.get()));
    if (state_ == nullptr)
        setup_failed("OSSL_PROVIDER_get0_provider_ctx");
    // Must precede the first use of the context's DRBGs, which are created lazily.
    if (RAND_set_seed_source_type(ctx_.get(), rand_name, rand_properties) != 1)
        setup_failed("RAND_set_seed_source_type");
    if (RAND_set_DRBG_type(ctx_.get(), rand_name, rand_properties, nullptr, nullptr) != 1)
        setup_failed("RAND_set_DRBG_type");
}

SeededLibCtx::~SeededLibCtx() {
    seeded_provider_.reset();
    default_provider_.reset();
    ctx_.reset();
}

SeededLibCtx::Binding::Binding(SeededRandState& state, RandomSource& random) : state_(state) {
    state_.source = &random;
    state_.error = nullptr;
}

SeededLibCtx::Binding::~Binding() {
    state_.source = nullptr;
    state_.error = nullptr;
}

void SeededLibCtx::Binding::rethrow_source_error() {
    if (state_.error) {
        std::exception_ptr error = std::exchange(state_.error, nullptr);
        ERR_clear_error();
        std::rethrow_exception(error);
    }
}

} // namespace hivescope::protocol::detail
