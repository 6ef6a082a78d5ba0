// SPDX-License-Identifier: BSD-3-Clause
// The shared-ownership core every handle class of <libssh2.hpp> is built on: hand-written
// C++, copied verbatim into the generated header (the part between the two marker lines;
// generator/render.py's cpp_snippet). tests/compile/ownership_standalone.cpp compiles this
// file on its own.
#ifndef LIBSSH2_HPP_OWNERSHIP
#define LIBSSH2_HPP_OWNERSHIP

#include <libssh2.h>

#ifdef _WIN32
#include <winsock2.h>
#else
#include <sys/socket.h>
#endif

// copied into the generated header from here
// Reference counts use the compilers' atomic builtins: <atomic> alone costs more to compile
// than all of this header (C++20, g++ 12: +0.23 s).
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#elif !defined(__GNUC__) && !defined(__clang__)
#include <atomic>
#endif
#include <cstdio>
#include <cstdlib>
#include <new>

namespace libssh2 {
namespace detail {

// Reports a method called on an empty object (default-constructed, moved from, freed or
// released): libssh2 would dereference a null handle.
[[noreturn]] inline void misuse(const char *method) noexcept {
    std::fprintf(stderr,
                 "libssh2-hpp: %s called on an empty object (default-constructed, moved from, freed or "
                 "released)\n",
                 method);
    std::abort();
}

}  // namespace detail

// LIBSSH2_HPP_ASSERT(condition, method): how the binding reports misuse it can detect. By
// default a message naming the class and method, then abort(), in debug builds only (gone
// under NDEBUG, like assert). Define it before including <libssh2.hpp> to report otherwise.
#ifndef LIBSSH2_HPP_ASSERT
#ifdef NDEBUG
#define LIBSSH2_HPP_ASSERT(condition, method) ((void)0)
// With the check gone, a method reads its handle without testing for an empty object first
// (checked()): one load, as C's handle in a register, instead of a test, a branch and a load.
// bench/README.md has the figures (a cheap call: 3 instructions over C with the test, 1 without).
#define LIBSSH2_HPP_UNCHECKED_HANDLES 1
#else
#define LIBSSH2_HPP_ASSERT(condition, method) ((condition) ? (void)0 : ::libssh2::detail::misuse(method))
#endif
#endif

namespace detail {

// A node's reference count: incremented with relaxed order (a new owner already holds one),
// decremented with acquire-release (the last owner sees every other owner's writes).
#if defined(__GNUC__) || defined(__clang__)
using reference_count = long;
inline void count_up(reference_count &count) noexcept { __atomic_fetch_add(&count, 1, __ATOMIC_RELAXED); }
inline bool count_down(reference_count &count) noexcept { return __atomic_sub_fetch(&count, 1, __ATOMIC_ACQ_REL) == 0; }
#elif defined(_MSC_VER)
using reference_count = long;
inline void count_up(reference_count &count) noexcept { _InterlockedIncrement(&count); }
inline bool count_down(reference_count &count) noexcept { return _InterlockedDecrement(&count) == 0; }
#else
using reference_count = std::atomic<long>;
inline void count_up(reference_count &count) noexcept { count.fetch_add(1, std::memory_order_relaxed); }
inline bool count_down(reference_count &count) noexcept { return count.fetch_sub(1, std::memory_order_acq_rel) == 1; }
#endif

// One owned libssh2 handle and the node of the handle it depends on. Every handle class
// holds a reference to its node, and a child's node holds one to its parent's: the parent
// is freed only after every child has freed its own handle. That order matters because
// libssh2_session_free frees the session's remaining channels and listeners itself, so a
// channel freed after its session would be a double free. A parent also lists its live
// children, so that an explicit free of the parent (session.free(), sftp.shutdown())
// frees them first, as destruction would, instead of leaving them dangling.
// Not thread-safe beyond what libssh2 is: use a session and its children from one thread
// at a time.
struct node {
    // Frees handle; context is a node of the same session (the handle's own, or its parent's).
    using free_function = void (*)(void *handle, node *context) noexcept;

    node(node *parent_node, LIBSSH2_SESSION *owning_session, void *raw, free_function free) noexcept
        : parent(parent_node), session(owning_session), handle(raw), free_handle(free) {}

    reference_count references{1};
    node *parent;               // kept alive until this handle is freed
    LIBSSH2_SESSION *session;   // the session the handle belongs to
    void *handle;               // null once freed
    free_function free_handle;  // null: borrowed or released, never freed here
    node *first_child = nullptr;
    node *next_sibling = nullptr;
    node *previous_sibling = nullptr;
    // A session's C++ callables (<libssh2/callbacks.hpp>): freed after the session, since
    // libssh2_session_free may still call them (its allocator's free).
    void *extension = nullptr;
    void (*free_extension)(void *extension) noexcept = nullptr;
    void **user_abstract = nullptr;  // where session.abstract() points while they own libssh2's
    // The session's teardown (session nodes only): the socket given to handshake()/startup(),
    // the bound on any free, and whether the binding has cut the connection.
    libssh2_socket_t socket = LIBSSH2_INVALID_SOCKET;
    long teardown_ms = 10000;
    bool cut = false;
};

inline node *retain(node *n) noexcept {
    if (n) count_up(n->references);
    return n;
}

// Frees the handles of n's descendants, deepest first; their wrappers become empty.
inline void free_children(node *n) noexcept {
    for (node *child = n ? n->first_child : nullptr; child; child = child->next_sibling) {
        free_children(child);
        if (child->handle && child->free_handle) child->free_handle(child->handle, child);
        child->handle = nullptr;
    }
}

// Gives up the handles of n's descendants without freeing them (the caller took over n's
// handle, and libssh2 frees them with it); their wrappers become empty.
inline void release_children(node *n) noexcept {
    for (node *child = n ? n->first_child : nullptr; child; child = child->next_sibling) {
        release_children(child);
        child->handle = nullptr;
        child->free_handle = nullptr;
    }
}

inline void drop(node *n) noexcept {
    while (n && count_down(n->references)) {
        if (n->handle && n->free_handle) n->free_handle(n->handle, n);
        if (n->free_extension) n->free_extension(n->extension);
        node *parent = n->parent;
        if (parent) {
            (n->previous_sibling ? n->previous_sibling->next_sibling : parent->first_child) = n->next_sibling;
            if (n->next_sibling) n->next_sibling->previous_sibling = n->previous_sibling;
        }
        delete n;
        n = parent;
    }
}

// The session's node: the root of every tree.
inline node *root(node *n) noexcept {
    while (n && n->parent) n = n->parent;
    return n;
}

// A node owning handle (null for a null handle). If memory runs out the handle is freed
// at once, so nothing leaks, and the wrapper comes back empty.
inline node *adopt(node *parent, LIBSSH2_SESSION *session, void *handle, node::free_function free) noexcept {
    if (!handle) return nullptr;
    node *n = new (std::nothrow) node(retain(parent), session, handle, free);
    if (!n) {
        if (free) free(handle, parent);
        drop(parent);
        return nullptr;
    }
    if (parent) {
        n->next_sibling = parent->first_child;
        if (parent->first_child) parent->first_child->previous_sibling = n;
        parent->first_child = n;
    }
    return n;
}

// Shuts the session's connection down, once: libssh2 then fails at once instead of waiting
// on the peer, and its frees free everything (its transport sees the socket closed).
inline void cut(node *root) noexcept {
    if (!root || root->cut) return;
    root->cut = true;
    if (root->socket == LIBSSH2_INVALID_SOCKET) return;
#ifdef _WIN32
    ::shutdown(root->socket, SD_BOTH);
#else
    ::shutdown(root->socket, SHUT_RDWR);
#endif
}

// After the cut, libssh2 normally fails at once; this bounds the cases where it would not
// (a packet half sent before it: libssh2 1.11 then spins on EAGAIN).
inline constexpr long after_cut_ms = 1000;

// Runs free(), a libssh2 free function, so that it cannot wait on a stuck peer for longer
// than the session's teardown bound: in blocking mode (libssh2 frees nothing on EAGAIN, and a
// destructor cannot retry), with the bound as the session's timeout (or the session's own
// timeout, if shorter). If the bound passes (LIBSSH2_ERROR_TIMEOUT: libssh2 freed nothing),
// the binding cuts the connection and frees again, which then fails fast and frees. The
// session's mode and timeout are restored afterwards, unless free() freed the session itself.
template <class Free>
inline int free_bounded(node *context, Free free, bool frees_session = false) noexcept {
    node *session_node = root(context);
    LIBSSH2_SESSION *session = context ? context->session : nullptr;
    if (!session || !session_node) return free();
    const int was_blocking = libssh2_session_get_blocking(session);
    const long timeout = libssh2_session_get_timeout(session);
    if (session_node->teardown_ms <= 0) cut(session_node);  // a bound of 0: do not wait at all
    long bound = session_node->cut ? after_cut_ms : session_node->teardown_ms;
    if (timeout > 0 && timeout < bound) bound = timeout;
    libssh2_session_set_blocking(session, 1);
    libssh2_session_set_timeout(session, bound);
    int rc = free();
    if (rc == LIBSSH2_ERROR_TIMEOUT && !session_node->cut) {
        cut(session_node);
        libssh2_session_set_timeout(session, after_cut_ms);
        rc = free();
    }
    if (frees_session && rc == 0) return rc;
    libssh2_session_set_timeout(session, timeout);
    libssh2_session_set_blocking(session, was_blocking);
    return rc;
}

// An explicit free (channel.free(), file.close(), ...): as libssh2 does it in non-blocking
// mode (LIBSSH2_ERROR_EAGAIN: call again), bounded as a destructor's in blocking mode.
template <class Free>
inline int free_now(node *n, Free free, bool frees_session = false) noexcept {
    if (n && n->session && !libssh2_session_get_blocking(n->session)) return free();
    return free_bounded(n, free, frees_session);
}

// The socket a session's handshake runs on: what cut() shuts down.
inline void remember_socket(node *session_node, libssh2_socket_t socket) noexcept {
    if (session_node) session_node->socket = socket;
}

// The abstract slot a user may use: libssh2's own, unless the callables layer keeps its state
// there (then it moved the user's pointer to node.user_abstract).
inline void **abstract_slot(const node *n, void **libssh2_slot) noexcept {
    return n && n->user_abstract ? n->user_abstract : libssh2_slot;
}

struct owned_node {
    node *value;
};

// Lets the generated factories reach the classes' nodes without making them public.
struct access {
    template <class T>
    static node *node_of(const T &wrapper) noexcept {
        return wrapper.node_;
    }

    // A wrapper's handle, for a function about to pass it to libssh2 (see T::checked).
    template <class T>
    static auto checked(const T &wrapper, const char *method) noexcept {
        return wrapper.checked(method);
    }

    // A new wrapper owning handle (or borrowing it, if !owned) that keeps parent alive.
    template <class T, class Raw>
    static T make(node *parent, Raw *handle, bool owned) noexcept {
        return T(owned_node{adopt(parent, session_of(parent, handle), handle, owned ? &T::traits::free : nullptr)});
    }

    // A session is its own session; every other handle belongs to its parent's.
    static LIBSSH2_SESSION *session_of(node *parent, LIBSSH2_SESSION *handle) noexcept {
        return parent ? parent->session : handle;
    }
    template <class Raw>
    static LIBSSH2_SESSION *session_of(node *parent, Raw *) noexcept {
        return parent ? parent->session : nullptr;
    }
};

// What every handle class of <libssh2.hpp> derives from: one reference to the node of a
// handle, moved and dropped here once for all of them, as Vulkan-Hpp's UniqueHandle does.
// The per-type part is Traits, a small struct the generator writes per class:
//   struct channel_traits {
//       using raw = LIBSSH2_CHANNEL;                                   // the handle type
//       static void free(void *handle, node *context) noexcept;        // frees one
//   };
// A derived class adds the libssh2 methods, its constructors from a parent and a raw
// handle, and `friend struct detail::access` (for its owned_node constructor). It holds
// nothing else: sizeof(channel) == sizeof(void *).
template <class Traits>
class owner {
public:
    using traits = Traits;
    using raw = typename Traits::raw;

    // The raw handle, still owned by this object; null when empty or freed along with its parent.
    raw *get() const noexcept { return node_ ? static_cast<raw *>(node_->handle) : nullptr; }
    // Gives up ownership: the caller frees the handle. What was opened from it is given up
    // too (libssh2 frees it along with it): those objects become empty.
    raw *release() noexcept {
        raw *handle = get();
        release_children(node_);
        if (node_) node_->free_handle = nullptr;
        drop(node_);
        node_ = nullptr;
        return handle;
    }
    explicit operator bool() const noexcept { return get() != nullptr; }

protected:
    // Protected: an owner is only ever a handle class's base, never an object of its own
    // (so no handle class can be sliced into one). Move-only.
    owner() noexcept = default;
    explicit owner(owned_node node) noexcept : node_(node.value) {}
    owner(owner &&other) noexcept : node_(other.node_) { other.node_ = nullptr; }
    owner &operator=(owner &&other) noexcept {
        if (this != &other) {
            drop(node_);
            node_ = other.node_;
            other.node_ = nullptr;
        }
        return *this;
    }
    owner(const owner &) = delete;
    owner &operator=(const owner &) = delete;
#if defined(__GNUC__) && !defined(__clang__)
    // g++ 12 at -O2 and above warns that node_ "may be used uninitialized" when this
    // destructor is inlined into std::optional's on a path where the optional is empty (GCC
    // bug 80635, a false positive): the read is of this object's own initialised member.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
    ~owner() { drop(node_); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

    // The handle, for a method about to pass it to libssh2: on an empty object that is
    // misuse, reported by LIBSSH2_HPP_ASSERT with the method's name. Under NDEBUG's default
    // LIBSSH2_HPP_ASSERT (no check), misuse is not looked for at all, not even the empty test.
    raw *checked(const char *method) const noexcept {
        (void)method;
#ifdef LIBSSH2_HPP_UNCHECKED_HANDLES
        return static_cast<raw *>(node_->handle);
#else
        LIBSSH2_HPP_ASSERT(get() != nullptr, method);
        return get();
#endif
    }

    // After an explicit free: marks the node freed and lets it go.
    void forget() noexcept {
        if (node_) node_->handle = nullptr;
        drop(node_);
        node_ = nullptr;
    }

    node *node_ = nullptr;

private:
    friend struct access;
};

}  // namespace detail
}  // namespace libssh2
// copied up to here

#endif  // LIBSSH2_HPP_OWNERSHIP
