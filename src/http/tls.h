// Certificates for `serve` and `receive`: the self-signed localhost certificate that arenite
// makes once when no other is given.
#pragma once

#include <string>

#include "core/result.h"

namespace arenite::http {

// Writes DIR/cert.pem and DIR/key.pem (mode 0600), an ECDSA P-256 certificate for localhost,
// 127.0.0.1 and ::1, unless both files already exist.
Status EnsureSelfSignedCertificate(const std::string& dir);

}  // namespace arenite::http
