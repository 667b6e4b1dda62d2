/*
 * Test harness only, for Wine 8 (scripts/test-windows.sh): Wine has no bcryptprimitives.dll, whose
 * ProcessPrng the Rust-built add-ons of vitest's toolchain (rolldown, lightningcss) import, so they
 * fail to load ("Cannot find native binding"). This stand-in fills the buffer from advapi32's
 * RtlGenRandom (SystemFunction036), as ProcessPrng does on Windows. Never shipped.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length > 0) {
    ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
    if (!SystemFunction036(data, chunk)) return FALSE;
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}
