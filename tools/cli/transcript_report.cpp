#include "transcript_report.hpp"

#include "hivescope/protocol/binary_codec.hpp"
#include "hivescope/protocol/cipher.hpp"
#include "hivescope/protocol/encoding.hpp"
#include "hivescope/protocol/encrypted_envelope.hpp"
#include "hivescope/protocol/error.hpp"
#include "hivescope/protocol/json_codec.hpp"
#include "hivescope/protocol/message_summary.hpp"
#include "hivescope/protocol/password_handshake.hpp"

#include <fstream>
#include <optional>
#include <ostream>
#include <sstream>

namespace hivescope::cli {

using namespace hivescope::protocol;

namespace {

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot open " + path.string());
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

// What one side knows after the handshake frames it has seen.
struct LinkState {
    std::optional<Bytes> key;
    Cipher cipher = Cipher::aes_gcm;
    Encoding encoding = Encoding::json_hex;
};

std::string arrow(const std::string& direction) {
    return direction == "server->client" ? "M→S" : "S→M";
}

std::string short_hex(ByteView bytes) {
    const std::string hex = hex_encode(bytes);
    return hex.size() <= 16 ? hex : hex.substr(0, 8) + "…" + hex.substr(hex.size() - 8);
}

} // namespace

int report_transcripts(const std::filesystem::path& vectors_dir, std::ostream& out) {
    const Json file = Json::parse(read_text(vectors_dir / "handshake.json"));
    int failures = 0;
    int frames_total = 0;
    int transcripts = 0;

    for (const Json& vector : file.find("cases")->as_array()) {
        if (vector.get_string("kind") != "session_transcript")
            continue;
        ++transcripts;
        const Json& server = *vector.find("server");
        const Json& client = *vector.find("client");
        const std::string password = server.find("client_record")->get_string("password");
        const Bytes client_iv = hex_decode(vector.find("fixed_ivs_hex")->get_string("client"));
        const Bytes server_iv = hex_decode(vector.find("fixed_ivs_hex")->get_string("server"));

        out << "\n== " << vector.get_string("id") << "\n";
        out << "   master " << server.get_string("peer") << " (hivemind-core "
            << server.get_string("hivemind-core") << "), client " << client.get_string("useragent")
            << " site " << client.get_string("site_id") << "\n";

        LinkState link;
        int index = 0;
        for (const Json& frame : vector.find("frames")->as_array()) {
            const std::string direction = frame.get_string("dir");
            if (direction == "note") {
                // The reference's own record of the negotiated key; ours must agree.
                const Bytes derived = link.key.value_or(Bytes{});
                const bool same = hex_encode(derived) == frame.get_string("server_key_hex");
                if (!same)
                    ++failures;
                out << "       ── handshake complete: " << frame.get_string("cipher") << " + "
                    << frame.get_string("encoding") << ", key " << short_hex(derived)
                    << (same ? " (derived here from password and IVs: matches the reference)"
                             : " (MISMATCH with the reference key)")
                    << "\n";
                continue;
            }
            ++index;
            ++frames_total;
            const bool binary = frame.find("binary") && frame.find("binary")->as_bool();
            const std::string raw = frame.get_string("frame");
            std::string line = "   #" + std::to_string(index) + "  " + arrow(direction) + "  ";
            bool mismatch = false;
            try {
                if (binary) {
                    const Bytes bytes = hex_decode(raw);
                    Bytes plain = bytes;
                    std::string how = "binary " + std::to_string(bytes.size()) + "B";
                    if (link.key) {
                        plain = decrypt_bin(link.cipher, *link.key, bytes);
                        how += " " + std::string(wire_name(link.cipher));
                    }
                    const BinaryFrameInfo info = inspect_binary(plain);
                    how += info.compressed ? " zlib" : "";
                    line += how + "  →  " + summarize(decode_binary(plain));
                    if (const Json* expected = frame.find("plaintext_bitstring_hex"))
                        mismatch = hex_encode(plain) != expected->as_string();
                } else {
                    const Json value = Json::parse(raw);
                    if (is_encrypted_envelope(value)) {
                        if (!link.key)
                            throw ProtocolError(ErrorCode::invalid_argument,
                                                "encrypted frame before any key");
                        const std::string plain =
                            decrypt_from_json(link.cipher, link.encoding, *link.key, raw);
                        if (const Json* expected = frame.find("plaintext"))
                            mismatch = plain != expected->as_string();
                        line += "text " + std::string(wire_name(link.cipher)) + "/" +
                                std::string(wire_name(link.encoding)) + "  →  " +
                                summarize(parse_json_message(plain));
                    } else {
                        const HiveMessage message = parse_json_message(raw);
                        if (message.type() == MessageType::handshake) {
                            const Json& payload = message.payload();
                            if (payload.find("envelope") && payload.find("cipher")) {
                                // The master's response completes the handshake: both IVs are
                                // known, so the key can be derived here, before the client's
                                // first encrypted frame.
                                link.cipher = *cipher_from_wire(payload.get_string("cipher"));
                                link.encoding = *encoding_from_wire(payload.get_string("encoding"));
                                link.key = derive_key(password, derive_salt(client_iv, server_iv));
                            }
                            if (const Json* envelope = payload.find("envelope")) {
                                const bool proof = verify_envelope(password, envelope->as_string());
                                if (!proof)
                                    ++failures;
                                line += std::string("[password proof ") +
                                        (proof ? "verified" : "INVALID") + "] ";
                            }
                        }
                        line += "text plain  →  " + summarize(message);
                    }
                }
            } catch (const std::exception& error) {
                ++failures;
                line += "FAILED: " + std::string(error.what());
            }
            if (mismatch) {
                ++failures;
                line += "  (MISMATCH with the reference plaintext)";
            }
            out << line << "\n";
        }
    }
    out << "\n"
        << transcripts << " transcripts, " << frames_total << " frames, " << frames_total - failures
        << " decoded and verified, " << failures << " failures\n";
    return failures;
}

} // namespace hivescope::cli
