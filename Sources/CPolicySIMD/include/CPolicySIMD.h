// Byte classification and hot loops in C: the normaliser's ASCII block path (PolicyMatcher's
// AsciiBlock), the story hash's canonical pass, JSON strings, the automaton's interleaved scans and
// the term table's scan (LiteralTable).
//
// Why C: the classes must end up as bit masks (bit i = byte i), and SSE2's movemask
// (_mm_movemask_epi8) does that in one instruction for 16 bytes; Swift's SIMD types cannot ask
// for it (their comparisons compiled to per-lane code). SSE2 is part of every x86_64 CPU, so no
// run-time check is needed. On other architectures a plain loop gives the same result.
//
// Everything is `static` in this header, most of it `inline`, so the Swift compiler inlines it into
// the caller; the loops marked `noinline` keep their registers to themselves.
#ifndef CPOLICYSIMD_H
#define CPOLICYSIMD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/// Classes of 32 bytes, one bit per byte (bit i = byte i).
typedef struct {
    /// Not printable ASCII (outside 0x20-0x7E): ends a plain block prefix.
    uint32_t not_plain;
    /// Space or hyphen.
    uint32_t separator;
    /// Letter, digit or '_'.
    uint32_t word;
} pw_ascii_classes;

#if defined(__SSE2__)

/// Bytes of `x` in lo...lo+len-1, as 0xFF lanes. Signed compare after a shift by -128: the
/// range moves to -128...-128+len-1, and every other byte lands above it.
static inline __m128i pw_in_range(__m128i x, uint8_t lo, uint8_t len) {
    __m128i shifted = _mm_add_epi8(x, _mm_set1_epi8((char)(0x80 - lo)));
    return _mm_cmplt_epi8(shifted, _mm_set1_epi8((char)(-128 + len)));
}

/// Classifies 16 bytes at `src` and writes their normalised form to `out` (lower case when
/// `fold_case`, hyphen to space; meaningful only for printable ASCII).
static inline void pw_ascii_classify16(const uint8_t *src, int fold_case, uint8_t *out,
                                       uint32_t *not_plain, uint32_t *separator, uint32_t *word) {
    __m128i x = _mm_loadu_si128((const __m128i *)src);
    // Bytes >= 0x80 are negative as signed bytes: "< 0x20" catches them with the controls.
    __m128i bad = _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)), _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7F)));
    __m128i hyphen = _mm_cmpeq_epi8(x, _mm_set1_epi8(0x2D));
    __m128i sep = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(0x20)), hyphen);
    __m128i letter = pw_in_range(_mm_or_si128(x, _mm_set1_epi8(0x20)), 0x61, 26);  // either case
    __m128i digit = pw_in_range(x, 0x30, 10);
    __m128i w = _mm_or_si128(_mm_or_si128(letter, digit), _mm_cmpeq_epi8(x, _mm_set1_epi8(0x5F)));
    // '-' (0x2D) xor 0x0D is ' ' (0x20); 'A'-'Z' or 0x20 is 'a'-'z'.
    __m128i mapped = _mm_xor_si128(x, _mm_and_si128(hyphen, _mm_set1_epi8(0x0D)));
    if (fold_case) {
        __m128i upper = pw_in_range(x, 0x41, 26);
        mapped = _mm_or_si128(mapped, _mm_and_si128(upper, _mm_set1_epi8(0x20)));
    }
    _mm_storeu_si128((__m128i *)out, mapped);
    *not_plain = (uint32_t)_mm_movemask_epi8(bad);
    *separator = (uint32_t)_mm_movemask_epi8(sep);
    *word = (uint32_t)_mm_movemask_epi8(w);
}

#else

/// The same, one byte at a time (architectures without SSE2).
static inline void pw_ascii_classify16(const uint8_t *src, int fold_case, uint8_t *out,
                                       uint32_t *not_plain, uint32_t *separator, uint32_t *word) {
    uint32_t np = 0, sp = 0, wd = 0;
    for (int i = 0; i < 16; i++) {
        uint8_t c = src[i];
        uint8_t folded = c | 0x20;
        int is_upper = c >= 0x41 && c <= 0x5A;
        if (c < 0x20 || c >= 0x7F) np |= 1u << i;
        if (c == 0x20 || c == 0x2D) sp |= 1u << i;
        if ((folded >= 0x61 && folded <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F) wd |= 1u << i;
        out[i] = c == 0x2D ? 0x20 : (fold_case && is_upper ? (uint8_t)(c | 0x20) : c);
    }
    *not_plain = np;
    *separator = sp;
    *word = wd;
}

#endif

#if defined(__SSE2__)

/// Bit i set where byte i of the 16 at `src` leads a Hangul syllable (U+AC00-D7A3, 3 bytes):
/// EB or EC; EA before B0-BF; ED before 80-9D. The last 36 syllables (ED 9E 80-A3) are not
/// flagged, nor an EA or ED in the last lane (its next byte is not loaded): the caller checks
/// those one at a time. Continuation bytes are not checked (the text is valid UTF-8).
static inline uint32_t pw_hangul_leads16(const uint8_t *src) {
    __m128i x = _mm_loadu_si128((const __m128i *)src);
    __m128i next = _mm_srli_si128(x, 1);
    __m128i mid = pw_in_range(x, 0xEB, 2);
    __m128i ea = _mm_and_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8((char)0xEA)), pw_in_range(next, 0xB0, 16));
    __m128i ed = _mm_and_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8((char)0xED)), pw_in_range(next, 0x80, 0x1E));
    return (uint32_t)_mm_movemask_epi8(_mm_or_si128(mid, _mm_or_si128(ea, ed)));
}

#else

/// The same, one byte at a time (architectures without SSE2).
static inline uint32_t pw_hangul_leads16(const uint8_t *src) {
    uint32_t m = 0;
    for (int i = 0; i < 16; i++) {
        uint8_t c = src[i], next = i < 15 ? src[i + 1] : 0;
        if (c == 0xEB || c == 0xEC || (c == 0xEA && next >= 0xB0 && next <= 0xBF) || (c == 0xED && next >= 0x80 && next <= 0x9D))
            m |= 1u << i;
    }
    return m;
}

#endif

/// Classifies the 32 bytes at `src` (all readable) and writes their normalised form to `out`
/// (32 bytes, all writable).
static inline pw_ascii_classes pw_ascii_classify32(const uint8_t *src, int fold_case, uint8_t *out) {
    uint32_t np0, sp0, wd0, np1, sp1, wd1;
    pw_ascii_classify16(src, fold_case, out, &np0, &sp0, &wd0);
    pw_ascii_classify16(src + 16, fold_case, out + 16, &np1, &sp1, &wd1);
    pw_ascii_classes c = { np0 | np1 << 16, sp0 | sp1 << 16, wd0 | wd1 << 16 };
    return c;
}

/// Writes origin, origin + 1 ... origin + 31 at `to`.
static inline void pw_origins32(int32_t *to, int32_t origin) {
#if defined(__SSE2__)
    __m128i o = _mm_add_epi32(_mm_set1_epi32(origin), _mm_setr_epi32(0, 1, 2, 3));
    __m128i four = _mm_set1_epi32(4);
    for (int i = 0; i < 32; i += 4) {
        _mm_storeu_si128((__m128i *)(to + i), o);
        o = _mm_add_epi32(o, four);
    }
#else
    for (int i = 0; i < 32; i++) to[i] = origin + i;
#endif
}

/// The normaliser's inner loop over long plain ASCII (see AsciiBlock.swift): whole 32-byte
/// blocks from `src` on, each entirely printable ASCII with no two separators (space, hyphen) in
/// a row, whose normalised form is then a byte map. For each block it writes the mapped bytes to
/// `out`, the origins (`origin`, `origin + 1`, ...) to `origins` and the offsets (from `offset`
/// on) of the word bytes that follow no word byte to `starts`; `*in_word` says whether the byte
/// before `src` is a word byte, and is updated.
///
/// A block is taken only when the byte after it exists, is ASCII (so no combining mark joins
/// its last byte) and, if the block ends with a separator, is a printable non-separator (so that
/// the separator is the whole run). The caller makes sure that the byte before `src` is printable
/// and not a separator. Returns the number of blocks taken; `*start_count` is increased by the
/// number of word starts written.
static inline ptrdiff_t pw_ascii_plain_blocks(const uint8_t *src, const uint8_t *end, int fold_case,
                                              uint8_t *out, int32_t *origins, int32_t origin, int32_t offset,
                                              int32_t *starts, ptrdiff_t *start_count, int32_t *in_word) {
    ptrdiff_t blocks = 0, count = *start_count;
    uint32_t carry = *in_word ? 1 : 0;
    while (end - src > 32) {
        pw_ascii_classes c = pw_ascii_classify32(src, fold_case, out);
        uint8_t next = src[32];
        if (c.not_plain | (c.separator & (c.separator >> 1))) break;
        if (next >= 0x80) break;
        if ((c.separator >> 31) && (next == 0x20 || next == 0x2D || next < 0x20 || next == 0x7F)) break;
        uint32_t first = c.word & ~((c.word << 1) | carry);
        while (first) {
            starts[count++] = offset + __builtin_ctz(first);
            first &= first - 1;
        }
        carry = c.word >> 31;
        pw_origins32(origins, origin);
        src += 32;
        out += 32;
        origins += 32;
        origin += 32;
        offset += 32;
        blocks++;
    }
    *start_count = count;
    *in_word = (int32_t)carry;
    return blocks;
}

// MARK: - The story hash's canonical pass (ContentHash.StoryHasher in PolicyWatch)

/// Where the story hash's canonical pass stands between blocks.
typedef struct {
    /// Letters and digits so far (an ASCII one or a Hangul syllable counts one).
    int64_t letters;
    /// Nonzero when a space is owed before the next letter.
    int32_t pending;
} pw_story_state;

/// Classifies 16 bytes for the canonical pass: bit i of `*alnum` where byte i is an ASCII letter
/// or digit, of `*high` where it is 0x80 or above; writes to `mapped` each byte's canonical form
/// when it may belong to a word (ASCII letters lower-cased, bytes 0x80 and above as they are)
/// and a space otherwise.
#if defined(__SSE2__)
static inline void pw_story_classify16(const uint8_t *src, uint8_t *mapped, uint32_t *alnum, uint32_t *high) {
    __m128i x = _mm_loadu_si128((const __m128i *)src);
    __m128i letter = pw_in_range(_mm_or_si128(x, _mm_set1_epi8(0x20)), 0x61, 26);
    __m128i digit = pw_in_range(x, 0x30, 10);
    __m128i an = _mm_or_si128(letter, digit);
    __m128i upper = pw_in_range(x, 0x41, 26);
    __m128i lower = _mm_or_si128(x, _mm_and_si128(upper, _mm_set1_epi8(0x20)));
    // Bytes 0x80 and above are negative as signed bytes.
    __m128i hi = _mm_cmplt_epi8(x, _mm_setzero_si128());
    __m128i word = _mm_or_si128(an, hi);
    __m128i out = _mm_or_si128(_mm_and_si128(word, lower), _mm_andnot_si128(word, _mm_set1_epi8(0x20)));
    _mm_storeu_si128((__m128i *)mapped, out);
    *alnum = (uint32_t)_mm_movemask_epi8(an);
    *high = (uint32_t)_mm_movemask_epi8(hi);
}
#else
/// The same, one byte at a time (architectures without SSE2).
static inline void pw_story_classify16(const uint8_t *src, uint8_t *mapped, uint32_t *alnum, uint32_t *high) {
    uint32_t an = 0, hi = 0;
    for (int i = 0; i < 16; i++) {
        uint8_t c = src[i], folded = c | 0x20;
        int is_alnum = (folded >= 0x61 && folded <= 0x7A) || (c >= 0x30 && c <= 0x39);
        if (is_alnum) an |= 1u << i;
        if (c >= 0x80) hi |= 1u << i;
        mapped[i] = is_alnum ? (c >= 0x41 && c <= 0x5A ? (uint8_t)(c | 0x20) : c) : (c >= 0x80 ? c : 0x20);
    }
    *alnum = an;
    *high = hi;
}
#endif

/// Bits set in a 16-bit mask, by table: without -mpopcnt, __builtin_popcount is a dozen
/// instructions (the baseline x86_64 has no POPCNT), and the canonical pass counts every block.
static inline uint32_t pw_popcount16(uint32_t x) {
#define PW_B2(n) n, n + 1, n + 1, n + 2
#define PW_B4(n) PW_B2(n), PW_B2(n + 1), PW_B2(n + 1), PW_B2(n + 2)
#define PW_B6(n) PW_B4(n), PW_B4(n + 1), PW_B4(n + 1), PW_B4(n + 2)
    static const uint8_t bits[256] = { PW_B6(0), PW_B6(1), PW_B6(1), PW_B6(2) };
#undef PW_B2
#undef PW_B4
#undef PW_B6
    return (uint32_t)bits[x & 0xFF] + bits[(x >> 8) & 0xFF];
}

/// The canonical pass of the story hash (letters and digits lower-cased, one space for each run
/// of anything else between two of them) over text made of ASCII and Hangul syllables, 16 bytes
/// at a time: the same bytes as the plain pass in ContentHash.swift, which a test checks.
///
/// Takes blocks from `src` on while `src < stop` and 16 bytes are readable before `end`, and
/// stops before the first byte it cannot take: a byte 0x80 or above that is not part of a
/// Hangul syllable flagged by pw_hangul_leads16 (the caller takes that scalar the plain way).
/// A block ends before a syllable that would cross its end. Writes the canonical bytes at `out`
/// (which must have room for the input taken plus 32 bytes) and adds their number to
/// `*written`; returns the number of input bytes taken. The text must be valid UTF-8.
///
/// Per block, W = the bytes of words (ASCII letters and digits, Hangul syllables). A byte is
/// kept when it is in W, or when it ends a run of other bytes, a word byte follows within the
/// block and a letter came before (it is then written as the space). A run that reaches the
/// block's end leaves the space owed (`pending`), as the plain pass does.
static inline size_t pw_story_canonical(const uint8_t *src, const uint8_t *stop, const uint8_t *end,
                                        uint8_t *out, size_t *written, pw_story_state *state) {
    const uint8_t *start = src;
    uint8_t mapped[32] = {0};
    size_t m = 0;
    int64_t letters = state->letters;
    int32_t pending = state->pending;
    while (src < stop && end - src >= 16) {
        uint32_t alnum, high, leads = 0, cover = 0;
        pw_story_classify16(src, mapped, &alnum, &high);
        uint32_t len = 16;
        if (high) {
            leads = pw_hangul_leads16(src);
            cover = leads | leads << 1 | leads << 2;
            uint32_t bad = high & ~cover & 0xFFFFu;
            // A syllable led at 14 or 15 ends in the next block: stop before it.
            uint32_t crossing = leads & 0xC000u;
            if (bad) len = (uint32_t)__builtin_ctz(bad);
            if (crossing && (uint32_t)__builtin_ctz(crossing) < len) len = (uint32_t)__builtin_ctz(crossing);
            if (len == 0) break;
        }
        uint32_t lenmask = len == 16 ? 0xFFFFu : (1u << len) - 1;
        uint32_t words = (alnum | cover) & lenmask;
        // Letters: one per ASCII letter or digit, one per syllable (the two masks never share a bit).
        int64_t found = pw_popcount16((alnum | leads) & lenmask);
        uint32_t others = ~words & lenmask;
        // The positions after the first word byte (all of them once a letter was seen).
        uint32_t after_letter = letters > 0 ? 0xFFFFu : ~(((words & (0u - words)) << 1) - 1);
        uint32_t keep = words | (others & (words >> 1) & after_letter);
        if (pending && (words & 1)) out[m++] = 0x20;
        if (keep == 0xFFFFu) {
            memcpy(out + m, mapped, 16);
            m += 16;
        } else {
            while (keep) {
                // Each run of kept bytes in one copy of 16 (`mapped` and `out` have the room).
                uint32_t s = (uint32_t)__builtin_ctz(keep);
                uint32_t r = (uint32_t)__builtin_ctz(~(keep >> s));
                memcpy(out + m, mapped + s, 16);
                m += r;
                keep &= keep + (1u << s);
            }
        }
        letters += found;
        pending = ((words >> (len - 1)) & 1) ? 0 : letters > 0;
        src += len;
    }
    state->letters = letters;
    state->pending = pending;
    *written += m;
    return (size_t)(src - start);
}

// MARK: - JSON strings (FastJSONArticle in PolicyWatch)

/// The offset of the first byte in `src[0..<n]` that ends a JSON string's plain run: '"', '\\'
/// or a control byte (below 0x20); `n` when there is none. Sets `*high` to nonzero when a byte
/// 0x80 or above comes before it (the string is then not ASCII and must be validated).
static inline size_t pw_json_string_run(const uint8_t *src, size_t n, int32_t *high) {
    size_t i = 0;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), control = _mm_set1_epi8(0x1F);
    while (i + 16 <= n) {
        __m128i x = _mm_loadu_si128((const __m128i *)(src + i));
        // x <= 0x1F (unsigned) exactly when min(x, 0x1F) == x.
        __m128i stops = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
                                     _mm_cmpeq_epi8(_mm_min_epu8(x, control), x));
        uint32_t found = (uint32_t)_mm_movemask_epi8(stops);
        uint32_t hi = (uint32_t)_mm_movemask_epi8(x);
        if (found) {
            uint32_t at = (uint32_t)__builtin_ctz(found);
            if (hi & ((1u << at) - 1)) *high = 1;
            return i + at;
        }
        if (hi) *high = 1;
        i += 16;
    }
#endif
    for (; i < n; i++) {
        uint8_t c = src[i];
        if (c == '"' || c == '\\' || c < 0x20) return i;
        if (c >= 0x80) *high = 1;
    }
    return n;
}

// MARK: - The matcher's automaton (AhoCorasick in PolicyMatcher)

/// Four streams of a dense byte-class DFA in one loop (see AhoCorasick.scanInterleavedDense):
/// stream k reads `tk[0..<steps]` and starts in `states[k]`. A state is the offset of its row in
/// `table`, with bit 0 set when a pattern ends there (such a row is stored one entry later, so
/// `table[state + class]` needs no mask). Stops after the first step that leaves some stream
/// in such a state, or after `steps` steps; writes the states back and returns the steps taken.
///
/// Why C: the Swift loop kept its pointers on the stack (spills) and spent about 14 instructions a
/// byte; this one is four loads and an add a byte, and one test for the four streams. Not inlined,
/// so that its twelve live values get registers of their own (inlined, some went to the stack).
__attribute__((noinline)) static size_t pw_dfa4_run(const uint8_t *t0, const uint8_t *t1, const uint8_t *t2, const uint8_t *t3,
                                 size_t steps, const uint8_t *classes, const uint32_t *table, uint32_t *states) {
    uint32_t s0 = states[0], s1 = states[1], s2 = states[2], s3 = states[3];
    size_t i = 0;
    while (i < steps) {
        s0 = table[s0 + classes[t0[i]]];
        s1 = table[s1 + classes[t1[i]]];
        s2 = table[s2 + classes[t2[i]]];
        s3 = table[s3 + classes[t3[i]]];
        i++;
        if ((s0 | s1 | s2 | s3) & 1u) break;
    }
    states[0] = s0;
    states[1] = s1;
    states[2] = s2;
    states[3] = s3;
    return i;
}


// MARK: - Literals looked up where they can start (LiteralTable in PolicyMatcher)

/// `first[b]`: some pattern that may start anywhere starts with byte b.
#define PW_LIT_FREE 1
/// `first[b]`: some left-bounded pattern starts with byte b (it can start only where the byte
/// before is not an ASCII letter, digit or '_').
#define PW_LIT_BOUNDED 2

/// Which bytes the 16-byte pass offers as candidates (a superset; `first` decides).
#define PW_LIT_WORD_STARTS 1   // ASCII word bytes after a byte that is not one
#define PW_LIT_WORD_BYTES 2    // every ASCII word byte
#define PW_LIT_OTHER_ASCII 4   // ASCII bytes that are not word bytes
#define PW_LIT_LEADS 8         // bytes 0xC0 and above (the first byte of a multi-byte scalar)
#define PW_LIT_EVERY_BYTE 16   // no 16-byte pass: some pattern starts with a continuation byte

/// One slot of the open-addressing table: a pattern's first bytes (little-endian, zero-padded)
/// and its length class, and the range of `members` holding the patterns with that key and
/// class. Classes 1, 2 and 3: patterns of that many bytes, the key is the whole pattern; class
/// 4: patterns of 4 to 7 bytes, keyed by their first 4; class 8: 8 bytes and more, keyed by
/// their first 8 (so that many patterns sharing 4 first bytes do not make one long list).
/// Class 0: an empty slot.
typedef struct {
    uint64_t key;
    uint32_t length_class;
    uint32_t start;
    uint32_t count;
    uint32_t unused;
} pw_literal_slot;

/// A pattern under a key: its 8 bytes after the key (zero-padded; bytes past the pattern's end
/// are ignored), its length, where its bytes start in `bytes`, and whether it is left-bounded.
typedef struct {
    uint64_t next;
    int32_t pattern;
    uint32_t length;
    uint32_t offset;
    uint32_t bounded;
} pw_literal_member;

typedef struct {
    const uint8_t *first;           // 256 entries, PW_LIT_FREE | PW_LIT_BOUNDED
    const uint64_t *filter;         // 1 << filter_bits bits (see pw_literal_at)
    const pw_literal_slot *slots;   // 1 << table_bits slots
    const pw_literal_member *members;  // by slot
    const uint8_t *bytes;           // the patterns' bytes
    uint32_t filter_bits;
    uint32_t table_bits;
    uint32_t length_classes;        // bit c set when some pattern has length class c (1, 2, 3, 4, 8)
    uint32_t candidate_kinds;       // PW_LIT_WORD_STARTS | ...
    uint32_t max_per_position;      // most occurrences one position can yield
} pw_literal_table;

static inline uint64_t pw_literal_hash(uint64_t key, uint32_t length_class) {
    uint64_t x = (key ^ ((uint64_t)length_class << 60)) * 0x9E3779B97F4A7C15ull;
    x ^= x >> 29;
    return x * 0xBF58476D1CE4E5B9ull;
}

static inline int pw_ascii_word_byte(uint8_t c) {
    uint8_t folded = c | 0x20;
    return (folded >= 0x61 && folded <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F;
}

/// The patterns of length class `c` whose key is `key` (hash `h`) that occur at `i`, appended
/// to `out` from `count`; returns the new count. `after_word`: the byte before `i` is an ASCII
/// word byte (left-bounded patterns are then passed over). Each member's 8 bytes after the key
/// (`next`) are compared first, as one word, so that most members that differ from the text are
/// passed over without a call to memcmp.
__attribute__((noinline)) static size_t pw_literal_probe(const pw_literal_table *t, const uint8_t *text, size_t n, size_t i,
                                                        uint64_t key, uint32_t c, uint64_t h, int after_word,
                                                        int32_t *out, size_t count) {
    uint64_t mask = ((uint64_t)1 << t->table_bits) - 1;
    for (uint64_t s = h >> (64 - t->table_bits);; s = (s + 1) & mask) {
        const pw_literal_slot *slot = &t->slots[s];
        if (slot->length_class == 0) return count;
        if (slot->key != key || slot->length_class != c) continue;
        uint64_t following = 0;
        if (c >= 4) {
            size_t left = n - i - c;  // the caller checked i + c <= n
            memcpy(&following, text + i + c, left < 8 ? left : 8);
        }
        for (uint32_t k = slot->start; k < slot->start + slot->count; k++) {
            const pw_literal_member *m = &t->members[k];
            uint32_t len = m->length;
            if (i + len > n || (after_word && m->bounded)) continue;
            if (len > c) {
                uint32_t rest = len - c;
                uint64_t keep = rest >= 8 ? ~(uint64_t)0 : (((uint64_t)1 << (8 * rest)) - 1);
                if ((following & keep) != m->next) continue;
                if (rest > 8 && memcmp(text + i + c + 8, t->bytes + m->offset + c + 8, rest - 8) != 0) continue;
            }
            out[2 * count] = m->pattern;
            out[2 * count + 1] = (int32_t)(i + len);
            count++;
        }
        return count;
    }
}

/// Length classes 1 to 3 at `i`: patterns shorter than 4 bytes (the key is the whole pattern).
__attribute__((noinline)) static size_t pw_literal_short(const pw_literal_table *t, const uint8_t *text, size_t n, size_t i,
                                                        int after_word, int32_t *out, size_t count) {
    uint8_t padded[4] = {0, 0, 0, 0};
    memcpy(padded, text + i, n - i < 4 ? n - i : 4);
    uint32_t word;
    memcpy(&word, padded, 4);
    for (uint32_t c = 1; c <= 3; c++) {
        if (!(t->length_classes & (1u << c))) continue;
        if (i + c > n) break;
        uint64_t key = word & ((1u << (8 * c)) - 1);
        uint64_t h = pw_literal_hash(key, c);
        uint64_t bit = h >> (64 - t->filter_bits);
        if (t->filter[bit >> 6] & (1ull << (bit & 63))) count = pw_literal_probe(t, text, n, i, key, c, h, after_word, out, count);
    }
    return count;
}

/// The occurrences that start at `i`, a candidate; `after_word`: the byte before `i` is an ASCII
/// letter, digit or '_'. The common case inline: the text's next 4 bytes, their hash, one bit of
/// the filter (set for the first 4 bytes of every pattern of class 4 or 8); the table only when
/// the bit is set, for class 4 with those 4 bytes, for class 8 with the next 8.
static inline __attribute__((always_inline)) size_t pw_literal_at(const pw_literal_table *t, const uint8_t *text, size_t n,
                                                                 size_t i, int after_word, int32_t *out, size_t count) {
    uint8_t flags = t->first[text[i]];
    if (flags == 0 || (after_word && !(flags & PW_LIT_FREE))) return count;
    uint32_t classes = t->length_classes;
    if (classes & 0xE) count = pw_literal_short(t, text, n, i, after_word, out, count);
    if (!(classes & 0x110) || i + 4 > n) return count;
    uint32_t key4;
    memcpy(&key4, text + i, 4);
    uint64_t h = pw_literal_hash(key4, 4);
    uint64_t bit = h >> (64 - t->filter_bits);
    if (!(t->filter[bit >> 6] & (1ull << (bit & 63)))) return count;
    if (classes & 0x10) count = pw_literal_probe(t, text, n, i, key4, 4, h, after_word, out, count);
    if ((classes & 0x100) && i + 8 <= n) {
        uint64_t key8;
        memcpy(&key8, text + i, 8);
        count = pw_literal_probe(t, text, n, i, key8, 8, pw_literal_hash(key8, 8), after_word, out, count);
    }
    return count;
}

/// Finds the occurrences that start in `text[from..<n]` and writes them to `out` as (pattern,
/// end) pairs, in order of start, while `out` (room for `capacity` pairs) has room for
/// `max_per_position` more; `*count` is the number of pairs in `out`, updated. Returns where it
/// stopped: `n`, or a position to call again from once `out` is emptied. Left-bounded patterns
/// are not reported where the byte before is an ASCII word byte; where it is part of another
/// scalar they are, and the caller checks that scalar.
///
/// Why: an Aho-Corasick automaton takes a dependent table load per byte, from a table of
/// megabytes at 10,000 terms; here most bytes are passed over 16 at a time and a word start
/// costs a few loads from a filter of tens of kilobytes.
__attribute__((noinline)) static size_t pw_literals_run(const pw_literal_table *t, const uint8_t *text, size_t n,
                                                       size_t from, int32_t *out, size_t capacity, size_t *count) {
    size_t found = *count;
    size_t i = from;
    uint32_t kinds = t->candidate_kinds;
#if defined(__SSE2__)
    const __m128i underscore = _mm_set1_epi8(0x5F);
    while (!(kinds & PW_LIT_EVERY_BYTE) && i + 16 <= n) {
        if (found + 16 * (size_t)t->max_per_position > capacity) { *count = found; return i; }
        __m128i x = _mm_loadu_si128((const __m128i *)(text + i));
        __m128i letter = pw_in_range(_mm_or_si128(x, _mm_set1_epi8(0x20)), 0x61, 26);
        __m128i digit = pw_in_range(x, 0x30, 10);
        uint32_t w = (uint32_t)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(letter, digit), _mm_cmpeq_epi8(x, underscore)));
        uint32_t hi = (uint32_t)_mm_movemask_epi8(x);
        uint32_t before = (w << 1) | (i > 0 && pw_ascii_word_byte(text[i - 1]) ? 1u : 0u);
        uint32_t cand = 0;
        if (kinds & PW_LIT_WORD_STARTS) cand |= w & ~before;
        if (kinds & PW_LIT_WORD_BYTES) cand |= w;
        if (kinds & PW_LIT_OTHER_ASCII) cand |= ~w & ~hi & 0xFFFF;
        if (kinds & PW_LIT_LEADS) {
            // 0xC0 and above: -64...-1 as signed bytes.
            cand |= (uint32_t)_mm_movemask_epi8(_mm_cmpgt_epi8(x, _mm_set1_epi8(-65))) & hi;
        }
        while (cand) {
            uint32_t bit = (uint32_t)__builtin_ctz(cand);
            cand &= cand - 1;
            found = pw_literal_at(t, text, n, i + bit, (int)((before >> bit) & 1), out, found);
        }
        i += 16;
    }
#else
    (void)kinds;
#endif
    for (; i < n; i++) {
        if (found + t->max_per_position > capacity) { *count = found; return i; }
        if (t->first[text[i]]) found = pw_literal_at(t, text, n, i, i > 0 && pw_ascii_word_byte(text[i - 1]), out, found);
    }
    *count = found;
    return n;
}

#endif
