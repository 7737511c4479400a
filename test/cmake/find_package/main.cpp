#include <hivescope/protocol/error.hpp>

int main() {
    const hivescope::protocol::ProtocolError error(hivescope::protocol::ErrorCode::malformed_json,
                                                   "x");
    return error.code() == hivescope::protocol::ErrorCode::malformed_json ? 0 : 1;
}
