#pragma once
// Cipher and encoding negotiation of the password handshake (protocol.md A.10.1): the master
// picks the client's first proposal that it also allows, separately for each list.

#include "hivescope/protocol/cipher.hpp"
#include "hivescope/protocol/encoding.hpp"

#include <array>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace hivescope::protocol {

/// What a link uses until (and unless) the password handshake negotiates something else.
inline constexpr Cipher link_default_cipher = Cipher::aes_gcm;
/// The protocol default encoding (not the reference library's JSON-B64 function default).
inline constexpr Encoding link_default_encoding = Encoding::json_hex;

/// A master's allowed encodings, as the reference `server.json` lists them (Z85P included,
/// though it is never selected).
inline constexpr std::array<Encoding, 7> master_default_encodings{
    Encoding::json_b64,  Encoding::json_urlsafe_b64, Encoding::json_b91, Encoding::json_z85b,
    Encoding::json_z85p, Encoding::json_b32,         Encoding::json_hex};
/// A master's allowed ciphers, as the reference `server.json` lists them.
inline constexpr std::array<Cipher, 2> master_default_ciphers{Cipher::chacha20_poly1305,
                                                              Cipher::aes_gcm};
/// A satellite's proposal: the reference order without Z85P.
inline constexpr std::array<Encoding, 6> satellite_default_encodings{
    Encoding::json_b91,         Encoding::json_z85b, Encoding::json_b64,
    Encoding::json_urlsafe_b64, Encoding::json_b32,  Encoding::json_hex};
/// A satellite's cipher proposal, fixed (not CPU-dependent) so runs are deterministic.
inline constexpr std::array<Cipher, 2> satellite_default_ciphers{Cipher::aes_gcm,
                                                                 Cipher::chacha20_poly1305};

/// False only for JSON-Z85P, which the reference cannot decode: never propose or select it.
[[nodiscard]] constexpr bool is_negotiable(Encoding encoding) noexcept {
    return encoding != Encoding::json_z85p;
}

/// The client's first known, negotiable encoding that `allowed` contains; an empty client
/// list means ["JSON-HEX"]; unknown names are skipped. nullopt: refuse the client.
[[nodiscard]] std::optional<Encoding>
select_encoding(std::span<const std::string> client_preference, std::span<const Encoding> allowed);

/// The client's first known cipher that `allowed` contains; an empty client list means
/// ["AES-GCM"]; unknown names are skipped. nullopt: refuse the client.
[[nodiscard]] std::optional<Cipher> select_cipher(std::span<const std::string> client_preference,
                                                  std::span<const Cipher> allowed);

/// Wire names for a satellite's proposal: negotiable encodings only (Z85P dropped).
[[nodiscard]] std::vector<std::string> proposal_names(std::span<const Encoding> encodings);

/// Wire names of ciphers, in order.
[[nodiscard]] std::vector<std::string> proposal_names(std::span<const Cipher> ciphers);

} // namespace hivescope::protocol
