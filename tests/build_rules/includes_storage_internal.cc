// Compiled by the InternalHeadersArePrivate tests (tests/CMakeLists.txt):
// a file outside vault/storage/ that includes one of its internal headers.
// Without VAULT_INTERNAL_STORAGE it must not compile.
#include "vault/storage/internal/rocks_failure.h"

int main() { return 0; }
