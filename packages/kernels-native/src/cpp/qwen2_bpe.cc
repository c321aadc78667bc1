#include "qwen2_bpe.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <string>

#include "unicode_classes.h"

namespace steel {
namespace {

enum : uint8_t { kLetter = 1, kNumber = 2, kSpace = 4 };

// Two-level lookup of the generated ranges: blocks of 128 code points, identical blocks shared (about 60 KB).
class CodePointClasses {
 public:
  CodePointClasses() {
    std::vector<uint8_t> flat(0x110000, 0);
    auto fill = [&flat](const CodePointRange* ranges, size_t count, uint8_t flag) {
      for (size_t i = 0; i < count; i++) {
        for (uint32_t cp = ranges[i].first; cp <= ranges[i].last; cp++) flat[cp] |= flag;
      }
    };
    fill(kLetterRanges, kLetterRangesCount, kLetter);
    fill(kNumberRanges, kNumberRangesCount, kNumber);
    fill(kWhiteSpaceRanges, kWhiteSpaceRangesCount, kSpace);
    std::map<std::string, uint16_t> seen;
    for (uint32_t block = 0; block < kBlocks; block++) {
      std::string key(reinterpret_cast<const char*>(flat.data() + block * kBlockSize), kBlockSize);
      auto it = seen.find(key);
      if (it == seen.end()) {
        const auto id = static_cast<uint16_t>(seen.size());
        it = seen.emplace(key, id).first;
        blocks_.insert(blocks_.end(), key.begin(), key.end());
      }
      stage1_[block] = it->second;
    }
  }

  uint8_t Of(uint32_t cp) const {
    if (cp >= 0x110000) return 0;
    return static_cast<uint8_t>(blocks_[static_cast<size_t>(stage1_[cp >> 7]) * kBlockSize + (cp & (kBlockSize - 1))]);
  }

 private:
  static constexpr uint32_t kBlockSize = 128;
  static constexpr uint32_t kBlocks = 0x110000 / kBlockSize;
  uint16_t stage1_[kBlocks];
  std::string blocks_;
};

const CodePointClasses& Classes() {
  static const CodePointClasses classes;  // thread-safe initialization (C++11 statics)
  return classes;
}

// UTF-8 -> code points with the byte offset of each. Input comes from V8 (always valid UTF-8); a stray invalid byte
// would still become one code point U+FFFD of one byte so that no byte is ever lost.
void Decode(const uint8_t* s, size_t n, std::vector<uint32_t>& cps, std::vector<uint32_t>& starts) {
  cps.clear();
  starts.clear();
  size_t i = 0;
  while (i < n) {
    starts.push_back(static_cast<uint32_t>(i));
    const uint8_t b = s[i];
    if (b < 0x80) {
      cps.push_back(b);
      i += 1;
      continue;
    }
    uint32_t cp = 0xFFFD;
    size_t len = 1;
    if ((b & 0xE0) == 0xC0 && i + 1 < n && (s[i + 1] & 0xC0) == 0x80) {
      cp = (b & 0x1Fu) << 6 | (s[i + 1] & 0x3Fu);
      len = 2;
    } else if ((b & 0xF0) == 0xE0 && i + 2 < n && (s[i + 1] & 0xC0) == 0x80 && (s[i + 2] & 0xC0) == 0x80) {
      cp = (b & 0x0Fu) << 12 | (s[i + 1] & 0x3Fu) << 6 | (s[i + 2] & 0x3Fu);
      len = 3;
    } else if ((b & 0xF8) == 0xF0 && i + 3 < n && (s[i + 1] & 0xC0) == 0x80 && (s[i + 2] & 0xC0) == 0x80 &&
               (s[i + 3] & 0xC0) == 0x80) {
      cp = (b & 0x07u) << 18 | (s[i + 1] & 0x3Fu) << 12 | (s[i + 2] & 0x3Fu) << 6 | (s[i + 3] & 0x3Fu);
      len = 4;
    }
    cps.push_back(cp);
    i += len;
  }
  starts.push_back(static_cast<uint32_t>(n));
}

// One match of Qwen2's regex, alternatives in order (the regex engine takes the first alternative that matches):
//   (?i:'s|'t|'re|'ve|'m|'ll|'d) | [^\r\n\p{L}\p{N}]?\p{L}+ | \p{N} | ?[^\s\p{L}\p{N}]+[\r\n]* | \s*[\r\n]+
//   | \s+(?!\S) | \s+
// Every code point is matched by some alternative and none matches the empty string, so the pieces tile the text.
// Returns the end (exclusive) of the match starting at i.
size_t MatchAt(const uint32_t* c, size_t n, size_t i, const CodePointClasses& cls) {
  auto is_letter = [&](size_t k) { return (cls.Of(c[k]) & kLetter) != 0; };
  auto is_number = [&](size_t k) { return (cls.Of(c[k]) & kNumber) != 0; };
  // [^\s\p{L}\p{N}]
  auto is_other = [&](size_t k) { return cls.Of(c[k]) == 0; };
  auto is_crlf = [&](size_t k) { return c[k] == '\r' || c[k] == '\n'; };
  const uint32_t cp = c[i];

  if (cp == '\'' && i + 1 < n) {
    // Case-insensitive as Rust/Oniguruma fold: s also matches U+017F LATIN SMALL LETTER LONG S.
    const uint32_t d = c[i + 1];
    if (d == 's' || d == 'S' || d == 0x17F || d == 't' || d == 'T' || d == 'm' || d == 'M' || d == 'd' || d == 'D') {
      return i + 2;
    }
    if (i + 2 < n) {
      const uint32_t e = c[i + 2];
      const bool e_is_e = e == 'e' || e == 'E';
      if (((d == 'r' || d == 'R') && e_is_e) || ((d == 'v' || d == 'V') && e_is_e) ||
          ((d == 'l' || d == 'L') && (e == 'l' || e == 'L'))) {
        return i + 3;
      }
    }
  }

  auto letters_from = [&](size_t k) {
    while (k < n && is_letter(k)) k++;
    return k;
  };
  if (is_letter(i)) return letters_from(i + 1);
  if (cp != '\r' && cp != '\n' && !is_number(i) && i + 1 < n && is_letter(i + 1)) return letters_from(i + 2);

  if (is_number(i)) return i + 1;

  auto others_then_crlf = [&](size_t k) {
    while (k < n && is_other(k)) k++;
    while (k < n && is_crlf(k)) k++;
    return k;
  };
  if (cp == ' ' && i + 1 < n && is_other(i + 1)) return others_then_crlf(i + 2);
  if (is_other(i)) return others_then_crlf(i + 1);

  // Here c[i] is white space. j = end of the white-space run.
  size_t j = i + 1;
  size_t last_crlf = is_crlf(i) ? i : n;
  while (j < n && (cls.Of(c[j]) & kSpace) != 0) {
    if (is_crlf(j)) last_crlf = j;
    j++;
  }
  // \s*[\r\n]+ : \s* backs off to the last \r or \n of the run, [\r\n]+ takes it.
  if (last_crlf != n) return last_crlf + 1;
  // \s+(?!\S) : the whole run at the end of the text, else all but its last space (which goes with the next piece).
  if (j == n) return j;
  if (j - i >= 2) return j - 1;
  return j;  // \s+
}

}  // namespace

std::string Qwen2Bpe::Init(const int32_t* byte_ids, const std::vector<Merge>& merges, size_t heap_from_bytes) {
  constexpr uint32_t kMaxId = (1u << 20) - 2;
  for (int b = 0; b < 256; b++) {
    if (byte_ids[b] < -1 || byte_ids[b] > static_cast<int32_t>(kMaxId)) {
      return "byte id " + std::to_string(byte_ids[b]) + " for byte " + std::to_string(b) +
             " is out of range (-1 for none, or 0.." + std::to_string(kMaxId) + ")";
    }
    byte_ids_[b] = byte_ids[b];
  }
  if (merges.size() >= kNoRank) {
    return std::to_string(merges.size()) + " merges is more than this kernel supports (" + std::to_string(kNoRank - 1) +
           ")";
  }
  size_t capacity = 1024;
  while (capacity < merges.size() * 3 / 2) capacity <<= 1;  // load factor <= 2/3; probes mostly stay in one cache line
  table_.assign(capacity, ~0ull);
  table_mask_ = capacity - 1;
  table_shift_ = 64;
  for (size_t c = capacity; c > 1; c >>= 1) table_shift_--;
  merged_by_rank_.resize(merges.size());
  for (size_t rank = 0; rank < merges.size(); rank++) {
    const Merge& m = merges[rank];
    if (m.left > kMaxId || m.right > kMaxId || m.merged > kMaxId) {
      return "merge " + std::to_string(rank) + " has an id above " + std::to_string(kMaxId);
    }
    merged_by_rank_[rank] = m.merged;
    const uint64_t key = static_cast<uint64_t>(m.left) << 20 | m.right;
    uint64_t h = (key * 0x9E3779B97F4A7C15ull) >> table_shift_;
    for (;;) {
      const uint64_t e = table_[h];
      if (e == ~0ull || (e >> 24) == key) {
        table_[h] = key << 24 | rank;  // a later duplicate pair overrides, as HF's HashMap collect does
        break;
      }
      h = (h + 1) & table_mask_;
    }
  }
  heap_from_bytes_ = heap_from_bytes;
  Classes();
  return "";
}

inline uint32_t Qwen2Bpe::Rank(uint32_t left, uint32_t right) const {
  const uint64_t key = static_cast<uint64_t>(left) << 20 | right;
  uint64_t h = (key * 0x9E3779B97F4A7C15ull) >> table_shift_;
  for (;;) {
    const uint64_t e = table_[h];
    if (e == ~0ull) return kNoRank;
    if ((e >> 24) == key) return static_cast<uint32_t>(e & 0xFFFFFFu);
    h = (h + 1) & table_mask_;
  }
}

// The merge table is megabytes and its lookups are cache misses; the pairs of real text are Zipf-distributed, so a
// small per-thread direct-mapped cache of recent answers (misses included) in front of it takes most of them.
inline uint32_t Qwen2Bpe::CachedRank(uint32_t left, uint32_t right, Scratch& s, uint32_t& merged) const {
  const uint64_t key = static_cast<uint64_t>(left) << 20 | right;
  Scratch::CachedPair& slot = s.pair_cache[(key * 0xD6E8FEB86659FD93ull) >> (64 - kPairCacheBits)];
  if ((slot.key_rank >> 24) != key) {
    const uint32_t rank = Rank(left, right);
    slot.key_rank = key << 24 | rank;
    slot.merged = rank == kNoRank ? 0 : merged_by_rank_[rank];
  }
  merged = slot.merged;
  return static_cast<uint32_t>(slot.key_rank & 0xFFFFFFu);
}

void Qwen2Bpe::PreTokenize(const uint8_t* text, size_t length, Scratch& s, std::vector<uint32_t>& bounds) const {
  Decode(text, length, s.code_points, s.byte_starts);
  const CodePointClasses& cls = Classes();
  const size_t n = s.code_points.size();
  bounds.clear();
  for (size_t i = 0; i < n;) {
    const size_t j = MatchAt(s.code_points.data(), n, i, cls);
    bounds.push_back(s.byte_starts[i]);
    bounds.push_back(s.byte_starts[j]);
    i = j;
  }
}

void Qwen2Bpe::EncodeSegment(const uint8_t* text, size_t length, Scratch& s, std::vector<int32_t>& out) const {
  Decode(text, length, s.code_points, s.byte_starts);
  const CodePointClasses& cls = Classes();
  const size_t n = s.code_points.size();
  const uint32_t* cps = s.code_points.data();
  for (size_t i = 0; i < n;) {
    const size_t j = MatchAt(cps, n, i, cls);
    const uint32_t begin = s.byte_starts[i];
    MergePiece(text + begin, s.byte_starts[j] - begin, s, out);
    i = j;
  }
}

void Qwen2Bpe::MergePiece(const uint8_t* bytes, size_t length, Scratch& s, std::vector<int32_t>& out) const {
  if (length > kPieceCacheKeyBytes) {
    MergePieceUncached(bytes, length, s, out);
    return;
  }
  uint64_t h = 0xCBF29CE484222325ull;  // FNV-1a: the pieces are a few bytes
  for (size_t k = 0; k < length; k++) h = (h ^ bytes[k]) * 0x100000001B3ull;
  Scratch::CachedPiece& slot = s.piece_cache[h >> (64 - kPieceCacheBits)];
  if (slot.hash == h && slot.length == length && std::memcmp(slot.key, bytes, length) == 0) {
    out.insert(out.end(), slot.ids, slot.ids + slot.count);
    return;
  }
  const size_t before = out.size();
  MergePieceUncached(bytes, length, s, out);
  const size_t count = out.size() - before;
  if (count > 0 && count <= kPieceCacheIds) {
    slot.hash = h;
    slot.length = static_cast<uint8_t>(length);
    slot.count = static_cast<uint8_t>(count);
    std::memcpy(slot.key, bytes, length);
    std::memcpy(slot.ids, out.data() + before, count * sizeof(int32_t));
  }
}

void Qwen2Bpe::MergePieceUncached(const uint8_t* bytes, size_t length, Scratch& s, std::vector<int32_t>& out) const {
  s.symbols.clear();
  for (size_t k = 0; k < length; k++) {
    const int32_t id = byte_ids_[bytes[k]];
    if (id >= 0) s.symbols.push_back(id);  // no token for this byte and no unk token: HF drops it
  }
  const size_t n = s.symbols.size();
  if (n == 0) return;
  if (n == 1) {
    out.push_back(s.symbols[0]);
    return;
  }
  if (length < heap_from_bytes_) {
    MergeShort(n, s, out);
  } else {
    MergeLong(n, s, out);
  }
}

// Short pieces (almost all of them): rescan the pair ranks for the lowest each round. Same order as the heap below:
// lowest rank first, the leftmost of equal ranks first.
void Qwen2Bpe::MergeShort(size_t n, Scratch& s, std::vector<int32_t>& out) const {
  int32_t* sym = s.symbols.data();
  s.ranks.resize(n);
  uint32_t* rank = s.ranks.data();
  uint32_t merged = 0;
  for (size_t k = 0; k + 1 < n; k++) rank[k] = CachedRank(sym[k], sym[k + 1], s, merged);
  size_t m = n;  // symbols left
  while (m > 1) {
    uint32_t best = kNoRank;
    size_t at = 0;
    for (size_t k = 0; k + 1 < m; k++) {
      if (rank[k] < best) {
        best = rank[k];
        at = k;
      }
    }
    if (best == kNoRank) break;
    sym[at] = static_cast<int32_t>(merged_by_rank_[best]);
    // Drop symbol at + 1, and the pair rank at + 1 (ranks at - 1 and at are recomputed below).
    const size_t tail = m - at - 2;  // symbols after at + 1
    std::memmove(sym + at + 1, sym + at + 2, tail * sizeof(int32_t));
    if (tail > 0) std::memmove(rank + at + 1, rank + at + 2, (tail - 1) * sizeof(uint32_t));
    m--;
    if (at > 0) rank[at - 1] = CachedRank(sym[at - 1], sym[at], s, merged);
    if (at + 1 < m) rank[at] = CachedRank(sym[at], sym[at + 1], s, merged);
  }
  out.insert(out.end(), sym, sym + m);
}

// Long pieces (a 60 KB run of letters is one piece): HF's own scheme, a min-heap of (rank, position) over a linked
// list of symbols; entries made stale by an earlier merge are skipped when popped.
void Qwen2Bpe::MergeLong(size_t n, Scratch& s, std::vector<int32_t>& out) const {
  int32_t* sym = s.symbols.data();
  s.prev.resize(n);
  s.next.resize(n);
  s.pair_rank.resize(n);
  s.pair_merged.resize(n);
  uint32_t* pair_rank = s.pair_rank.data();
  uint32_t* pair_merged = s.pair_merged.data();
  auto& heap = s.heap;
  heap.clear();
  for (size_t k = 0; k < n; k++) {
    s.prev[k] = static_cast<int32_t>(k) - 1;
    s.next[k] = k + 1 < n ? static_cast<int32_t>(k + 1) : -1;
    pair_rank[k] = k + 1 < n ? CachedRank(sym[k], sym[k + 1], s, pair_merged[k]) : kNoRank;
    if (pair_rank[k] != kNoRank) heap.push_back(static_cast<uint64_t>(pair_rank[k]) << 32 | k);
  }
  const std::greater<uint64_t> min_first;
  std::make_heap(heap.begin(), heap.end(), min_first);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), min_first);
    const uint64_t top = heap.back();
    heap.pop_back();
    const auto r = static_cast<uint32_t>(top >> 32);
    const auto pos = static_cast<int32_t>(top & 0xFFFFFFFFu);
    // Stale: the symbol is gone, or the pair starting here changed since this entry was pushed (its bytes grew, so
    // the same rank cannot come back).
    if (sym[pos] < 0 || pair_rank[pos] != r) continue;
    const int32_t nx = s.next[pos];
    sym[pos] = static_cast<int32_t>(pair_merged[pos]);
    sym[nx] = -1;
    const int32_t after = s.next[nx];
    s.next[pos] = after;
    if (after >= 0) s.prev[after] = pos;
    const int32_t before = s.prev[pos];
    if (before >= 0) {
      const uint32_t rl = CachedRank(sym[before], sym[pos], s, pair_merged[before]);
      pair_rank[before] = rl;
      if (rl != kNoRank) {
        heap.push_back(static_cast<uint64_t>(rl) << 32 | static_cast<uint32_t>(before));
        std::push_heap(heap.begin(), heap.end(), min_first);
      }
    }
    const uint32_t rr = after >= 0 ? CachedRank(sym[pos], sym[after], s, pair_merged[pos]) : kNoRank;
    pair_rank[pos] = rr;
    if (rr != kNoRank) {
      heap.push_back(static_cast<uint64_t>(rr) << 32 | static_cast<uint32_t>(pos));
      std::push_heap(heap.begin(), heap.end(), min_first);
    }
  }
  for (int32_t k = 0; k >= 0; k = s.next[k]) out.push_back(sym[k]);
}

}  // namespace steel
