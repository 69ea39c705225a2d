// Byte classification for the normaliser's ASCII block path (PolicyMatcher's AsciiBlock).
//
// Why C: the classes must end up as bit masks (bit i = byte i), and SSE2's movemask
// (_mm_movemask_epi8) does that in one instruction for 16 bytes; Swift's SIMD types cannot ask
// for it (their comparisons compiled to per-lane code). SSE2 is part of every x86_64 CPU, so no
// run-time check is needed. On other architectures a plain loop gives the same result.
//
// Everything is `static inline` in this header, so the Swift compiler inlines it into the caller.
#ifndef CPOLICYSIMD_H
#define CPOLICYSIMD_H

#include <stddef.h>
#include <stdint.h>

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

#endif
