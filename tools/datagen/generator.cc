#include "tools/datagen/generator.h"

#include <algorithm>
#include <initializer_list>
#include <memory>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/validation.h"
#include "tools/datagen/internal/catalog.h"
#include "tools/datagen/internal/csv_writer.h"
#include "tools/datagen/internal/events.h"
#include "tools/datagen/internal/profile.h"
#include "tools/datagen/internal/rows.h"

namespace cohort::datagen {
namespace {

using internal::Catalog;
using internal::CsvWriter;

constexpr int64_t kMaxCustomers = 1'000'000'000;
constexpr int32_t kMaxDays = 3650;
constexpr size_t kMaxIdPrefixBytes = 100;
const absl::CivilDay kMinEnd(1990, 1, 1);
const absl::CivilDay kMaxEnd(9000, 1, 1);
// Sink errors are checked this often (in customers).
constexpr int64_t kCheckEvery = 256;

int Digits(uint64_t v) {
  int digits = 1;
  while (v >= 10) v /= 10, ++digits;
  return digits;
}

std::unique_ptr<CsvWriter> WriterFor(ByteSink* sink) {
  return sink == nullptr ? nullptr : std::make_unique<CsvWriter>(sink);
}

absl::Status FirstError(std::initializer_list<const CsvWriter*> writers) {
  for (const CsvWriter* w : writers) {
    if (w != nullptr && !w->status().ok()) return w->status();
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateOptions(const GeneratorOptions& o) {
  if (o.customers < 1 || o.customers > kMaxCustomers) {
    return absl::InvalidArgumentError(
        absl::StrCat("--customers must be in [1, ", kMaxCustomers, "], got ", o.customers));
  }
  if (o.days < 1 || o.days > kMaxDays) {
    return absl::InvalidArgumentError(
        absl::StrCat("--days must be in [1, ", kMaxDays, "], got ", o.days));
  }
  if (o.items < Catalog::kMinItems || o.items > Catalog::kMaxItems) {
    return absl::InvalidArgumentError(absl::StrCat("--items must be in [", Catalog::kMinItems, ", ",
                                                   Catalog::kMaxItems, "], got ", o.items));
  }
  if (o.end < kMinEnd || o.end > kMaxEnd) {
    return absl::InvalidArgumentError(
        absl::StrCat("--end must be in [", absl::FormatCivilTime(kMinEnd), ", ",
                     absl::FormatCivilTime(kMaxEnd), "], got ", absl::FormatCivilTime(o.end)));
  }
  if (absl::Status s = ValidateLabel(o.id_prefix, "--id_prefix", kMaxIdPrefixBytes); !s.ok()) {
    return s;
  }
  if (o.id_prefix.find_first_of(",\"") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("--id_prefix must not contain ',' or '\"' (ids are written to CSV "
                     "unquoted), got '",
                     o.id_prefix, "'"));
  }
  return absl::OkStatus();
}

absl::StatusOr<GenerationStats> Generate(const GeneratorOptions& options,
                                         const GeneratorOutputs& outputs) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  const int64_t window_end = (options.end - absl::CivilDay(1970, 1, 1)) * int64_t{86400};
  const int64_t window_start = window_end - int64_t{options.days} * 86400;

  std::unique_ptr<CsvWriter> events_out = WriterFor(outputs.events);
  std::unique_ptr<CsvWriter> attributes_out = WriterFor(outputs.attributes);
  std::unique_ptr<CsvWriter> truth_out = WriterFor(outputs.truth);
  std::optional<Catalog> catalog;
  std::optional<internal::EventSimulator> simulator;
  if (events_out != nullptr) {
    catalog = Catalog::Build(options.seed, options.items);
    simulator.emplace(*catalog, window_start, window_end);
    internal::WriteHeader(*events_out, internal::kEventsHeader);
  }
  if (attributes_out != nullptr)
    internal::WriteHeader(*attributes_out, internal::kAttributesHeader);
  if (truth_out != nullptr) internal::WriteHeader(*truth_out, internal::kTruthHeader);

  const int width = std::max(8, Digits(static_cast<uint64_t>(options.customers - 1)));
  char id_buffer[kMaxIdPrefixBytes + 32];
  char* const id_digits = internal::Put(id_buffer, options.id_prefix);
  std::vector<internal::Event> events;
  GenerationStats stats;
  for (int64_t i = 0; i < options.customers; ++i) {
    const absl::string_view id(id_buffer, internal::PutPadded(id_digits, i, width) - id_buffer);
    const internal::CustomerProfile profile =
        internal::MakeProfile(options.seed, i, window_start, window_end);
    if (events_out != nullptr) {
      simulator->Simulate(options.seed, i, profile, &events);
      internal::WriteEvents(*events_out, id, *catalog, events);
      stats.events += static_cast<int64_t>(events.size());
    }
    if (attributes_out != nullptr) {
      stats.attribute_rows += internal::WriteAttributes(*attributes_out, id, profile);
    }
    if (truth_out != nullptr) internal::WriteTruth(*truth_out, id, profile);
    ++stats.customers;
    if (i % kCheckEvery == 0) {
      if (absl::Status s = FirstError({events_out.get(), attributes_out.get(), truth_out.get()});
          !s.ok()) {
        return s;
      }
    }
  }
  for (CsvWriter* w : {events_out.get(), attributes_out.get(), truth_out.get()}) {
    if (w != nullptr) {
      if (absl::Status s = w->Flush(); !s.ok()) return s;
    }
  }
  return stats;
}

}  // namespace cohort::datagen
