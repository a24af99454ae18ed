#include "models/common/model_envelope.h"

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/hash.h"
#include "common/status_macros.h"

namespace cohort::models::envelope {
namespace {

constexpr absl::string_view kMagic = "CHMA";

void PutLittleEndian(uint64_t value, int bytes, std::string& out) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

uint64_t GetLittleEndian(absl::string_view in, size_t offset, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) {
    value |= static_cast<uint64_t>(static_cast<unsigned char>(in[offset + i])) << (8 * i);
  }
  return value;
}

// Checks the magic and the header length; returns the kind.
absl::StatusOr<absl::string_view> CheckHeader(absl::string_view bytes, absl::string_view what) {
  if (bytes.size() < kMagic.size() || bytes.substr(0, kMagic.size()) != kMagic) {
    return absl::InvalidArgumentError(absl::StrCat(
        "not a Cohort model artifact (expected magic \"", kMagic, "\", got \"",
        absl::CHexEscape(bytes.substr(0, 4)), "\"); was this file written by Cohort?"));
  }
  if (bytes.size() < kHeaderSize) {
    return absl::DataLossError(absl::StrCat(what, " artifact is truncated: ", bytes.size(),
                                            " bytes, the header alone needs ", kHeaderSize));
  }
  return bytes.substr(4, 4);
}

// Checks version, length and checksum of an envelope whose header CheckHeader accepted.
absl::StatusOr<Contents> CheckBody(absl::string_view bytes, absl::string_view kind,
                                   uint32_t max_version, absl::string_view what) {
  const auto version = static_cast<uint32_t>(GetLittleEndian(bytes, 8, 4));
  if (version == 0 || version > max_version) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, " artifact has format version ", version, "; this build reads versions 1..",
        max_version, " (upgrade the reader or retrain with a matching trainer)"));
  }
  const uint64_t length = GetLittleEndian(bytes, 12, 8);
  if (length != bytes.size() - kHeaderSize) {
    return absl::DataLossError(absl::StrCat(what, " artifact is corrupt or truncated: header says ",
                                            length, " payload bytes, found ",
                                            bytes.size() - kHeaderSize));
  }
  const absl::string_view payload = bytes.substr(kHeaderSize);
  if (XxHash64(payload) != GetLittleEndian(bytes, 20, 8)) {
    return absl::DataLossError(
        absl::StrCat(what, " artifact is corrupt: payload checksum mismatch"));
  }
  return Contents{.kind = kind, .version = version, .payload = payload};
}

}  // namespace

std::string Wrap(absl::string_view kind, uint32_t version, absl::string_view payload) {
  std::string out;
  out.reserve(kHeaderSize + payload.size());
  out.append(kMagic.data(), kMagic.size());
  out.append(kind.data(), kind.size());
  PutLittleEndian(version, 4, out);
  PutLittleEndian(payload.size(), 8, out);
  PutLittleEndian(XxHash64(payload), 8, out);
  out.append(payload.data(), payload.size());
  return out;
}

absl::StatusOr<Contents> Open(absl::string_view bytes, uint32_t max_version,
                              absl::string_view what) {
  COHORT_ASSIGN_OR_RETURN(const absl::string_view kind, CheckHeader(bytes, what));
  return CheckBody(bytes, kind, max_version, what);
}

absl::StatusOr<absl::string_view> Unwrap(absl::string_view bytes, absl::string_view kind,
                                         uint32_t max_version, absl::string_view what) {
  COHORT_ASSIGN_OR_RETURN(const absl::string_view found_kind, CheckHeader(bytes, what));
  if (found_kind != kind) {
    return absl::InvalidArgumentError(absl::StrCat("artifact holds a \"",
                                                   absl::CHexEscape(found_kind), "\" model, not a ",
                                                   what, " (\"", kind, "\")"));
  }
  COHORT_ASSIGN_OR_RETURN(const Contents contents, CheckBody(bytes, kind, max_version, what));
  return contents.payload;
}

absl::StatusOr<absl::string_view> PeekKind(absl::string_view bytes) {
  return CheckHeader(bytes, "model");
}

}  // namespace cohort::models::envelope
