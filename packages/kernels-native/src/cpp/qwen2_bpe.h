// Byte-level BPE with Qwen2's pre-tokenizer, giving exactly the ids of HF `tokenizers` for a Qwen2-style
// tokenizer.json (NFC normalizer, Split(Qwen2 regex, Isolated), ByteLevel without its own regex, BPE by merge rank).
// NFC and added tokens are handled by the caller (JavaScript): every text given here is one NFC segment between
// added tokens.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace steel {

struct Merge {
  uint32_t left;
  uint32_t right;
  uint32_t merged;
};

class Qwen2Bpe {
 public:
  // byte_ids[b] is the id of the byte-level token for byte b, or -1 if the vocabulary has none (HF then drops the
  // byte: no unk token). merges[r] has rank r; a later duplicate pair overrides an earlier one, as in HF.
  // Returns an empty string on success, otherwise what is wrong.
  std::string Init(const int32_t* byte_ids, const std::vector<Merge>& merges, size_t heap_from_bytes);

  // Appends the ids of one UTF-8 segment to `out`. `scratch` is per-thread working memory.
  static constexpr int kPairCacheBits = 12;
  static constexpr int kPieceCacheBits = 13;
  static constexpr size_t kPieceCacheKeyBytes = 30;
  static constexpr size_t kPieceCacheIds = 12;
  struct Scratch;
  void EncodeSegment(const uint8_t* text, size_t length, Scratch& scratch, std::vector<int32_t>& out) const;

  // Pieces of one segment as [start, end) byte offsets (the pre-tokenizer alone, for tests).
  void PreTokenize(const uint8_t* text, size_t length, Scratch& scratch, std::vector<uint32_t>& bounds) const;

  struct Scratch {
    std::vector<uint32_t> code_points;
    std::vector<uint32_t> byte_starts;  // byte offset of each code point, plus the end
    std::vector<int32_t> symbols;
    std::vector<uint32_t> ranks;
    std::vector<int32_t> prev;
    std::vector<int32_t> next;
    std::vector<uint64_t> heap;
    std::vector<uint32_t> pair_rank;  // heap path: current rank of the pair starting at each symbol
    std::vector<uint32_t> pair_merged;  // heap path: what that pair merges into
    struct CachedPair {
      uint64_t key_rank = ~0ull;  // left << 44 | right << 24 | rank, as in the table
      uint32_t merged = 0;
    };
    std::vector<CachedPair> pair_cache = std::vector<CachedPair>(size_t{1} << kPairCacheBits);
    // Short pieces repeat (identifiers, spaces and operators in code; common words): their ids, direct-mapped.
    struct CachedPiece {
      uint64_t hash = 0;
      uint8_t length = 0;  // 0 = empty slot (pieces are never empty)
      uint8_t count = 0;
      uint8_t key[kPieceCacheKeyBytes];
      int32_t ids[kPieceCacheIds];
    };
    std::vector<CachedPiece> piece_cache = std::vector<CachedPiece>(size_t{1} << kPieceCacheBits);
  };

 private:
  static constexpr uint32_t kNoRank = 0xFFFFFFu;

  uint32_t Rank(uint32_t left, uint32_t right) const;
  // Rank of (left, right), or kNoRank; `merged` is set to the merged id when there is a rank.
  uint32_t CachedRank(uint32_t left, uint32_t right, Scratch& scratch, uint32_t& merged) const;
  void MergePiece(const uint8_t* bytes, size_t length, Scratch& scratch, std::vector<int32_t>& out) const;
  void MergePieceUncached(const uint8_t* bytes, size_t length, Scratch& scratch, std::vector<int32_t>& out) const;
  void MergeShort(size_t n, Scratch& scratch, std::vector<int32_t>& out) const;
  void MergeLong(size_t n, Scratch& scratch, std::vector<int32_t>& out) const;

  int32_t byte_ids_[256] = {};
  // Open addressing, linear probing: entry = left << 44 | right << 24 | rank; all ones = empty.
  std::vector<uint64_t> table_;
  uint64_t table_mask_ = 0;
  int table_shift_ = 0;
  std::vector<uint32_t> merged_by_rank_;
  size_t heap_from_bytes_ = 128;
};

}  // namespace steel
