// Compiled (never run) by tests/check-header-compiles: the hand-written ownership core
// (templates/cpp/ownership.hpp, copied into <libssh2.hpp> by the generator) on its own, so
// that it stays a real C++ file a compiler and a reader see as such.
#include "../../templates/cpp/ownership.hpp"

namespace {
void free_nothing(void *, libssh2::detail::node *) noexcept {}
}  // namespace

int main() {
    int handle = 0;
    libssh2::detail::node *root = libssh2::detail::adopt(nullptr, nullptr, &handle, &free_nothing);
    libssh2::detail::node *child = libssh2::detail::adopt(root, nullptr, &handle, &free_nothing);
    const bool ok = libssh2::detail::root(child) == root;
    libssh2::detail::free_children(root);
    libssh2::detail::drop(child);
    libssh2::detail::drop(root);
    return ok ? 0 : 1;
}
