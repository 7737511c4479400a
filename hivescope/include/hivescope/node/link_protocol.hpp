#pragma once
// The wire state of one connection (protocol.md A.7, A.9, A.10): whether a key is active, which
// cipher and encoding were negotiated, whether BUS traffic is binarised. It turns messages into
// frames and frames into messages, so master and satellite share one implementation of the
// encryption and framing rules.

#include "hivescope/protocol/hive_message.hpp"
#include "hivescope/protocol/link_crypto.hpp"
#include "hivescope/protocol/random.hpp"
#include "hivescope/sim/frame.hpp"

#include <optional>
#include <string>

namespace hivescope::node {

/// A decoded inbound frame.
struct DecodedFrame {
    protocol::HiveMessage message;
    bool encrypted = false; ///< it arrived under the link key
    bool binary = false;    ///< it arrived as a binary (bitstring) frame
};

/// Per-connection framing and crypto.
class LinkProtocol {
  public:
    /// Activates (or replaces) the link key. Frames in flight under an older key will fail.
    void set_crypto(protocol::LinkCrypto crypto) { crypto_ = std::move(crypto); }
    void clear_crypto() { crypto_.reset(); }
    [[nodiscard]] bool has_key() const noexcept { return crypto_.has_value(); }
    [[nodiscard]] const std::optional<protocol::LinkCrypto>& crypto() const noexcept {
        return crypto_;
    }

    /// Negotiated binarize: BUS and SHARED_BUS go as binary frames (A.7.3).
    void set_binarize(bool on) noexcept { binarize_ = on; }
    [[nodiscard]] bool binarize() const noexcept { return binarize_; }

    /// The frame for `message`. BINARY always, and BUS / SHARED_BUS under binarize, go as binary
    /// frames (compressed, A.7.5); everything else as JSON text. With a key, the frame is
    /// encrypted unless `plaintext` is set (a master's HELLO and HANDSHAKE, A.9.1).
    [[nodiscard]] sim::Frame encode(const protocol::HiveMessage& message,
                                    protocol::RandomSource& random, bool plaintext = false);

    /// The message in `frame`. An encrypted envelope or a binary frame with a key is decrypted
    /// first. Throws ProtocolError (malformed JSON, bad bits, decryption_failed, or
    /// malformed_json for an envelope on a link with no key).
    [[nodiscard]] DecodedFrame decode(const sim::Frame& frame);

  private:
    std::optional<protocol::LinkCrypto> crypto_;
    bool binarize_ = false;
    // The plaintext of the last encrypted text frame, kept for its capacity: serialising into
    // it saves an allocation per frame. Given back when a large frame left it big.
    std::string plaintext_scratch_;
};

} // namespace hivescope::node
