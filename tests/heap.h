/* heap.h - whether glibc's malloc counts what the tests allocate.
 *
 * Tests that hold a byte count against real memory ask mallinfo2(). Under
 * ASan (gcc's __SANITIZE_ADDRESS__, clang's __has_feature) or another
 * allocator there is no such number: GLIBC_MALLOC is 0 and those checks
 * are skipped, the others still run.
 */
#ifndef SS_TEST_HEAP_H
#define SS_TEST_HEAP_H

#include <malloc.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SS_HAS_ASAN 1
#endif
#endif
#ifndef SS_HAS_ASAN
#define SS_HAS_ASAN 0
#endif
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !SS_HAS_ASAN
#define GLIBC_MALLOC 1
#else
#define GLIBC_MALLOC 0
#endif

#endif
