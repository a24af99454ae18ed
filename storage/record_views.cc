// Protobuf wire format (https://protobuf.dev/programming-guides/encoding/) for the few field
// types records.proto uses: varints (int64, int32, bool), fixed64 (double) and
// length-delimited (bytes, messages). A field with an unexpected wire type is skipped as an
// unknown field, as the generated parser does; a singular field seen twice keeps the last
// value; the last value of a oneof wins.
#include "storage/record_views.h"

#include <cstring>

namespace cohort::storage {
namespace {

enum WireType {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5
};
constexpr int kMaxGroupDepth = 100;  // protobuf's default recursion limit

class WireReader {
 public:
  explicit WireReader(absl::string_view bytes)
      : p_(reinterpret_cast<const uint8_t*>(bytes.data())), end_(p_ + bytes.size()) {}

  bool done() const { return p_ == end_; }

  // At most `max_bytes` bytes: 10 for a value, 5 for a tag (as protobuf reads them).
  bool Varint(uint64_t* out, int max_bytes = 10) {
    uint64_t value = 0;
    for (int shift = 0; shift < 7 * max_bytes; shift += 7) {
      if (p_ == end_) return false;
      const uint8_t byte = *p_++;
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *out = value;
        return true;
      }
    }
    return false;  // too long
  }

  bool Tag(uint32_t* field, int* wire_type) {
    uint64_t tag = 0;
    if (!Varint(&tag, 5) || tag > 0xffffffffu || (tag >> 3) == 0) return false;
    *field = static_cast<uint32_t>(tag >> 3);
    *wire_type = static_cast<int>(tag & 7);
    return true;
  }

  bool Fixed64(uint64_t* out) {
    if (end_ - p_ < 8) return false;
    uint64_t value = 0;
    for (int i = 7; i >= 0; --i) value = (value << 8) | p_[i];  // little-endian
    p_ += 8;
    *out = value;
    return true;
  }

  bool LengthDelimited(absl::string_view* out) {
    uint64_t size = 0;
    if (!Varint(&size) || size > static_cast<uint64_t>(end_ - p_)) return false;
    *out = absl::string_view(reinterpret_cast<const char*>(p_), size);
    p_ += size;
    return true;
  }

  // Skips the value of a field with tag (`field`, `wire_type`), just read.
  bool Skip(uint32_t field, int wire_type, int depth = 0) {
    uint64_t ignored = 0;
    absl::string_view bytes;
    switch (wire_type) {
      case kVarint:
        return Varint(&ignored);
      case kFixed64:
        return Fixed64(&ignored);
      case kLengthDelimited:
        return LengthDelimited(&bytes);
      case kFixed32:
        if (end_ - p_ < 4) return false;
        p_ += 4;
        return true;
      case kStartGroup:  // a deprecated group: fields up to the matching end-group tag
        if (depth >= kMaxGroupDepth) return false;
        for (;;) {
          uint32_t inner = 0;
          int inner_wire = 0;
          if (!Tag(&inner, &inner_wire)) return false;
          if (inner_wire == kEndGroup) return inner == field;
          if (!Skip(inner, inner_wire, depth + 1)) return false;
        }
      default:  // an end-group tag without its start, or a reserved wire type
        return false;
    }
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// Read the value of `field` into `out`, or skip it as an unknown field if its wire type is
// not the one its declared type uses. False only on a malformed encoding.
bool ReadInt(WireReader& r, uint32_t field, int wire_type, int64_t* out) {
  if (wire_type != kVarint) return r.Skip(field, wire_type);
  uint64_t v = 0;
  if (!r.Varint(&v)) return false;
  *out = static_cast<int64_t>(v);
  return true;
}

bool ReadDouble(WireReader& r, uint32_t field, int wire_type, double* out) {
  if (wire_type != kFixed64) return r.Skip(field, wire_type);
  uint64_t bits = 0;
  if (!r.Fixed64(&bits)) return false;
  std::memcpy(out, &bits, sizeof(bits));
  return true;
}

bool ReadBytes(WireReader& r, uint32_t field, int wire_type, absl::string_view* out) {
  if (wire_type != kLengthDelimited) return r.Skip(field, wire_type);
  return r.LengthDelimited(out);
}

// Calls `on_field(reader, field, wire_type)` for every field of the message encoded in
// `bytes`; `on_field` reads or skips the value and returns false on a malformed encoding.
// False if the message is malformed.
template <typename OnField>
bool ForEachField(absl::string_view bytes, OnField on_field) {
  WireReader r(bytes);
  while (!r.done()) {
    uint32_t field = 0;
    int wire = 0;
    if (!r.Tag(&field, &wire) || !on_field(r, field, wire)) return false;
  }
  return true;
}

// A length-delimited field holding a message, decoded by `decode(bytes)`; skipped as an
// unknown field when it has another wire type.
template <typename Decode>
bool ReadMessage(WireReader& r, uint32_t field, int wire_type, Decode decode) {
  absl::string_view bytes;
  if (wire_type != kLengthDelimited) return r.Skip(field, wire_type);
  return r.LengthDelimited(&bytes) && decode(bytes);
}

bool DecodeCell(absl::string_view bytes, CellView* cell) {
  return ForEachField(bytes, [cell](WireReader& r, uint32_t field, int wire) {
    switch (field) {
      case 1:
        return ReadBytes(r, field, wire, &cell->type);
      case 2:
        return ReadBytes(r, field, wire, &cell->channel);
      case 3:
        return ReadBytes(r, field, wire, &cell->category);
      case 4:
        return ReadInt(r, field, wire, &cell->count);
      case 5:
        return ReadInt(r, field, wire, &cell->quantity);
      case 6:
        return ReadDouble(r, field, wire, &cell->amount);
      case 7:
        return ReadInt(r, field, wire, &cell->first_us);
      case 8:
        return ReadInt(r, field, wire, &cell->last_us);
      default:
        return r.Skip(field, wire);
    }
  });
}

// Appends the cells of one serialized DayBucket to `cells` and sets `day`.
bool DecodeDay(absl::string_view bytes, DayView* day, std::vector<CellView>* cells) {
  day->begin = static_cast<uint32_t>(cells->size());
  const bool ok = ForEachField(bytes, [day, cells](WireReader& r, uint32_t field, int wire) {
    if (field == 1) {
      int64_t v = day->day;
      if (!ReadInt(r, field, wire, &v)) return false;
      day->day = static_cast<int32_t>(v);  // int32 fields keep the low 32 bits
      return true;
    }
    if (field == 2) {
      return ReadMessage(r, field, wire, [cells](absl::string_view cell) {
        return DecodeCell(cell, &cells->emplace_back());
      });
    }
    return r.Skip(field, wire);
  });
  day->end = static_cast<uint32_t>(cells->size());
  return ok;
}

bool DecodeVersion(absl::string_view bytes, AttributeVersionView* v) {
  using Stored = records::StoredAttribute;
  return ForEachField(bytes, [v](WireReader& r, uint32_t field, int wire) {
    // A oneof member with the wrong wire type is an unknown field: it leaves the kind alone.
    const bool kind_field = field >= 1 && field <= 5;
    const int want = field == 1 ? kLengthDelimited : field == 3 ? kFixed64 : kVarint;
    if (kind_field && wire != want) return r.Skip(field, wire);
    int64_t number = 0;
    switch (field) {
      case Stored::kStringValue:
        v->kind = Stored::kStringValue;
        return r.LengthDelimited(&v->string_value);
      case Stored::kIntValue:
      case Stored::kTimestampUs:
        v->kind = static_cast<Stored::KindCase>(field);
        return ReadInt(r, field, wire, &v->int_value);
      case Stored::kDoubleValue:
        v->kind = Stored::kDoubleValue;
        return ReadDouble(r, field, wire, &v->double_value);
      case Stored::kBoolValue:
        v->kind = Stored::kBoolValue;
        if (!ReadInt(r, field, wire, &number)) return false;
        v->bool_value = number != 0;
        return true;
      case 7:
        return ReadInt(r, field, wire, &v->event_us);
      default:
        return r.Skip(field, wire);  // source, written_us, unknown fields
    }
  });
}

bool DecodeAttribute(absl::string_view bytes, AttributeView* attribute,
                     std::vector<AttributeVersionView>* versions) {
  attribute->begin = static_cast<uint32_t>(versions->size());
  const bool ok =
      ForEachField(bytes, [attribute, versions](WireReader& r, uint32_t field, int wire) {
        if (field == 1) return ReadBytes(r, field, wire, &attribute->name);
        if (field == 2) {
          return ReadMessage(r, field, wire, [versions](absl::string_view version) {
            return DecodeVersion(version, &versions->emplace_back());
          });
        }
        return r.Skip(field, wire);
      });
  attribute->end = static_cast<uint32_t>(versions->size());
  return ok;
}

CellView ViewOfCell(const records::Cell& c) {
  return CellView{c.type(),     c.channel(), c.category(), c.count(),
                  c.quantity(), c.amount(),  c.first_us(), c.last_us()};
}

}  // namespace

void AggregatesView::Clear() {
  lifetime_.clear();
  days_.clear();
  cells_.clear();
  attributes_.reset();
}

bool AggregatesView::Decode(absl::string_view bytes) {
  Clear();
  return ForEachField(bytes, [this](WireReader& r, uint32_t field, int wire) {
    if (field == 1) {
      return ReadMessage(r, field, wire, [this](absl::string_view cell) {
        return DecodeCell(cell, &lifetime_.emplace_back());
      });
    }
    if (field == 2) {
      return ReadMessage(r, field, wire, [this](absl::string_view day) {
        return DecodeDay(day, &days_.emplace_back(), &cells_);
      });
    }
    if (field == 3 && wire == kLengthDelimited) {
      if (attributes_.has_value()) return false;
      return ReadBytes(r, field, wire, &attributes_.emplace());
    }
    return r.Skip(field, wire);
  });
}

void AggregatesView::Assign(const records::Aggregates& message) {
  Clear();
  for (const records::Cell& cell : message.lifetime()) lifetime_.push_back(ViewOfCell(cell));
  for (const records::DayBucket& bucket : message.days()) {
    DayView& day = days_.emplace_back();
    day.day = bucket.day();
    day.begin = static_cast<uint32_t>(cells_.size());
    for (const records::Cell& cell : bucket.cells()) cells_.push_back(ViewOfCell(cell));
    day.end = static_cast<uint32_t>(cells_.size());
  }
}

void AttributesView::Clear() {
  attributes_.clear();
  versions_.clear();
}

bool AttributesView::Decode(absl::string_view bytes) {
  Clear();
  return ForEachField(bytes, [this](WireReader& r, uint32_t field, int wire) {
    if (field == 1) {
      return ReadMessage(r, field, wire, [this](absl::string_view attribute) {
        return DecodeAttribute(attribute, &attributes_.emplace_back(), &versions_);
      });
    }
    return r.Skip(field, wire);
  });
}

void AttributesView::Assign(const records::AttributeSet& message) {
  Clear();
  for (const records::AttributeVersions& a : message.attributes()) {
    AttributeView& attribute = attributes_.emplace_back();
    attribute.name = a.name();
    attribute.begin = static_cast<uint32_t>(versions_.size());
    for (const records::StoredAttribute& s : a.versions()) {
      AttributeVersionView& v = versions_.emplace_back();
      v.kind = s.kind_case();
      v.event_us = s.event_us();
      switch (s.kind_case()) {
        case records::StoredAttribute::kStringValue:
          v.string_value = s.string_value();
          break;
        case records::StoredAttribute::kIntValue:
          v.int_value = s.int_value();
          break;
        case records::StoredAttribute::kTimestampUs:
          v.int_value = s.timestamp_us();
          break;
        case records::StoredAttribute::kDoubleValue:
          v.double_value = s.double_value();
          break;
        case records::StoredAttribute::kBoolValue:
          v.bool_value = s.bool_value();
          break;
        default:
          break;
      }
    }
    attribute.end = static_cast<uint32_t>(versions_.size());
  }
}

namespace {

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// One-byte tags: every field number here is below 16.
char Tag(int field, int wire_type) { return static_cast<char>(field << 3 | wire_type); }

uint64_t DoubleBits(double v) {
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(v));
  return bits;
}

// proto3 writes a scalar only when it differs from its default (a double: when any bit is
// set, so -0.0 is written).
size_t IntFieldSize(int64_t v) { return v == 0 ? 0 : 1 + VarintSize(static_cast<uint64_t>(v)); }
size_t BytesFieldSize(absl::string_view v) {
  return v.empty() ? 0 : 1 + VarintSize(v.size()) + v.size();
}

size_t CellSize(const CellView& c) {
  return BytesFieldSize(c.type) + BytesFieldSize(c.channel) + BytesFieldSize(c.category) +
         IntFieldSize(c.count) + IntFieldSize(c.quantity) + (DoubleBits(c.amount) == 0 ? 0 : 9) +
         IntFieldSize(c.first_us) + IntFieldSize(c.last_us);
}

void PutInt(int field, int64_t v, std::string* out) {
  if (v == 0) return;
  out->push_back(Tag(field, kVarint));
  PutVarint(static_cast<uint64_t>(v), out);
}

void PutBytes(int field, absl::string_view v, std::string* out) {
  if (v.empty()) return;
  out->push_back(Tag(field, kLengthDelimited));
  PutVarint(v.size(), out);
  out->append(v.data(), v.size());
}

// `field`: the Cell as a length-delimited field of its parent.
void PutCell(int field, const CellView& c, std::string* out) {
  out->push_back(Tag(field, kLengthDelimited));
  PutVarint(CellSize(c), out);
  PutBytes(1, c.type, out);
  PutBytes(2, c.channel, out);
  PutBytes(3, c.category, out);
  PutInt(4, c.count, out);
  PutInt(5, c.quantity, out);
  if (const uint64_t bits = DoubleBits(c.amount); bits != 0) {
    out->push_back(Tag(6, kFixed64));
    for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(bits >> (8 * i)));
  }
  PutInt(7, c.first_us, out);
  PutInt(8, c.last_us, out);
}

}  // namespace

void AggregatesView::AppendEncoded(std::string* out) const {
  for (const CellView& cell : lifetime_) PutCell(1, cell, out);
  for (const DayView& day : days_) {
    size_t size = IntFieldSize(day.day);  // int32: a negative day is sign-extended to 64 bits
    for (const CellView& cell : cells(day)) {
      const size_t cell_size = CellSize(cell);
      size += 1 + VarintSize(cell_size) + cell_size;
    }
    out->push_back(Tag(2, kLengthDelimited));
    PutVarint(size, out);
    PutInt(1, day.day, out);
    for (const CellView& cell : cells(day)) PutCell(2, cell, out);
  }
  if (attributes_.has_value()) {  // a set message field is written even when empty
    out->push_back(Tag(3, kLengthDelimited));
    PutVarint(attributes_->size(), out);
    out->append(attributes_->data(), attributes_->size());
  }
}

}  // namespace cohort::storage
