// Compiled (never run) by tests/check-header-compiles: the hand-written ownership core
// (templates/cpp/ownership.hpp, copied into <libssh2.hpp> by the generator) on its own, so
// that it stays a real C++ file a compiler and a reader see as such; with a handle class
// written as the generator writes them (traits, then a class deriving from detail::owner).
#include "../../templates/cpp/ownership.hpp"

#include <type_traits>
#include <utility>

namespace {

struct thing_traits {
    using raw = int;
    static void free(void *, libssh2::detail::node *) noexcept {}
};

class thing : public libssh2::detail::owner<thing_traits> {
public:
    thing() noexcept = default;
    int value() const noexcept { return *checked("thing::value"); }

private:
    friend struct libssh2::detail::access;
    explicit thing(libssh2::detail::owned_node node) noexcept : owner(node) {}
};

// What every handle class is: one pointer, movable, not copyable, and no owner of its own.
static_assert(sizeof(thing) == sizeof(void *));
static_assert(std::is_nothrow_move_constructible_v<thing> && std::is_nothrow_move_assignable_v<thing>);
static_assert(!std::is_copy_constructible_v<thing> && !std::is_copy_assignable_v<thing>);
static_assert(!std::is_constructible_v<libssh2::detail::owner<thing_traits>>);

}  // namespace

int main() {
    int handle = 7;
    thing root = libssh2::detail::access::make<thing>(nullptr, &handle, true);
    thing child = libssh2::detail::access::make<thing>(libssh2::detail::access::node_of(root), &handle, true);
    const bool ok = libssh2::detail::root(libssh2::detail::access::node_of(child)) ==
                        libssh2::detail::access::node_of(root) &&
                    child.value() == 7;
    thing moved = std::move(child);
    libssh2::detail::free_children(libssh2::detail::access::node_of(root));
    return ok && !child && !moved && root.release() == &handle ? 0 : 1;
}
