#pragma once
// Every hivescope matcher and Catch2 printer: record matchers (Received, Sent, Injected, Denied,
// Dropped, Closed, Dispatched, InOrder, NothingElseSince), node matchers (HandshakeComplete,
// EncryptionMatches, ConnectedTo, ClientRegistered) and the StringMaker specialisations.

#include "hivescope/catch2/compat.hpp"
#include "hivescope/catch2/node_matchers.hpp"
#include "hivescope/catch2/record_matchers.hpp"
#include "hivescope/catch2/string_makers.hpp"
