// hivescope-fuzz-corpus: turns the golden vectors into libFuzzer seed corpora.
//
//   hivescope-fuzz-corpus <vectors-dir> <corpus-root>
//
// writes <corpus-root>/<fuzzer>/seed-<fnv64> files. Seeds are named by content so reruns are
// idempotent; stale `seed-*` files are removed first, while the inputs libFuzzer itself added
// to the same directories (hash-named, no prefix) are kept. The vectors are read with the
// project's own Json parser, so a vector the parser cannot read fails loudly here too.
//
// Besides the vectors' own frames, texts and envelopes, the transcripts' plaintexts are
// re-encrypted under their session key (which encrypted_envelope_fuzzer uses) with every cipher
// and encoding, and the transcript client's authorization string is built, so every decrypt and
// parse path has seeds that succeed.

#include "hivescope/protocol/bytes.hpp"
#include "hivescope/protocol/cipher.hpp"
#include "hivescope/protocol/encoding.hpp"
#include "hivescope/protocol/encrypted_envelope.hpp"
#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/handshake_messages.hpp"
#include "hivescope/protocol/json.hpp"

#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace fs = std::filesystem;
using hivescope::protocol::Bytes;
using hivescope::protocol::Json;
using hivescope::protocol::JsonStyle;

constexpr std::string_view json_frame = "json_frame_fuzzer";
constexpr std::string_view binary_frame = "binary_frame_fuzzer";
constexpr std::string_view encrypted_envelope = "encrypted_envelope_fuzzer";
constexpr std::string_view handshake_payload = "handshake_payload_fuzzer";

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path.string());
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint64_t fnv1a64(std::string_view data) {
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    for (const char c : data) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 0x100000001b3ULL;
    }
    return hash;
}

// Seeds per fuzzer, deduplicated by content.
class Corpus {
  public:
    void add(std::string_view fuzzer, std::string seed) {
        seeds_[std::string(fuzzer)].insert(std::move(seed));
    }
    void add_bytes(std::string_view fuzzer, const Bytes& seed) {
        add(fuzzer, hivescope::protocol::to_string(seed));
    }
    // A `*_hex` field when it is a string (some vectors record null for "no input").
    void add_hex(std::string_view fuzzer, const Json* hex) {
        if (hex != nullptr && hex->is_string())
            add_bytes(fuzzer, hivescope::protocol::hex_decode(hex->as_string()));
    }
    void add_string(std::string_view fuzzer, const Json* text) {
        if (text != nullptr && text->is_string())
            add(fuzzer, text->as_string());
    }

    void write(const fs::path& root) const {
        for (const auto& [fuzzer, seeds] : seeds_) {
            const fs::path dir = root / fuzzer;
            fs::create_directories(dir);
            for (const auto& entry : fs::directory_iterator(dir))
                if (entry.path().filename().string().starts_with("seed-"))
                    fs::remove(entry.path());
            for (const auto& seed : seeds) {
                char name[32];
                std::snprintf(name, sizeof name, "seed-%016llx",
                              static_cast<unsigned long long>(fnv1a64(seed)));
                std::ofstream out(dir / name, std::ios::binary);
                out.write(seed.data(), static_cast<std::streamsize>(seed.size()));
                if (!out)
                    throw std::runtime_error("cannot write " + (dir / name).string());
            }
            std::printf("hivescope-fuzz-corpus: %-28s %4zu seeds -> %s\n", fuzzer.c_str(),
                        seeds.size(), dir.string().c_str());
        }
    }

  private:
    std::map<std::string, std::set<std::string>> seeds_;
};

const Json& cases_of(const Json& file) {
    const Json* cases = file.find("cases");
    if (cases == nullptr || !cases->is_array())
        throw std::runtime_error("vector file has no `cases` array");
    return *cases;
}

bool is_handshake_type(const Json& message) {
    const std::string type = message.get_string("msg_type");
    return type == "shake" || type == "hello";
}

// A decoded / as_dict envelope: a JSON-frame seed (unless it is BINARY, which has no JSON form)
// and, for shake/hello, a handshake payload seed.
void add_envelope_object(Corpus& corpus, const Json* envelope) {
    if (envelope == nullptr || !envelope->is_object())
        return;
    if (envelope->get_string("msg_type") != "bin")
        corpus.add(json_frame, envelope->dump(JsonStyle::python));
    if (is_handshake_type(*envelope))
        if (const Json* payload = envelope->find("payload"); payload && payload->is_object())
            corpus.add(handshake_payload, payload->dump(JsonStyle::python));
}

void from_json_serialization(Corpus& corpus, const Json& file) {
    for (const Json& c : cases_of(file).as_array()) {
        corpus.add_string(json_frame, c.find("serialized"));
        corpus.add_string(json_frame, c.find("text"));
        for (const char* verdict :
             {"HiveMessage(**json.loads(text))", "HiveMessage.deserialize(text)",
              "parsed_back_via_HiveMessage(**json.loads(s))"})
            if (const Json* result = c.find(verdict))
                add_envelope_object(corpus, result->find("as_dict"));
        if (const Json* input = c.find("input"); input && is_handshake_type(*input))
            if (const Json* payload = input->find("json"); payload && payload->is_object())
                corpus.add(handshake_payload, payload->dump(JsonStyle::python));
    }
}

void from_binary_serialization(Corpus& corpus, const Json& file) {
    for (const Json& c : cases_of(file).as_array()) {
        corpus.add_hex(binary_frame, c.find("bitstring_hex"));
        add_envelope_object(corpus, c.find("decoded"));
    }
}

void from_ciphers(Corpus& corpus, const Json& file) {
    for (const Json& c : cases_of(file).as_array()) {
        corpus.add_string(encrypted_envelope, c.find("envelope"));
        corpus.add_hex(encrypted_envelope, c.find("output_hex"));
        corpus.add_hex(encrypted_envelope, c.find("input_hex"));
    }
}

void from_encodings(Corpus& corpus, const Json& file) {
    for (const Json& c : cases_of(file).as_array()) {
        corpus.add_string(encrypted_envelope, c.find("encoded"));
        corpus.add_string(encrypted_envelope, c.find("decode_input"));
        corpus.add_hex(encrypted_envelope, c.find("input_hex"));
    }
}

// The transcripts' plaintexts re-encrypted under their session key with every cipher and
// encoding (the fuzzer decrypts with that key), so each decrypt path starts from a success.
struct SessionPlaintexts {
    std::set<std::string> keys_hex;
    std::vector<std::string> texts;
    std::vector<Bytes> frames;
};

void add_encrypted_seeds(Corpus& corpus, const SessionPlaintexts& session) {
    using namespace hivescope::protocol;
    for (const std::string& key_hex : session.keys_hex) {
        const Bytes key = hex_decode(key_hex);
        for (const Cipher cipher : all_ciphers) {
            if (!is_valid_key_size(cipher, key.size()))
                continue;
            // Any fixed nonce will do: seeds only need to decrypt, and reruns to be identical.
            Bytes nonce(nonce_size(cipher));
            for (std::size_t i = 0; i < nonce.size(); ++i)
                nonce[i] = static_cast<std::uint8_t>(0x11 * (i + 1));
            for (const Bytes& frame : session.frames)
                corpus.add_bytes(encrypted_envelope,
                                 encrypt_bin_with_nonce(cipher, key, frame, nonce));
            for (const std::string& text : session.texts)
                for (const Encoding encoding : all_encodings)
                    corpus.add(encrypted_envelope,
                               encrypt_as_json_with_nonce(cipher, encoding, key, text, nonce));
        }
    }
}

void from_handshake(Corpus& corpus, const Json& file) {
    SessionPlaintexts session;
    for (const Json& c : cases_of(file).as_array()) {
        // Password-handshake envelopes (hex strings) also feed verify_envelope.
        corpus.add_string(handshake_payload, c.find("client_envelope"));
        corpus.add_string(handshake_payload, c.find("server_envelope"));

        // The authorization a transcript client would send, and the record's pre-shared key.
        const Json* client = c.find("client");
        const Json* server = c.find("server");
        const Json* record = server != nullptr ? server->find("client_record") : nullptr;
        if (client != nullptr && record != nullptr) {
            const std::string useragent = client->get_string("useragent");
            const std::string api_key = record->get_string("api_key");
            if (!useragent.empty() && !api_key.empty()) {
                const std::string auth =
                    hivescope::protocol::make_authorization(useragent, api_key);
                corpus.add(handshake_payload, auth);
                corpus.add(handshake_payload, "Authorization: Basic " + auth);
            }
            corpus.add_string(handshake_payload, record->find("crypto_key"));
        }

        const Json* frames = c.find("frames");
        if (frames == nullptr || !frames->is_array())
            continue;
        for (const Json& frame : frames->as_array()) {
            if (const Json* key = frame.find("server_key_hex"); key && key->is_string())
                session.keys_hex.insert(key->as_string());
            const Json* wire = frame.find("frame");
            if (wire == nullptr || !wire->is_string())
                continue; // a note, not a frame
            const Json* binary = frame.find("binary");
            const bool is_binary = binary != nullptr && binary->is_bool() && binary->as_bool();
            const bool encrypted = frame.find("cipher") != nullptr;
            if (is_binary) {
                corpus.add_hex(encrypted ? encrypted_envelope : binary_frame, wire);
            } else if (encrypted) {
                corpus.add(encrypted_envelope, wire->as_string());
            } else {
                corpus.add(json_frame, wire->as_string());
                const Json message = Json::parse(wire->as_string());
                add_envelope_object(corpus, &message);
            }
            if (const Json* plaintext = frame.find("plaintext");
                plaintext && plaintext->is_string()) {
                corpus.add(json_frame, plaintext->as_string());
                session.texts.push_back(plaintext->as_string());
                const Json message = Json::parse(plaintext->as_string());
                add_envelope_object(corpus, &message);
            }
            if (const Json* bits = frame.find("plaintext_bitstring_hex");
                bits && bits->is_string()) {
                corpus.add_hex(binary_frame, bits);
                session.frames.push_back(hivescope::protocol::hex_decode(bits->as_string()));
            }
            add_envelope_object(corpus, frame.find("plaintext_decoded"));
        }
    }
    add_encrypted_seeds(corpus, session);
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s <vectors-dir> <corpus-root>\n", argv[0]);
        return 2;
    }
    const fs::path vectors = argv[1];
    const fs::path root = argv[2];
    try {
        Corpus corpus;
        const auto load = [&](const char* name) { return Json::parse(read_file(vectors / name)); };
        from_json_serialization(corpus, load("json_serialization.json"));
        from_binary_serialization(corpus, load("binary_serialization.json"));
        from_ciphers(corpus, load("ciphers.json"));
        from_encodings(corpus, load("encodings.json"));
        from_handshake(corpus, load("handshake.json"));
        corpus.write(root);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "hivescope-fuzz-corpus: %s\n", error.what());
        return 1;
    }
    return 0;
}
